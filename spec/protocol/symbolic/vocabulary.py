"""The property language's names (spec/protocol/vocabulary.py) over symbolic protocol states."""

from __future__ import annotations

from collections.abc import Mapping

from spec.protocol.constants import MAXEPOCH
from spec.protocol.symbolic.state import Layout, SymZab
from spec.protocol.vocabulary import vocabulary
from zabmc.symbolic.compile import SymbolicBinding
from zabmc.symbolic.values import SFun


def _per_server(values: tuple) -> SFun:
    return SFun(tuple(range(len(values))), values)


def binding(bounds: Mapping[str, int], layout: Layout) -> SymbolicBinding:
    """Each variable of the protocol vocabulary as a function of a :class:`SymZab`."""
    n = layout.servers

    def msgs(s: SymZab) -> SFun:
        rows = []
        for i in range(n):
            row = tuple(layout.empty_channel if i == j else s.channel(i, j) for j in range(n))
            rows.append(_per_server(row))
        return _per_server(tuple(rows))

    variables = {
        "state": lambda s: _per_server(s.state),
        "zabState": lambda s: _per_server(s.zab_state),
        "acceptedEpoch": lambda s: _per_server(s.accepted_epoch),
        "currentEpoch": lambda s: _per_server(s.current_epoch),
        "history": lambda s: _per_server(s.history),
        "lastCommitted": lambda s: _per_server(s.last_committed),
        "learners": lambda s: _per_server(s.learners),
        "cepochRecv": lambda s: _per_server(s.cepoch_recv),
        "ackeRecv": lambda s: _per_server(s.acke_recv),
        "ackldRecv": lambda s: _per_server(s.ackld_recv),
        "sendCounter": lambda s: _per_server(s.send_counter),
        "connectInfo": lambda s: _per_server(s.connect_info),
        "leaderOracle": lambda s: s.leader_oracle,
        "msgs": msgs,
        "epochLeader": lambda s: SFun(tuple(range(1, MAXEPOCH + 1)), s.epoch_leader),
        "violatedInvariants": lambda s: s.violated,
        "recorder": lambda s: s.recorder,
    }
    top = max(layout.max_txns, layout.channel, bounds["max_epoch"]) + 1
    return SymbolicBinding(
        vocabulary=vocabulary(bounds),
        variables=variables,
        int_range=(-1, top),
        int_width=layout.width,
        missing={
            "proposalMsgsLog": "is a ghost variable that the symbolic encoding leaves out "
            "(no action reads it), so zabmc prove cannot check formulas that read it"
        },
    )
