"""A search runs with Python's cyclic collector off, in every process that searches, and
leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Sequence

import pytest

from tests.engine.toys import Grid
from zabmc.engine import CheckOptions, Property, check_bfs
from zabmc.engine.parallel import ScaleOptions, check_parallel


class GridCheckingTheCollector(Grid):
    """Grid whose invariant holds only in a process whose cyclic collector is off: the
    invariant runs where the states are checked (a partition's worker under -j 2)."""

    def properties(self) -> Sequence[Property]:
        return [Property.always("CollectorOff", lambda s: not gc.isenabled())]


def search(jobs: int):  # type: ignore[no-untyped-def]
    options = CheckOptions(check_deadlock=False)
    model = GridCheckingTheCollector(6)
    if jobs == 0:
        return check_bfs(model, options)
    return check_parallel(model, options, ScaleOptions(jobs=jobs))


@pytest.mark.parametrize("jobs", [0, 1, 2])
def test_the_collector_is_off_where_states_are_checked_and_on_again_after(jobs):
    assert gc.isenabled()
    result = search(jobs)
    assert result.violation is None and result.distinct_states == 49
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        assert search(0).ok and search(2).ok
        assert not gc.isenabled()
    finally:
        gc.enable()
