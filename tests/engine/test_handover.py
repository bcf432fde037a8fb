"""The hand-over: a search that starts as one partition in this process and forks its
partitions when a level is large enough gives the one-core search's answers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.engine.test_parallel import (
    CLEAN,
    PERSISTENT,
    counts,
    examples,
    path,
    persistent_options,
)
from tests.engine.toys import Grid, Noisy, Tokens
from zabmc.engine import CheckOptions, CheckResult, check_bfs
from zabmc.engine.parallel import ScaleOptions, check_parallel

VIOLATED = [
    (Grid(6, limit=5), CheckOptions(check_deadlock=False)),
    (Grid(7), CheckOptions()),  # a deadlock at the far corner
    (Noisy(6, 3, limit=4, needed=2), CheckOptions()),
    (Grid(3), CheckOptions()),
    (Grid(5), CheckOptions(check_deadlock=False)),
]


def handed_over(model, options, threshold: int, jobs: int = 2) -> CheckResult:
    return check_parallel(model, options, ScaleOptions(jobs=jobs, handover=threshold))


def assert_same(got: CheckResult, one: CheckResult) -> None:
    assert counts(got) == counts(one)
    assert examples(got) == examples(one)
    assert path(got) == path(one)
    assert (got.violation is None) == (one.violation is None)
    if one.violation is not None:
        assert (got.violation.kind, got.violation.property) == (
            one.violation.kind,
            one.violation.property,
        )


@pytest.mark.parametrize("threshold", [1, 4, 10])
@pytest.mark.parametrize(("model", "options"), CLEAN + VIOLATED)
def test_a_search_handed_over_gives_the_one_core_answers(model, options, threshold):
    one = check_bfs(model, options)
    got = handed_over(model, options, threshold)
    assert_same(got, one)
    # the figures of the seen set count each state once
    if got.complete:
        assert got.distinct_states == one.distinct_states


def test_the_hand_over_happens_at_the_threshold_and_not_before():
    """Before the hand-over one partition holds every state and nothing moves; after it,
    states move between the forked partitions."""
    model, options = Grid(9), CheckOptions(check_deadlock=False)
    stayed = handed_over(model, options, threshold=10**6)
    assert stayed.traffic is not None and stayed.traffic[1] == 0
    spread = handed_over(model, options, threshold=3)
    assert spread.traffic is not None and spread.traffic[1] > 0
    assert counts(spread) == counts(stayed) == counts(check_bfs(model, options))


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_hand_over_under_symmetry_keeps_the_answers(jobs):
    model, options = Tokens(5, 5), CheckOptions(check_deadlock=False, symmetry=True)
    one = check_bfs(model, options)
    got = handed_over(model, options, threshold=3, jobs=jobs)
    assert_same(got, one)
    assert got.smallest_gap == one.smallest_gap or one.smallest_gap is None


@pytest.mark.parametrize("threshold", [1, 3])
@pytest.mark.parametrize("case", range(len(PERSISTENT)))
def test_persistent_steps_and_their_figures_survive_the_hand_over(case, threshold):
    """Reduced expansions (free steps that join their level, the cycle proviso) after a
    hand-over: the one-core answers, and the reduction counted once, not once a worker."""
    model, options = persistent_options(case)

    one = check_bfs(model, options())
    got = handed_over(model, options(), threshold, jobs=3)
    assert_same(got, one)
    if one.violation is None:
        assert got.reduction == one.reduction


@pytest.mark.parametrize("threshold", [2, 4])
@pytest.mark.parametrize(("model", "options"), [CLEAN[0], VIOLATED[0], VIOLATED[1]])
def test_a_memory_bound_spills_before_and_after_the_hand_over(tmp_path, model, options, threshold):
    """Under a bound of one byte a partition, the one partition spills its frontier before
    the hand-over and the workers theirs after it; the workers adopt from the chunks spilled
    before, and the answers are the one-core search's. No spilled chunk outlives the search."""
    spill = tmp_path / "spill"
    folders: set[str] = set()

    def watch(_progress) -> None:
        folders.update(p.parent.name for p in spill.rglob("frontier-*.npz"))

    one = check_bfs(model, options)
    bounded = replace(options, progress=watch)
    got = check_parallel(
        model,
        bounded,
        ScaleOptions(jobs=2, handover=threshold, memory_bytes=2, spill_dir=spill),
    )
    assert_same(got, one)
    assert "before-handover" in folders and {"part-0", "part-1"} <= folders
    assert got.traffic is not None and got.traffic[1] > 0  # handed over, states moved
    assert not list(spill.rglob("*.npz"))
