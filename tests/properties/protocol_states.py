"""States to compare formulas on: every reachable state of a small run, and crossbred ones.

Reachable states of the fixed spec satisfy every invariant, so a formula
that is always true would agree with them all. Crossbreeding (server i of
one reachable state put into another) gives states that break each
invariant, so that a comparison can fail.
"""

from __future__ import annotations

import random

from spec.protocol import Params, ProtocolModel
from spec.protocol.state import LastCommitted, ZabState, put
from zabmc.engine import CheckOptions, check_bfs

#: The default bounds of the protocol spec (5,170 states), and the bugs' bounds (9,451).
SMALL = dict(nodes=3, max_timeouts=1, max_txns=1, max_epoch=1, max_restarts=0)
BUG_BOUNDS = dict(nodes=3, max_timeouts=0, max_txns=2, max_epoch=2, max_restarts=0)
PER_SERVER = (
    "state",
    "zab_state",
    "accepted_epoch",
    "current_epoch",
    "history",
    "last_committed",
    "learners",
    "connect_info",
)


def reachable(bounds: dict[str, int], bug: str | None = None) -> list[ZabState]:
    """Every state of the run with ``bounds``, breadth-first, in a fixed order."""
    model = ProtocolModel(
        Params(
            servers=bounds["nodes"],
            max_timeouts=bounds["max_timeouts"],
            max_txns=bounds["max_txns"],
            max_epoch=bounds["max_epoch"],
            max_restarts=bounds["max_restarts"],
            bug=bug,
        )
    )
    states: list = []
    options = CheckOptions(
        max_depth=None, invariants=[], check_deadlock=False, on_state=states.append
    )
    check_bfs(model, options)
    return states


def crossbred(states: list[ZabState], count: int, seed: int) -> list[ZabState]:
    """``count`` states, each a reachable one with one server's variables from another."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        a, b = rng.choice(states), rng.choice(states)
        i, j = rng.randrange(3), rng.randrange(3)
        s = a
        for name in PER_SERVER:
            s = s._replace(**{name: put(getattr(s, name), i, getattr(b, name)[j])})
        if s.history[i] and rng.random() < 0.3:  # another value under the same zxid
            k = rng.randrange(len(s.history[i]))
            h = list(s.history[i])
            h[k] = h[k]._replace(value=h[k].value + 7)
            s = s._replace(history=put(s.history, i, tuple(h)))
        if len(s.history[i]) >= 2 and rng.random() < 0.3:  # a log out of epoch order
            first, *rest = s.history[i]
            late = first._replace(zxid=(s.history[i][-1].zxid[0] + 1, 1))
            s = s._replace(history=put(s.history, i, (late, *rest)))
        if rng.random() < 0.5:  # everything logged is committed: more to disagree on
            lc = tuple(
                LastCommitted(len(h), h[-1].zxid) if h else c
                for h, c in zip(s.history, s.last_committed, strict=True)
            )
            s = s._replace(last_committed=lc)
        if rng.random() < 0.3:  # server i is in a later epoch
            s = s._replace(current_epoch=put(s.current_epoch, i, s.current_epoch[i] + 1))
        if rng.random() < 0.3:  # server i forgets its commits
            s = s._replace(last_committed=put(s.last_committed, i, LastCommitted(0, (0, 0))))
        if rng.random() < 0.2:
            s = s._replace(epoch_leader=put(s.epoch_leader, rng.randrange(2), 0b11))
        made.append(s)
    return made
