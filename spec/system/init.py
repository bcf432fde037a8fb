"""The initial state: every server starts, LOOKING, and sends its vote for itself."""

from __future__ import annotations

from spec.system.election.votes import kept_vote, next_round, no_votes, self_vote
from spec.system.params import Params
from spec.system.role_changes import send_own_notification
from spec.system.state import (
    EMPTY_LEARNER,
    Election,
    Network,
    Recorder,
    SystemState,
    empty_ghost,
    empty_leader,
    fresh_server,
)


def initial_state(p: Params) -> SystemState:
    """All servers up with empty logs and epochs 0; each has sent its first notification
    (lookForLeader begins with logicalclock 0 + 1 and ``sendNotifications``).
    """
    n = p.n
    servers = tuple(fresh_server() for _ in range(n))
    s = SystemState(
        servers=servers,
        elections=tuple(
            Election(
                kept_vote(p, self_vote(p, servers[i], i)),
                next_round(p, 0),
                no_votes(p),
                no_votes(p),
                (),
                False,
            )
            for i in range(n)
        ),
        leaders=(empty_leader(n),) * n,
        learners=(EMPTY_LEARNER,) * n,
        network=Network(((),) * (n * n), ((),) * (n * n), 0),
        ghost=empty_ghost(),
        recorder=Recorder(),
    )
    for i in range(n):
        s = send_own_notification(s, p, i)
    return s
