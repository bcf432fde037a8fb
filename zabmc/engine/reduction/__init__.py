"""Reduction of the interleavings a search explores, knowing nothing of the spec.

:mod:`.lipton` chains a process's right movers with its next step (atomic local
steps); :mod:`.movers` is what a spec declares for it; :mod:`.verify` checks a
declaration against the definition on a whole state space.

Not here, and why (see the README's section on reduction): stubborn or ample sets
and sleep sets. Sleep sets need a sleep set stored with each seen state and
intersected on revisits, which a fingerprint-only seen set cannot hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from zabmc.engine.expansion import Expander, FullExpander
from zabmc.engine.model import Model
from zabmc.engine.reduction.lipton import ChainExpander
from zabmc.engine.reduction.movers import Movers


def reducing_expander(model: Model, properties: Sequence[str]) -> Expander:
    """The reduction ``model`` allows for checking ``properties`` (every invariant and
    witness the search evaluates), or the full expansion when it declares none."""
    movers = model.movers()
    if movers is None:
        return FullExpander(model)
    return ChainExpander(model, movers, properties)


__all__ = ["ChainExpander", "Movers", "reducing_expander"]
