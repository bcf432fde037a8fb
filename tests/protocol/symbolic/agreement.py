"""Comparing the z3 encoding of the protocol spec with the explicit spec, state by state."""

from __future__ import annotations

from spec.protocol import Params, ProtocolModel
from spec.protocol.state import ZabState, initial_state
from tests.symbolic_agreement import walked_states
from zabmc.engine import Action

#: Bounds with every action reachable: a timeout, a restart, two txns, two epochs.
PARAMS = Params(servers=3, max_timeouts=1, max_txns=2, max_epoch=2, max_restarts=1)


def without_ghost(s: ZabState) -> ZabState:
    """The encoding leaves out proposalMsgsLog, which no action reads."""
    return s._replace(proposal_msgs_log=())


def sampled_states(p: Params, count: int, seed: int, walk: int = 40) -> list[ZabState]:
    """``count`` states from seeded random walks of up to ``walk`` steps from Init."""
    return walked_states(
        ProtocolModel(p).successors, lambda: initial_state(p.servers), count, seed, walk
    )


def explicit_successors(model: ProtocolModel, s: ZabState) -> set[tuple[Action, ZabState]]:
    return {(a, without_ghost(t)) for a, t in model.successors(s)}
