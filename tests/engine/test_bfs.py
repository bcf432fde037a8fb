"""The breadth-first engine on toy specs whose answers are known by hand."""

from __future__ import annotations

import pytest

from tests.engine.toys import Grid
from zabmc.engine import CheckOptions, UnknownProperty, check_bfs


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_grid_counts(n: int) -> None:
    result = check_bfs(Grid(n), CheckOptions(check_deadlock=False))
    assert result.distinct_states == (n + 1) ** 2
    # every state but the ones on the far edges has two successors, plus the initial state
    assert result.states_generated == 1 + 2 * n * (n + 1)
    assert result.max_depth == 2 * n
    assert result.states_per_depth == [min(d, 2 * n - d, n) + 1 for d in range(2 * n + 1)]
    assert result.complete and result.ok
    assert result.actions["IncX"].generated == n * (n + 1)
    assert result.actions["IncX"].distinct + result.actions["IncY"].distinct == (n + 1) ** 2 - 1


def test_shortest_counterexample() -> None:
    result = check_bfs(Grid(6, limit=5), CheckOptions(check_deadlock=False))
    v = result.violation
    assert v is not None and v.kind == "invariant" and v.property == "SumBelowLimit"
    assert v.length == 5
    assert sum(v.steps[-1].state) == 5
    # the path is a real one: each step is one increment
    for before, after in zip(v.steps, v.steps[1:], strict=False):
        assert sum(after.state) == sum(before.state) + 1
    assert not result.complete


def test_same_counterexample_every_run() -> None:
    runs = [check_bfs(Grid(6, limit=7), CheckOptions(check_deadlock=False)) for _ in range(3)]
    paths = [[(s.action, s.state) for s in r.violation.steps] for r in runs]
    assert paths[0] == paths[1] == paths[2]


def test_deadlock_is_reported_unless_disabled() -> None:
    result = check_bfs(Grid(2))
    assert result.violation is not None and result.violation.kind == "deadlock"
    assert result.violation.steps[-1].state == (2, 2)
    assert result.violation.length == 4
    assert check_bfs(Grid(2), CheckOptions(check_deadlock=False)).ok


def test_a_final_state_is_not_a_deadlock() -> None:
    """A spec may call a state without successors a normal end (Model.is_final)."""

    class Bounded(Grid):
        def is_final(self, s: tuple[int, int]) -> bool:
            return s == (self.n, self.n)  # both counters ran out: the bounds are spent

    assert check_bfs(Bounded(2)).ok
    assert check_bfs(Bounded(2)).complete

    class Stuck(Grid):
        def is_final(self, s: tuple[int, int]) -> bool:
            return False

    assert check_bfs(Stuck(2)).violation.kind == "deadlock"


def test_depth_bound_cuts_the_search() -> None:
    result = check_bfs(Grid(5), CheckOptions(max_depth=3, check_deadlock=False))
    assert result.max_depth == 3
    assert result.distinct_states == 1 + 2 + 3 + 4
    assert not result.complete


def test_witness_path_is_found() -> None:
    result = check_bfs(Grid(3), CheckOptions(check_deadlock=False))
    corner = result.examples["Corner"]
    assert corner is not None and corner.length == 6 and corner.steps[-1].state == (3, 3)


def test_unknown_invariant_is_refused_with_the_choices() -> None:
    with pytest.raises(UnknownProperty, match="SumBelowLimit"):
        check_bfs(Grid(2, limit=3), CheckOptions(invariants=["Nope"]))


def test_selected_invariant_only() -> None:
    # With no invariant selected but the witness, the limit is not checked.
    result = check_bfs(Grid(3, limit=2), CheckOptions(invariants=[], check_deadlock=False))
    assert result.ok and result.distinct_states == 16


def test_progress_is_reported() -> None:
    seen = []
    check_bfs(
        Grid(60),
        CheckOptions(check_deadlock=False, progress=seen.append, progress_interval_s=0.0),
    )
    assert seen, "a progress callback with a zero interval must fire"
    assert all(p.distinct <= 61 * 61 for p in seen)
    assert [p.generated for p in seen] == sorted(p.generated for p in seen)


def test_progress_counts_every_distinct_state_as_expanded_or_queued() -> None:
    # With a zero interval a report comes after every 256th expansion, so the k-th (from 1)
    # has 256 k states expanded; each distinct state is either expanded or still queued.
    seen = []
    check_bfs(
        Grid(60),
        CheckOptions(check_deadlock=False, progress=seen.append, progress_interval_s=0.0),
    )
    assert len(seen) >= 10
    assert [p.distinct - p.queue for p in seen] == [256 * k for k in range(1, len(seen) + 1)]


class _OneCallGrid(Grid):
    """A grid whose invariants are checked by its own one call: it answers for x + y < limit
    as the condition does, and counts the states it is asked about."""

    def __init__(self, n: int, limit: int) -> None:
        super().__init__(n, limit)
        self.asked = 0

    def invariant_checker(self, invariants):  # type: ignore[no-untyped-def]
        assert [p.name for p in invariants] == ["SumBelowLimit"]

        def broken(s: tuple[int, int]) -> str | None:
            self.asked += 1
            return None if s[0] + s[1] < self.limit else "SumBelowLimit"

        return broken


def test_every_search_checks_through_the_models_one_call() -> None:
    """The one-core search, the partitioned one and simulation ask the model's
    ``invariant_checker`` about each state they check, and report what it names."""
    from zabmc.engine.parallel import ScaleOptions, check_parallel
    from zabmc.engine.simulate import SimulateOptions, simulate

    plain = check_bfs(Grid(6, limit=5))
    for search in (
        lambda m: check_bfs(m),
        lambda m: check_parallel(m, CheckOptions(), ScaleOptions(jobs=1)),
    ):
        model = _OneCallGrid(6, limit=5)
        result = search(model)
        assert model.asked == result.distinct_states == plain.distinct_states
        assert result.violation is not None and result.violation.property == "SumBelowLimit"
        assert [s.state for s in result.violation.steps] == [
            s.state
            for s in plain.violation.steps  # type: ignore[union-attr]
        ]
    model = _OneCallGrid(6, limit=5)
    walked = simulate(model, SimulateOptions(runs=3, steps=20, seed=1))
    assert model.asked > 0
    assert walked.violation is not None and walked.violation.property == "SumBelowLimit"
