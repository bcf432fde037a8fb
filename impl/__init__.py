"""The reference implementation of ZAB. It never imports ``spec`` or ``zabmc``.

How the pieces fit (and what a service built on top uses):

* ``impl.core.ZabPeer(sid, cluster, durable=..., app=...)`` is the protocol core of one server:
  feed it events (``impl.core.events``), carry out the effects it returns
  (``impl.core.effects``). A write is ``WriteSubmitted(request_id, payload)`` at any server
  (a follower forwards it to the leader); every server then gets ``Deliver(txn, result)`` for
  each committed txn in zxid order, after ``app.apply(txn)``; the server the write was
  submitted at also gets ``WriteResult(request_id, zxid, result)`` (or an error: ``not-ready``
  means not committed, ``leader-lost`` means unknown). Reads are local: ask ``app``.
* ``app`` is any ``impl.core.Application`` (apply / snapshot / restore, deterministic, no
  I/O); the default ``TxnList`` keeps the committed txns.
* ``impl.storage.Store.open(dir)`` recovers a data directory (``.durable`` feeds the core);
  ``impl.server.runtime.ServerRuntime`` runs a core over TCP (``impl.net``) and that store;
  ``python -m impl.server --config FILE`` is one server process.
* ``impl.sim`` runs the same core in a deterministic simulated world with faults.
* ``impl.core.steps.STEPS`` names every observable step (``Observed`` effects, emitted when
  the core is built with ``record=True``, each with the message it took).
* ``impl.trace`` writes those steps as traces (``traces/README.md``): the simulator records a
  run with ``python -m impl.sim record``, a server with ``[trace]`` in its configuration.
* ``impl.core.switches`` is the registry of bug switches (off unless configured) that plant known
  ZAB bugs, for testing the checkers.
"""
