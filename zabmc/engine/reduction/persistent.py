"""Persistent steps: a step that the search may take alone, leaving the others for later.

Partial-order reduction (Godefroid's persistent sets, Peled's ample sets): where a spec
names an enabled step that is a persistent set on its own
(:mod:`zabmc.engine.reduction.movers`), the search explores that step only. Every run
that takes the other steps first has a counterpart that takes this one first and meets
the same states but for this step's effect; a run in which a later step overwrites the
step (a crash of its server) reaches that step's state exactly. Where no checked property
reads what the step changes, every reachable state has a representative in the reduced
search with the same properties' values; where one does, the spec vouches that the step
cannot take a state out of that property's goal (below).

The engine adds the conditions that the spec cannot see:

* **invisibility, or goal closure**: for each checked property, either the step changes
  no part of the state that the property reads, here (the spec promises the same wherever
  the step is taken along the others' paths), or the spec declares the property's goal set
  closed under the step (``Movers.goal_closed``): the goal set is the states that violate
  an invariant, or where a witness holds. The proof needs no more. Let a run of the full
  search go from ``s`` to a goal state ``g``. If it takes the persistent step ``t``, ``t``
  commutes to its front and the run from ``t(s)`` ends at ``g`` itself; if a step of it
  overwrites ``t``, the run from ``t(s)`` meets that step's state and goes on to ``g``;
  otherwise every step commutes with ``t`` and the run from ``t(s)`` ends at ``t(g)``,
  which is a goal state if ``t`` leaves the property's value as it was, or only cannot
  take a goal state out of the goal set (the spec need not promise that where ``s`` is a
  goal state itself: the search has reached one there). By induction (the cycle proviso
  below ends it), the reduced search reaches a goal state of each property whose goal the
  full search reaches, and it reaches no other, since each of its states is reachable. So
  it finds an
  invariant violated iff the full search does (not necessarily the same one first, when
  several are), reaches the same witnesses, and its paths are the spec's own steps. A
  step that changes what a property reads may thus still be taken alone where it cannot
  repair a violation nor undo a witness: an invariant over a log that the step only
  extends past what it checks, say;
* **the cycle proviso**: a reduced search must not go round a cycle that postpones the
  other steps forever. The step is taken alone only if it raises the spec's ``progress``
  measure; every cycle has a step that does not raise it, and there the search expands
  everything. A measure that is wrong costs reduction, not soundness;
* **depth**: a persistent step is part of the step that led to it and counts no level of
  depth (``Expansion.free``), as ZooKeeper's thread would take it before anyone noticed;
  unless the spec counts one for it (``Movers.counts_depth``). A step the spec names free
  wherever it is taken (``Movers.free_step``) counts none among the others either. Either
  way the reduced search reaches the same goals; what differs is how many states a search
  that stops at its first violation meets first (a free step brings later states into
  earlier levels).

Where no persistent step is named, or one fails a condition, the state is expanded by the
``base`` expander (every step, or Lipton chains).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from mypy_extensions import mypyc_attr

from zabmc.engine.expansion import Expander, Expansion
from zabmc.engine.model import Action
from zabmc.engine.reduction.movers import (
    Movers,
    counts_depth,
    free_step,
    goal_closed_of,
    parts_changed_of,
    visible_parts,
)


@mypyc_attr(native_class=False)  # pickled into Ray's actors with a search's options
class PersistentStepExpander:
    """A state's persistent step alone, where the spec names one; else the ``base`` expansion."""

    def __init__(self, base: Expander, movers: Movers, properties: Sequence[str]) -> None:
        self._base = base
        self._movers = movers
        self._visible = visible_parts(movers, properties)
        #: What each property reads (unused when one of them reads everything).
        self._reads = {name: movers.property_reads(name) or frozenset() for name in properties}
        #: The properties that read some of the parts a step changed, by those parts.
        self._readers: dict[frozenset[str], tuple[str, ...]] = {}
        self.taken_alone = 0  # states expanded by their persistent step only
        self.goal_closed = 0  # of those, by a step that a property reads (goal-closed for it)
        self.refused = 0  # persistent steps named but expanded in full (visible, no progress)
        self.counted_depth = 0  # of those taken alone, by a step the spec counts a level
        self._free_step = free_step(movers)
        self.free_steps = 0  # successors of full expansions that count no level (free_step)
        # The declarations, looked up once: each state asks for some of them.
        self._step_of = movers.persistent_step
        self._progress = movers.progress
        self._closed = goal_closed_of(movers)  # None: no goal is closed
        self._parts_changed = parts_changed_of(movers)

    def persistent(self, state: Hashable) -> tuple[Action, Hashable] | None:
        """The step to take alone from ``state``, or None."""
        found = self._judged(state)
        return None if found is None else found[0]

    def _judged(self, state: Hashable) -> tuple[tuple[Action, Hashable], bool] | None:
        """The step to take alone from ``state``, and whether some checked property reads
        what it changes (and is goal-closed under it); or None."""
        if self._visible is None:
            return None
        step = self._step_of(state)
        if step is None:
            return None
        action, succ = step
        progress = self._progress
        if not progress(succ) > progress(state):
            self.refused += 1
            return None
        changed = frozenset(self._parts_changed(state, succ))
        readers = self._readers.get(changed)
        if readers is None:
            readers = self._readers[changed] = tuple(
                name for name, reads in self._reads.items() if changed & reads
            )
        if not readers:
            return step, False
        closed = self._closed
        if closed is not None and all(closed(name, state, action, succ) for name in readers):
            return step, True
        self.refused += 1
        return None

    def expand(self, state: Hashable) -> Expansion:
        found = self._judged(state)
        if found is not None:
            self.taken_alone += 1
            self.goal_closed += found[1]
            counted = counts_depth(self._movers, found[0][0])
            self.counted_depth += counted
            return Expansion((found[0],), True, free=not counted)
        expansion = self._base.expand(state)
        if self._free_step is not None and expansion.free is False:
            flags = [self._free_step(action) for action, _ in expansion.successors]
            if any(flags):
                self.free_steps += sum(flags)
                return expansion._replace(free=flags)
        return expansion

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        if self.persistent(state) is not None:
            return ()
        return self._base.expand_rest(state)

    def describe(self) -> dict[str, Any]:
        base = getattr(self._base, "describe", None)
        return {
            "persistent_steps": {
                "method": "persistent sets (Godefroid): a step that commutes with, or is "
                "overwritten by, every other step is taken alone where each checked "
                "property reads nothing it changes or is goal-closed under it; cycle "
                "proviso by the spec's progress measure",
                "depth": "a persistent step counts no level of depth, unless the spec "
                "counts one for it",
                "states_expanded_by_one_step": self.taken_alone,
                "goal_closed": self.goal_closed,
                "refused": self.refused,
                "counted_depth": self.counted_depth,
                "free_steps": self.free_steps,
            },
            **(base() if base is not None else {}),
        }


__all__ = ["PersistentStepExpander"]
