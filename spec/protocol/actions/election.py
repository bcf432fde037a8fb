"""Election, abstracted by Zab.tla into an oracle that names the leader."""

from __future__ import annotations

from spec.protocol.constants import LOOKING, NULL_POINT
from spec.protocol.params import Params
from spec.protocol.role_changes import switch_to_follower, switch_to_leader
from spec.protocol.state import ZabState, replace


def update_leader(s: ZabState, p: Params, i: int) -> ZabState | None:
    """``UpdateLeader(i)``: the oracle picks LOOKING server i as the new leader."""
    if not (s.state[i] == LOOKING and s.leader_oracle != i):
        return None
    return switch_to_leader(replace(s, leader_oracle=i), i)


def follow_leader(s: ZabState, p: Params, i: int) -> ZabState | None:
    """``FollowLeader(i)``: LOOKING server i takes the role the oracle gives it."""
    if not (s.state[i] == LOOKING and s.leader_oracle != NULL_POINT):
        return None
    if s.leader_oracle == i:
        return switch_to_leader(s, i)
    return switch_to_follower(s, i)
