"""Zab.tla's "utils in state switching": role changes shared by several actions."""

from __future__ import annotations

from spec.protocol.channels import clean_input_buffer
from spec.protocol.constants import DISCOVERY, ELECTION, FOLLOWING, LEADING, LOOKING, NULL_POINT
from spec.protocol.state import (
    AckeInfo,
    AckldInfo,
    CepochInfo,
    ZabState,
    mark_disconnected,
    put,
    replace,
)


def follower_shutdown(s: ZabState, i: int) -> ZabState:
    """``FollowerShutdown(i)``: back to LOOKING/ELECTION, with no leader."""
    return replace(
        s,
        state=put(s.state, i, LOOKING),
        zab_state=put(s.zab_state, i, ELECTION),
        connect_info=put(s.connect_info, i, NULL_POINT),
    )


def leader_shutdown(s: ZabState, i: int) -> ZabState:
    """``LeaderShutdown(i)``: every learner of i (i included) goes back to election.

    Their input buffers are emptied and i forgets its learners.
    """
    group = s.learners[i]
    return replace(
        s,
        state=tuple(LOOKING if group >> k & 1 else v for k, v in enumerate(s.state)),
        zab_state=tuple(ELECTION if group >> k & 1 else v for k, v in enumerate(s.zab_state)),
        connect_info=tuple(
            NULL_POINT if group >> k & 1 else v for k, v in enumerate(s.connect_info)
        ),
        msgs=clean_input_buffer(s.msgs, group),
        learners=put(s.learners, i, 0),
    )


def switch_to_follower(s: ZabState, i: int) -> ZabState:
    """``SwitchToFollower(i)``."""
    return replace(s, state=put(s.state, i, FOLLOWING), zab_state=put(s.zab_state, i, DISCOVERY))


def switch_to_leader(s: ZabState, i: int) -> ZabState:
    """``SwitchToLeader(i)``: i leads, counting itself in every quorum it gathers."""
    return replace(
        s,
        state=put(s.state, i, LEADING),
        zab_state=put(s.zab_state, i, DISCOVERY),
        learners=put(s.learners, i, 1 << i),
        cepoch_recv=put(s.cepoch_recv, i, (CepochInfo(i, True, s.accepted_epoch[i]),)),
        acke_recv=put(s.acke_recv, i, (AckeInfo(i, True, s.current_epoch[i], s.history[i]),)),
        ackld_recv=put(s.ackld_recv, i, (AckldInfo(i, True),)),
        send_counter=put(s.send_counter, i, 0),
    )


def remove_learner(s: ZabState, i: int, j: int) -> ZabState:
    """``RemoveLearner(i, j)``: leader i drops j and marks j's records disconnected."""
    return replace(
        s,
        learners=put(s.learners, i, s.learners[i] & ~(1 << j)),
        cepoch_recv=put(s.cepoch_recv, i, mark_disconnected(s.cepoch_recv[i], j)),
        acke_recv=put(s.acke_recv, i, mark_disconnected(s.acke_recv[i], j)),
        ackld_recv=put(s.ackld_recv, i, mark_disconnected(s.ackld_recv[i], j)),
    )
