"""The method of ``bench/before_faults.py --after``, which README's figures for the default
bounds rest on: the reduced search with a fault left is exactly the states it meets before
any fault, together with the searches that start at the fault's successors (the roots).

That holds only if the reduction's choice at a state depends on the state alone, not on
the path that reached it, and if the bench counts and hands over every root; so it is
checked here on configurations small enough to search whole: two servers with a timeout, a
crash or a partition, an observer, and three with the coarse election.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.scenarios import StartingFrom

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def before_faults() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # the bench scripts import their sibling `machine`
    try:
        return importlib.import_module("before_faults")
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize(
    "bounds",
    [
        {"voters": 2},
        {"voters": 2, "max_timeouts": 0, "max_crashes": 1},
        {"voters": 2, "max_timeouts": 0, "max_partitions": 1},
        {"voters": 2, "observers": 1, "coarse_election": True},
        {"voters": 3, "coarse_election": True},
        {"voters": 3, "coarse_election": True, "max_timeouts": 0, "max_crashes": 1},
    ],
)
def test_the_search_is_what_comes_before_the_fault_and_after_it(
    before_faults: ModuleType, bounds: dict
) -> None:
    model = SystemModel(Params(**bounds))
    whole = before_faults.reduced_search(model, before_faults.reducing_expander_for(model))
    assert whole.complete and whole.violation is None

    collecting = before_faults.CollectingRoots(
        before_faults.reducing_expander_for(model), model, sample=10**9, seed=1
    )
    before = before_faults.reduced_search(model, collecting)
    roots = [root for _, root in collecting.sample]
    assert len(roots) == len(collecting.seen) == sum(collecting.by_fault.values()) > 0
    faults_used = [r.recorder.timeouts + r.recorder.crashes + r.recorder.partitions for r in roots]
    assert set(faults_used) == {1}
    after_model = StartingFrom(model.params, *roots)
    after = before_faults.reduced_search(
        after_model, before_faults.reducing_expander_for(after_model)
    )

    # A root has a fault in its recorder and no state before the fault has, so the two
    # parts are disjoint, and together they are the whole search.
    assert before.distinct_states + after.distinct_states == whole.distinct_states


def test_a_sample_is_drawn_from_the_roots_and_is_the_same_for_a_seed(
    before_faults: ModuleType,
) -> None:
    model = SystemModel(Params(voters=2))

    def sample(seed: int) -> list:
        collecting = before_faults.CollectingRoots(
            before_faults.reducing_expander_for(model), model, sample=4, seed=seed
        )
        before_faults.reduced_search(model, collecting)
        assert len(collecting.seen) > 4
        assert all(hash(root) in collecting.seen for _, root in collecting.sample)
        return collecting.sample

    assert sample(1) == sample(1)
    assert len(sample(1)) == 4
