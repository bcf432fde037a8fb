"""Checking what ZooKeeper's clients saw: is a recorded client history one that ZooKeeper's
guarantees allow?

The guarantees, exactly as ZooKeeper states them (the programmer's guide, "Consistency
Guarantees", and the ZooKeeper paper's "ordered sequential consistency"), are checked as one
condition: there is a single total order of all the operations of the history such that

* the sequential model (:mod:`zabmc.lincheck.model`) accepts every operation's result in
  that order;
* **writes are linearizable**: a write (create, set, versioned set, sequential create,
  multi) or a ``sync`` that completed before another write or ``sync`` was invoked comes
  before it;
* **each session sees its own operations in order** (FIFO client order): the operations of
  one session keep the order they were issued in;
* **reads are sequentially consistent**: a read may see an older state than real time would
  allow (a server that lags its leader), but only a state of that one total order, never
  one older than the session has already seen or written;
* **a read after a ``sync`` is linearizable**: since the ``sync`` is ordered like a write
  and the read follows it in its session, the read sees every write that completed before
  the ``sync`` was invoked.

An operation whose outcome is unknown (``info``) may have taken effect at any time after it
was invoked, or never. Verdicts are ``linearizable``, ``violation`` (with a small failing
sub-history as evidence) and ``unknown``, when the search ran out of its budget: a budget
never turns into a wrong verdict. The checker knows nothing of the specs or of ``impl``: the
history format (:mod:`zabmc.lincheck.history`) is its only input.
"""
