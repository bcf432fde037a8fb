"""The property language's names (spec/system/vocabulary.py) over symbolic system states."""

from __future__ import annotations

from collections.abc import Mapping

import z3

from spec.system.constants import MAX_EPOCHS_RECORDED
from spec.system.symbolic.state import Layout, SymSystem
from spec.system.vocabulary import vocabulary
from zabmc.symbolic.compile import SymbolicBinding
from zabmc.symbolic.values import SFun


def _per_server(values: tuple) -> SFun:
    return SFun(tuple(range(len(values))), values)


def _field(group: str, name: str):
    return lambda s: _per_server(tuple(x[name] for x in getattr(s, group)))


def binding(bounds: Mapping[str, int], layout: Layout) -> SymbolicBinding:
    """Each variable of the system vocabulary as a function of a :class:`SymSystem`."""

    def epoch_leader(s: SymSystem) -> SFun:
        # epochs above MaxEpoch are never established: their sets stay empty
        empty = layout.mask(0)
        masks = tuple(
            s.epoch_leader[e - 1] if e <= layout.max_epoch else empty
            for e in range(1, MAX_EPOCHS_RECORDED + 1)
        )
        return SFun(tuple(range(1, MAX_EPOCHS_RECORDED + 1)), masks)

    variables = {
        # every server is up: the configuration has no crashes
        "online": lambda s: _per_server(tuple(z3.BoolVal(True) for _ in s.servers)),
        "state": _field("servers", "state"),
        "zabState": _field("servers", "zab_state"),
        "acceptedEpoch": _field("servers", "accepted_epoch"),
        "currentEpoch": _field("servers", "current_epoch"),
        "history": _field("servers", "history"),
        "lastSnapshot": _field("servers", "last_snapshot"),
        "lastCommitted": _field("servers", "last_committed"),
        "lastProcessed": _field("servers", "last_processed"),
        "learners": _field("leaders", "learners"),
        "forwarding": _field("leaders", "forwarding"),
        "connectInfo": _field("learners", "leader"),
        "nlReceived": _field("learners", "nl_received"),
        "epochLeader": epoch_leader,
        "committedLog": lambda s: s.committed,
        "breaches": lambda s: s.breaches,
    }
    top = max(layout.history, layout.channel, bounds["max_epoch"], MAX_EPOCHS_RECORDED) + 1
    return SymbolicBinding(
        vocabulary=vocabulary(bounds),
        variables=variables,
        int_range=(-1, top),
        missing={
            "proposalMsgsLog": "is a ghost variable that the symbolic encoding leaves out "
            "(no action reads it), so zabmc prove cannot check formulas that read it"
        },
    )
