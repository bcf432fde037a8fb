"""Persistent steps: a step that the search may take alone, leaving the others for later.

Partial-order reduction (Godefroid's persistent sets, Peled's ample sets): where a spec
names an enabled step that is a persistent set on its own
(:mod:`zabmc.engine.reduction.movers`), the search explores that step only. Every run
that takes the other steps first has a counterpart that takes this one first and meets
the same states but for this step's effect, which no checked property reads; a run in
which a later step overwrites the step (a crash of its server) reaches that step's state
exactly. So every reachable state, with the properties' values, has a representative in
the reduced search.

The engine adds the conditions that the spec cannot see:

* **invisibility**: the step changes no part of the state that a checked property reads,
  here (the spec promises the same wherever the step is taken along the others' paths);
* **the cycle proviso**: a reduced search must not go round a cycle that postpones the
  other steps forever. The step is taken alone only if it raises the spec's ``progress``
  measure; every cycle has a step that does not raise it, and there the search expands
  everything. A measure that is wrong costs reduction, not soundness;
* **depth**: a persistent step is part of the step that led to it and counts no level of
  depth (``Expansion.free``), as ZooKeeper's thread would take it before anyone noticed.

Where no persistent step is named, or one fails a condition, the state is expanded by the
``base`` expander (every step, or Lipton chains).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from zabmc.engine.expansion import Expander, Expansion
from zabmc.engine.model import Action
from zabmc.engine.reduction.movers import Movers, parts_changed, visible_parts


class PersistentStepExpander:
    """A state's persistent step alone, where the spec names one; else the ``base`` expansion."""

    def __init__(self, base: Expander, movers: Movers, properties: Sequence[str]) -> None:
        self._base = base
        self._movers = movers
        self._visible = visible_parts(movers, properties)
        self.taken_alone = 0  # states expanded by their persistent step only
        self.refused = 0  # persistent steps named but expanded in full (visible, no progress)

    def persistent(self, state: Hashable) -> tuple[Action, Hashable] | None:
        """The step to take alone from ``state``, or None."""
        if self._visible is None:
            return None
        step = self._movers.persistent_step(state)
        if step is None:
            return None
        succ = step[1]
        if parts_changed(self._movers, state, succ) & self._visible or not (
            self._movers.progress(succ) > self._movers.progress(state)
        ):
            self.refused += 1
            return None
        return step

    def expand(self, state: Hashable) -> Expansion:
        step = self.persistent(state)
        if step is not None:
            self.taken_alone += 1
            return Expansion((step,), True, free=True)
        return self._base.expand(state)

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        if self.persistent(state) is not None:
            return ()
        return self._base.expand_rest(state)

    def describe(self) -> dict[str, Any]:
        base = getattr(self._base, "describe", None)
        return {
            "persistent_steps": {
                "method": "persistent sets (Godefroid): a step that commutes with, or is "
                "overwritten by, every other step is taken alone; cycle proviso by the "
                "spec's progress measure",
                "depth": "a persistent step counts no level of depth",
                "states_expanded_by_one_step": self.taken_alone,
                "refused": self.refused,
            },
            **(base() if base is not None else {}),
        }


__all__ = ["PersistentStepExpander"]
