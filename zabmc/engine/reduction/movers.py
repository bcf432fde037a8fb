"""What a spec declares so that the engine may reduce: right movers to chain (Lipton),
persistent steps to take alone (Godefroid).

Lipton (CACM 1975) and Flanagan & Qadeer (PLDI 2003): a *right mover* commutes
with every later step of the other processes, so in any run it can be postponed
until its own process moves again. A search may then take it together with that
next step, as one atomic step, and never store the state in between. ZAB's
receipts are such steps: a server taking a message off a FIFO channel changes
nothing another server reads, and what the others do meanwhile changes nothing it
read (they can only append behind the message it took).

The engine knows nothing of servers or channels. A spec says, per step:

* ``process(action)``: who takes it (a chain continues with that process only);
* ``involves(action)``: every process whose state or incoming channels the step
  may touch (a crash of j touches every server's channel from j); a chain that
  is waiting for its process continues with each enabled step that involves it;
* ``right_mover(state, action, successor)``: the names of the state's parts the
  step writes if this step is a right mover here, else None. The spec promises
  that, from ``state``, the step commutes to the right of every step that does not
  involve its process, in every state reachable by such steps, and stays a right
  mover there (the promise is checked on whole state spaces by
  :func:`zabmc.engine.reduction.verify.check_right_movers`);
* ``property_reads(name)``: the parts of the state a property reads (None: all);
* ``persistent_step(state)``: an enabled step that alone is a *persistent set* at
  ``state`` (Godefroid), or None. The spec promises that along every path from
  ``state`` that does not take it, each step either commutes with it (both orders
  are possible and end in the same state, and it stays enabled) or disables it by
  overwriting everything it would have written (the step after it ends in the same
  state as without it: a crash of its server, say). The promise is checked on whole
  state spaces by :func:`zabmc.engine.reduction.verify.check_persistent_steps`;
* ``parts_changed(before, after)`` (optional): the parts of the state a step changed, in
  the spec's own vocabulary, where the top-level fields (:func:`changed_parts`, the
  default) are too coarse: a spec whose properties read only a projection of a field (the
  delivered prefix of a log, say) names that projection a part of its own, so that a step
  which changes the field but not the projection is invisible. ``property_reads`` and
  ``right_mover`` then speak the same vocabulary;
* ``goal_closed(name, state, action, successor)`` (optional; absent means never): whether
  the persistent step ``action`` from ``state``, although it changes parts that property
  ``name`` reads, never takes a state out of that property's *goal set*: for an invariant
  the states that violate it, for a witness the states where it holds. The spec promises
  that for every state ``g`` reached from ``state`` by other steps with the step still
  enabled there, ``g`` in the goal set implies the step's successor of ``g`` in it (a step
  that only adds to a log that an invariant checks cannot repair a violation, say). A spec
  answers only for properties it knows (a user's property reads everything, and then the
  engine asks nothing). The promise is checked on sampled states by
  :func:`zabmc.engine.reduction.verify.check_persistent_steps` given the properties;
* ``counts_depth(action)`` (optional; absent means never): whether the persistent step
  ``action``, taken alone, counts a level of depth like any other step instead of none.
  Soundness does not depend on it; a bounded search's reach and the states a search meets
  before its first violation do;
* ``free_step(action)`` (optional; absent means never): whether the step ``action`` counts
  no level of depth wherever it is taken, alone or among the others (the search explores
  its successor in the level of the state it comes from). A choice of what a depth bound
  counts, like ``counts_depth``, and no matter of soundness: it changes the order a search
  meets states in (and so where the cycle proviso expands a state in full, and which
  counterexample is found first), and how far a depth bound reaches;
* ``progress(state)``: a number that the spec expects each persistent step to raise.
  The engine takes a persistent step alone only where it does (see
  :mod:`zabmc.engine.reduction.persistent`), which is the cycle proviso: a wrong
  measure costs reduction, never soundness.

The engine adds invisibility: a step is chained only if no checked property reads
what it writes, so every state a chain skips has the properties' values of one it
keeps. A persistent step is taken alone if each checked property either reads nothing
it writes or is declared goal-closed under it (:mod:`zabmc.engine.reduction.persistent`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from typing import Protocol

from zabmc.engine.model import Action


class Movers(Protocol):
    """A spec's mover declarations (see the module's docstring)."""

    def process(self, action: Action) -> Hashable: ...

    def involves(self, action: Action) -> Collection[Hashable]: ...

    def right_mover(
        self, state: Hashable, action: Action, successor: Hashable
    ) -> frozenset[str] | None: ...

    def property_reads(self, name: str) -> frozenset[str] | None: ...

    def persistent_step(self, state: Hashable) -> tuple[Action, Hashable] | None: ...

    def progress(self, state: Hashable) -> int: ...


def goal_closed_of(movers: Movers) -> Callable[[str, Hashable, Action, Hashable], bool] | None:
    """``movers``' ``goal_closed``, or None where it declares none (no goal is closed)."""
    return getattr(movers, "goal_closed", None)


def goal_closed(
    movers: Movers, name: str, state: Hashable, action: Action, successor: Hashable
) -> bool:
    """Whether ``movers`` declares property ``name``'s goal set closed under the persistent
    step ``action`` from ``state`` (False where it declares nothing)."""
    own = goal_closed_of(movers)
    return bool(own(name, state, action, successor)) if own is not None else False


def counts_depth(movers: Movers, action: Action) -> bool:
    """Whether ``movers`` counts a level of depth for its persistent step ``action`` (False
    where it declares nothing)."""
    own = getattr(movers, "counts_depth", None)
    return bool(own(action)) if own is not None else False


def free_step(movers: Movers) -> Callable[[Action], bool] | None:
    """``movers``' ``free_step``, or None where it declares none."""
    return getattr(movers, "free_step", None)


def changed_parts(before: Hashable, after: Hashable) -> set[str]:
    """The top-level fields of a NamedTuple state that differ (every field if not one)."""
    fields = getattr(before, "_fields", None)
    if fields is None:
        return set() if before == after else {"<state>"}
    return {f for f in fields if getattr(before, f) != getattr(after, f)}


def parts_changed_of(movers: Movers) -> Callable[[Hashable, Hashable], Iterable[str]]:
    """``movers``' ``parts_changed``, or :func:`changed_parts` (the top-level fields) where
    it declares none."""
    own = getattr(movers, "parts_changed", None)
    return own if own is not None else changed_parts


def parts_changed(movers: Movers, before: Hashable, after: Hashable) -> set[str]:
    """The parts a step from ``before`` to ``after`` changed, in the vocabulary of
    ``movers`` (its own ``parts_changed``, or the top-level fields)."""
    return set(parts_changed_of(movers)(before, after))


def visible_parts(movers: Movers, properties: Sequence[str]) -> frozenset[str] | None:
    """The parts of the state that any of ``properties`` reads (None: some reads all)."""
    visible: set[str] = set()
    for name in properties:
        reads = movers.property_reads(name)
        if reads is None:
            return None
        visible |= reads
    return frozenset(visible)


__all__ = [
    "Movers",
    "changed_parts",
    "counts_depth",
    "free_step",
    "goal_closed",
    "parts_changed",
    "visible_parts",
]
