"""Reduction of the interleavings a search explores, knowing nothing of the spec.

:mod:`.persistent` takes a step alone where the spec names it a persistent set
(partial-order reduction, with the cycle proviso); :mod:`.lipton` chains a process's
right movers with its next step (atomic local steps); :mod:`.movers` is what a spec
declares for both; :mod:`.verify` checks a declaration against the definition on a
whole state space.

Not here, and why (see the README's section on reduction): stubborn sets larger than
one step, and sleep sets. Sleep sets need a sleep set stored with each seen state and
intersected on revisits, which a fingerprint-only seen set cannot hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from zabmc.engine.expansion import Expander, FullExpander
from zabmc.engine.model import Model
from zabmc.engine.reduction.lipton import ChainExpander
from zabmc.engine.reduction.movers import Movers
from zabmc.engine.reduction.persistent import PersistentStepExpander


def reducing_expander(model: Model, properties: Sequence[str], chains: bool = False) -> Expander:
    """The reduction ``model`` allows for checking ``properties`` (every invariant and
    witness the search evaluates), or the full expansion when it declares none.

    Persistent steps always; Lipton chains only when asked (``chains``): they store fewer
    states but cost more time, since a chain's inner states are computed again from each
    state that starts it (bench/reduction.py).
    """
    movers = model.movers()
    if movers is None:
        return FullExpander(model)
    base: Expander = ChainExpander(model, movers, properties) if chains else FullExpander(model)
    return PersistentStepExpander(base, movers, properties)


__all__ = ["ChainExpander", "Movers", "PersistentStepExpander", "reducing_expander"]
