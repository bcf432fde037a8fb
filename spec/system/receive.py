"""Taking a Zab message off a channel, and judging whether it can arrive where it does.

Every step that takes a message is guarded by :func:`taking`; a message that is
impossible in the receiver's state (its role, its connection) is taken by
:func:`illegal`, which records the breach ShouldNotBeTriggered reports instead of
dropping the message quietly, as ZkV3_7_0.tla checks inside its actions.
"""

from __future__ import annotations

from typing import Any

from spec.system import channels as net
from spec.system.constants import FOLLOWING, LEADING, OBSERVING
from spec.system.ghost import MESSAGE_ILLEGAL, breach
from spec.system.params import Params
from spec.system.state import SystemState, state_with


def is_learner_of(s: SystemState, i: int, j: int) -> bool:
    """``IsMyLeader(i, j)``: i follows or observes j and is connected to it."""
    return s.servers[i].state in (FOLLOWING, OBSERVING) and s.learners[i].leader == j


def is_leader_of(s: SystemState, i: int, j: int) -> bool:
    """``IsMyLearner(i, j)``: i leads and has a LearnerHandler for j."""
    return s.servers[i].state == LEADING and bool(s.leaders[i].learners >> j & 1)


def taking(s: SystemState, p: Params, i: int, j: int, *types: int) -> Any:
    """The message at the head of the channel from j to i, if i is up and it has one of
    ``types``: the guard of every step that takes a Zab message. A message record of
    :mod:`spec.system.messages` (read by field), or None.
    """
    msg = net.zab_head(s.network, p.n, i, j)
    if msg is None or msg[0] not in types or not s.servers[i].online:
        return None
    return msg


def illegal(s: SystemState, p: Params, i: int, j: int, msg: tuple) -> SystemState:
    """i takes ``msg`` from j, which cannot arrive in i's state: a breach."""
    s = state_with(s, network=net.discard(s.network, p.n, i, j))
    zxid = getattr(msg, "zxid", 0)
    return breach(s, MESSAGE_ILLEGAL, i, j, zxid, msg[0])
