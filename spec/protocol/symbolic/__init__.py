"""Zab.tla's port as z3 formulas: the same state and actions over symbolic values.

:mod:`.state` lays a state out as z3 terms within the run's bounds (a history
holds at most MaxTransactionNum entries, a channel a fixed number of messages),
:mod:`.actions` writes each action over it, guard first and then the update, as
``spec/protocol/actions`` does over explicit states, and :mod:`.relation` makes
Init and Next from them. ``tests/protocol/symbolic`` ties the two together:
every explicit transition satisfies the relation, and z3 finds no successor
that the explicit spec lacks.

``proposalMsgsLog`` is a ghost variable that no action reads; it is left out,
so formulas that read it (Integrity, LocalPrimaryOrder) cannot be proved here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from spec.protocol.params import Params
from spec.protocol.symbolic.relation import SymbolicProtocol
from spec.protocol.symbolic.vocabulary import binding
from zabmc.symbolic.setup import SymbolicSetup

#: The protocol spec's invariants written in the property language.
INVARIANTS_FILE = Path(__file__).parents[1] / "invariants.zprop"


def build(
    bounds: Mapping[str, int],
    bug: str | None,
    depth: int | None = None,
    channel: int | None = None,
) -> SymbolicSetup:
    """The symbolic protocol spec for ``bounds`` and its vocabulary over symbolic states.

    With ``depth`` (BMC to that depth) numbers are bit-vectors of a width exact on
    paths of at most ``depth`` steps; without, z3 Ints. ``channel``: a channel's
    capacity (by default 2 * MaxTransactionNum + 3).
    """
    p = Params(
        servers=bounds["nodes"],
        max_timeouts=bounds["max_timeouts"],
        max_txns=bounds["max_txns"],
        max_epoch=bounds["max_epoch"],
        max_restarts=bounds["max_restarts"],
        bug=bug,
    )
    spec = SymbolicProtocol(p, channel, depth=depth)
    return SymbolicSetup(spec, binding(bounds, spec.layout), INVARIANTS_FILE)
