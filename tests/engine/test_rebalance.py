"""A state stays with the partition that found it, only its fingerprint goes to the owner of
that fingerprint, and a level's frontier is evened out when one partition found more. The
answers are the one-core search's whatever the number of partitions, the windows, the
hand-over or the rebalancing."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine.test_handover import VIOLATED, assert_same
from tests.engine.test_parallel import (
    CLEAN,
    PERSISTENT,
    Mixer,
    counts,
    examples,
    path,
    persistent_options,
)
from tests.engine.toys import Grid
from zabmc.engine import CheckOptions, check_bfs, partition
from zabmc.engine.parallel import ScaleOptions, check_parallel
from zabmc.engine.partition import Batch, rebalance_plan


@pytest.fixture
def always_rebalance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even out every level that is not even already, however small."""
    monkeypatch.setattr(partition, "REBALANCE_SKEW", 0.0)
    monkeypatch.setattr(partition, "REBALANCE_MIN", 1)


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A window of one rank a partition: a level is expanded in many windows, each of which
    needs the frontier of every partition in rank order."""
    monkeypatch.setattr(partition, "WINDOW_STATES", 1)
    from zabmc.engine import parallel

    monkeypatch.setattr(parallel, "WINDOW_STATES", 1)


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize(("model", "options"), CLEAN + VIOLATED)
def test_rebalanced_levels_give_the_one_core_answers(
    always_rebalance, small_windows, jobs, model, options
):
    """States given away to even a level keep their ranks: counts, witnesses and the
    shortest counterexample stay the one-core search's, in windows of one rank."""
    one = check_bfs(model, options)
    got = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert_same(got, one)
    if got.complete:
        assert got.distinct_states == one.distinct_states


def test_the_rebalancing_path_is_taken(always_rebalance):
    """Forced on, partitions do give states away (the tests above exercise the path), and the
    figures say how many; left at its threshold, a small search never rebalances."""
    model, options = Grid(12), CheckOptions(check_deadlock=False)
    forced = check_parallel(model, options, ScaleOptions(jobs=3))
    assert forced.states_given > 0
    assert counts(forced) == counts(check_bfs(model, options))


def test_a_small_search_is_not_rebalanced():
    got = check_parallel(Grid(12), CheckOptions(check_deadlock=False), ScaleOptions(jobs=3))
    assert got.states_given == 0


@pytest.mark.parametrize("threshold", [1, 3])
@pytest.mark.parametrize("case", range(len(PERSISTENT)))
def test_persistent_steps_and_the_proviso_with_rebalancing(always_rebalance, case, threshold):
    """Free steps that join their level, the cycle proviso, the reduction's figures, after a
    hand-over and with every level evened out."""
    model, options = persistent_options(case)
    one = check_bfs(model, options())
    got = check_parallel(model, options(), ScaleOptions(jobs=3, handover=threshold))
    assert_same(got, one)
    if one.violation is None:
        assert got.reduction == one.reduction


@pytest.mark.parametrize("jobs", [2, 3])
def test_the_proviso_learns_which_candidates_were_new_when_bodies_stay(always_rebalance, jobs):
    """A parent whose reduced successors were all old gets the rest: the owners' answers
    name positions among the fingerprints each finder sent (some not sent again)."""
    from tests.engine.test_parallel import FirstTwo

    model = Mixer(997)
    options = CheckOptions(check_deadlock=False, expander=FirstTwo(model))
    one = check_parallel(model, options, ScaleOptions(jobs=1))
    got = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert counts(got) == counts(one) and path(got) == path(one)
    assert got.moves_skipped > 0 and got.states_given > 0


@pytest.mark.parametrize(("saved", "resumed"), [(2, 3), (3, 1), (2, 2)])
def test_a_checkpoint_resumes_with_any_number_of_partitions(
    tmp_path, always_rebalance, saved, resumed
):
    """The seen set is split by fingerprint and the frontier by rank, so any number of
    partitions takes the files over."""
    model, options = Grid(9), CheckOptions(check_deadlock=False)
    folder = tmp_path / "ckpt"
    cut = CheckOptions(check_deadlock=False, max_depth=6)
    check_parallel(model, cut, ScaleOptions(jobs=saved, checkpoint=folder, checkpoint_every_s=0))
    whole = check_bfs(model, options)
    got = check_parallel(model, options, ScaleOptions(jobs=resumed, resume=folder))
    assert counts(got) == counts(whole) and examples(got) == examples(whole)


def test_a_bodiless_batch_carries_no_states_and_reads_back():
    batch = Batch(
        np.array([3, 1], dtype=np.uint64),
        np.array([5, 6], dtype=np.int64),
        np.array([7, 7], dtype=np.uint64),
        np.array([0, 1], dtype=np.uint16),
        np.array([False, True]),
        ["A", "B"],
        None,
    )
    data = batch.to_bytes()
    back = Batch.from_bytes(data)
    assert back.states is None
    assert back.fps.tolist() == [3, 1] and back.keys.tolist() == [5, 6]
    assert back.free.tolist() == [False, True] and back.names == ["A", "B"]
    with_states = Batch.from_bytes(batch.subset(np.array([1])).to_bytes())
    assert with_states.states is None and with_states.fps.tolist() == [1]


@pytest.mark.parametrize(
    "sizes",
    [[100_000, 0], [0, 100_000], [90_000, 10_000, 50_000], [7, 0, 0, 0], [5_000, 5_001]],
)
def test_a_rebalancing_plan_moves_each_surplus_to_a_deficit(always_rebalance, sizes):
    plan = rebalance_plan(sizes)
    total, count = sum(sizes), len(sizes)
    if max(sizes) - min(sizes) <= 1:
        assert plan is None
        return
    assert plan is not None
    after = list(sizes)
    for src, gifts in enumerate(plan):
        for dst, n in gifts.items():
            assert n > 0 and dst != src
            assert not plan[dst]  # a partition gives or takes, never both
            after[src] -= n
            after[dst] += n
    assert sum(after) == total
    assert max(after) - min(after) <= 1  # each holds the mean, give or take one
    assert sorted(after) == sorted(total // count + (k < total % count) for k in range(count))


def test_a_rebalancing_plan_waits_for_a_real_skew():
    assert rebalance_plan([50_400, 49_600]) is None  # 0.8% above the mean
    assert rebalance_plan([900, 0]) is None  # too few states to be worth moving
    assert rebalance_plan([60_000, 40_000]) == [{1: 10_000}, {}]


@pytest.mark.parametrize(("model", "options"), [CLEAN[0], VIOLATED[0], VIOLATED[1]])
def test_rebalancing_under_a_memory_bound(tmp_path, always_rebalance, model, options):
    """Frontier chunks pickled or spilled to disk are read back to be given away, and the
    states kept and taken are held under the bound again; no spilled chunk outlives it."""
    spill = tmp_path / "spill"
    one = check_bfs(model, options)
    got = check_parallel(
        model,
        options,
        ScaleOptions(jobs=2, handover=2, memory_bytes=2, spill_dir=spill),
    )
    assert_same(got, one)
    assert got.states_given > 0
    assert not list(spill.rglob("*.npz"))
