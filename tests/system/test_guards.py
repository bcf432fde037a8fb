"""spec.system.guards names each action's guard; over random walks an action is enabled
exactly when every named condition of its guard holds (why_disabled returns None)."""

from __future__ import annotations

import random

import pytest

from spec.system.guards import GUARDS, why_disabled
from spec.system.model import STEPS, SystemModel
from spec.system.params import ZK_TLA, Params

CONFIGS = {
    "fle": Params(voters=3, max_txns=2, max_timeouts=3, max_crashes=2, max_partitions=1),
    "zookeeper-timing": Params(
        voters=3,
        observers=1,
        max_txns=3,
        max_timeouts=3,
        max_crashes=2,
        max_partitions=2,
        zookeeper_timing=True,
    ),
    "split-newleader": Params(voters=3, max_txns=2, max_timeouts=2, max_crashes=2, bug="ZK-4685"),
    # ZkV3_7_0.tla's own abstractions (the TLA+ oracle's replay): tla_election
    "tla": Params(voters=3, max_txns=2, max_timeouts=3, max_crashes=2, max_partitions=1, zk=ZK_TLA),
}


def argument_lists(name: str, n: int) -> list[tuple[int, ...]]:
    _, arity = STEPS[name]
    if arity == 1:
        return [(i,) for i in range(n)]
    if name in ("PartitionStart", "PartitionRecover"):
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    own = [(i, i) for i in range(n)] if name == "LeaderProcessACK" else []
    return [(i, j) for i in range(n) for j in range(n) if i != j] + own


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_an_action_is_enabled_exactly_when_its_named_guard_holds(config: str):
    p = CONFIGS[config]
    model = SystemModel(p)
    rng = random.Random(7)
    checked = disabled = 0
    for _walk in range(40):
        s = model.init_states()[0]
        for _step in range(60):
            for name in GUARDS:
                if name not in STEPS:
                    continue
                fn, _ = STEPS[name]
                for args in argument_lists(name, p.n):
                    enabled = fn(s, p, *args) is not None
                    reason = why_disabled(name, s, p, args)
                    assert enabled == (reason is None), (name, args, reason)
                    checked += 1
                    disabled += not enabled
            moves = list(model.successors(s))
            if not moves:
                break
            s = rng.choice(moves)[1]
    assert checked > 10_000 and 0 < disabled < checked
