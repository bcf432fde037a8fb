"""The successors found by trying each step only for its candidates
(:mod:`spec.system.candidates`) are those of trying every step of every server and pair
(:meth:`SystemModel.every_successor`), in the same order, on reachable states of several
bound configurations: the coarse and the fine election, crashes, partitions, observers,
the bug variants, ZooKeeper's timing and the TLA+'s election.
"""

from __future__ import annotations

import pytest

from spec.system import Params, SystemModel, bug_params
from spec.system.candidates import Roles, roles
from spec.system.params import ZK_37, ZK_TLA
from spec.system.state import SystemState
from tests.system.helpers import random_walks
from zabmc.engine import Checker

FAULTS = {"max_crashes": 1, "max_partitions": 1, "max_timeouts": 2, "max_txns": 2}

CONFIGS: dict[str, Params] = {
    "fine-3": Params(voters=3),
    "fine-3-faults": Params(voters=3, **FAULTS),
    "fine-2-observer": Params(voters=2, observers=1, **FAULTS),
    "fine-3-zookeeper-timing": Params(voters=3, zookeeper_timing=True, **FAULTS),
    "fine-3-tla-election": Params(voters=3, zk=ZK_TLA, **FAULTS),
    "fine-3-zk37": Params(voters=3, zk=ZK_37, **FAULTS),
    "coarse-3-faults": Params(voters=3, coarse_election=True, max_epoch=3, **FAULTS),
    "coarse-2-observer": Params(voters=2, observers=1, coarse_election=True, **FAULTS),
    "ZK-3911": bug_params("ZK-3911"),
    "ZK-3911-fixed": bug_params("ZK-3911", fixed=True),
    "ZK-4643": bug_params("ZK-4643"),
    "ZK-4646": bug_params("ZK-4646"),
    "ZK-4685": bug_params("ZK-4685"),
    "ZK-2845": bug_params("ZK-2845"),
}


def reachable_sample(model: SystemModel, seed: int) -> list[SystemState]:
    """States of a short breadth-first search, and of seeded random walks that go deeper
    (into crashes, partitions and restarts), each walk taking a random successor of the
    straightforward enumeration."""
    states: list[SystemState] = []
    Checker(model).deadlock(False).depth(5).visitor(states.append).spawn_bfs()
    sample = states[:: max(1, len(states) // 300)]
    start = model.init_states()[0]
    return sample + random_walks(start, model.every_successor, seed, walks=40, steps=60)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_candidates_give_every_successor(name: str) -> None:
    model = SystemModel(CONFIGS[name])
    sample = reachable_sample(model, seed=sorted(CONFIGS).index(name))
    moved = 0
    for s in sample:
        expected = list(model.every_successor(s))
        assert list(model.successors(s)) == expected, model.format_state(s)
        moved += bool(expected)
    assert moved > len(sample) // 2  # the walks did not get stuck at once


def test_the_sample_reaches_what_the_selectors_read() -> None:
    """The samples reach states where each fact the selectors read holds, and states where
    it does not, so the comparison above meets each selector on both sides."""
    held = {field: set() for field in Roles._fields}
    for name in ("fine-3-faults", "coarse-3-faults", "ZK-3911", "fine-3-tla-election"):
        model = SystemModel(CONFIGS[name])
        for s in reachable_sample(model, seed=1):
            r = roles(s, model.params)
            for field in Roles._fields:
                held[field].add(bool(getattr(r, field)))
    held.pop("every")  # never empty
    held.pop("up")  # one crash at a time: some server is always up
    assert [f for f, values in held.items() if values != {False, True}] == []
