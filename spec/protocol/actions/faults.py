"""Failures: a lost leader-follower connection (Timeout) and a server restart.

Zab.tla has no separate Crash: a server that restarts and then takes no step
is indistinguishable from a crashed one.
"""

from __future__ import annotations

from spec.protocol.channels import clean, clean_input_buffer
from spec.protocol.constants import FOLLOWING, LEADING, LOOKING, NULL_POINT, ZERO_ZXID
from spec.protocol.params import Params
from spec.protocol.recorder import after_restart, after_timeout, check_restart, check_timeout
from spec.protocol.role_changes import follower_shutdown, leader_shutdown, remove_learner
from spec.protocol.state import LastCommitted, ZabState, has, is_quorum, put, replace


def timeout(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``Timeout(i, j)``: leader i and its follower j lose their connection.

    If i still has a quorum without j, only j goes back to election;
    otherwise i shuts down, taking all its learners with it.
    """
    if not check_timeout(s, p):
        return None
    if not (s.state[i] == LEADING and has(s.learners[i], j)):
        return None
    if not (s.state[j] == FOLLOWING and s.connect_info[j] == i):
        return None
    if is_quorum(s.learners[i] & ~(1 << j), p.servers):
        t = follower_shutdown(remove_learner(s, i, j), j)
        t = replace(t, msgs=clean(s.msgs, i, j))
    else:
        t = leader_shutdown(s, i)
    return replace(t, recorder=after_timeout(s.recorder))


def restart(s: ZabState, p: Params, i: int) -> ZabState | None:
    """``Restart(i)``: server i restarts, keeping its epochs and history on disk.

    What it knew to be committed is forgotten; its connections break as a
    Timeout would break them.
    """
    if not check_restart(s, p):
        return None
    if s.state[i] == LOOKING:
        t = s
    elif s.state[i] == FOLLOWING:
        leader = s.connect_info[i]
        if leader != NULL_POINT:
            if is_quorum(s.learners[leader] & ~(1 << i), p.servers):
                t = follower_shutdown(remove_learner(s, leader, i), i)
                t = replace(t, msgs=clean(s.msgs, leader, i))
            else:
                t = leader_shutdown(s, leader)
        else:
            t = follower_shutdown(s, i)
            t = replace(t, msgs=clean_input_buffer(s.msgs, 1 << i))
    else:
        t = leader_shutdown(s, i)
    return replace(
        t,
        last_committed=put(s.last_committed, i, LastCommitted(0, ZERO_ZXID)),
        recorder=after_restart(s.recorder),
    )
