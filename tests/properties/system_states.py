"""System-spec states to compare formulas on: a breadth-first run to a depth, and crossbred ones."""

from __future__ import annotations

import random

from spec.system import SPEC_INFO
from spec.system.ghost import (
    COMMITTED_TRUNCATED,
    ELECTION_UNSOUND,
    MESSAGE_ILLEGAL,
    QUORUM_ABANDONED,
)
from spec.system.log import log_of
from spec.system.state import Breach, SystemState, put
from spec.system.zxid import epoch_of, make_zxid
from zabmc.engine import CheckOptions, check_bfs

BOUNDS = dict(
    nodes=3, observers=0, max_txns=2, max_epoch=2, max_crashes=0, max_partitions=0, max_timeouts=0
)


def reachable(depth: int, bounds: dict[str, int] = BOUNDS) -> list[SystemState]:
    """Every state within ``depth`` steps, with a coarse election so that txns commit early."""
    model = SPEC_INFO.build(bounds, None, {"coarse_election": True})
    states: list = []
    options = CheckOptions(
        max_depth=depth, invariants=[], check_deadlock=False, on_state=states.append
    )
    check_bfs(model, options)
    return states


def crossbred(states: list[SystemState], count: int, seed: int) -> list[SystemState]:
    """States with one server's groups taken from another state, and other damage."""
    rng = random.Random(seed)
    made = []
    n = len(states[0].servers)
    for _ in range(count):
        a, b = rng.choice(states), rng.choice(states)
        i, j = rng.randrange(n), rng.randrange(n)
        s = a._replace(
            servers=put(a.servers, i, b.servers[j]),
            leaders=put(a.leaders, i, b.leaders[j]),
            learners=put(a.learners, i, b.learners[j]),
        )
        srv = s.servers[i]
        if srv.history and rng.random() < 0.3:
            k = rng.randrange(len(srv.history))
            h = list(srv.history)
            h[k] = h[k]._replace(value=h[k].value + 7)
            srv = srv._replace(history=log_of(h))
        if len(srv.history) >= 2 and rng.random() < 0.3:  # out of epoch order
            first, *rest = srv.history
            late = first._replace(zxid=make_zxid(epoch_of(srv.history[-1].zxid) + 1, 1))
            srv = srv._replace(history=log_of((late, *rest)))
        if rng.random() < 0.5:
            srv = srv._replace(last_committed=len(srv.history))
        if rng.random() < 0.3:
            srv = srv._replace(current_epoch=srv.current_epoch + 1, last_committed=0)
        s = s._replace(servers=put(s.servers, i, srv))
        g = s.ghost
        if rng.random() < 0.15:
            g = g._replace(epoch_leader=put(g.epoch_leader, rng.randrange(2), 0b11))
        if rng.random() < 0.15:
            kind = rng.choice(
                (MESSAGE_ILLEGAL, COMMITTED_TRUNCATED, ELECTION_UNSOUND, QUORUM_ABANDONED)
            )
            g = g._replace(breaches=(*g.breaches, Breach(kind, i, j, 0)))
        if rng.random() < 0.2:
            g = g._replace(committed=b.ghost.committed)
        if rng.random() < 0.1:
            g = g._replace(proposals=b.ghost.proposals)
        made.append(s._replace(ghost=g))
    return made
