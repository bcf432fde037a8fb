"""A level expanded in windows of ranks, each merged before the next is expanded, gives
the one-core search's answers: counts per level and action, the counterexample, the
witnesses and the reduction figures, violations and deadlocks met mid-level included."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine.test_handover import VIOLATED, assert_same
from tests.engine.test_parallel import CLEAN, PERSISTENT, persistent_options
from tests.engine.test_persistent import ADeclared, Counters, Pair
from zabmc.engine import CheckOptions, check_bfs, parallel, partition
from zabmc.engine.expansion import FullExpander
from zabmc.engine.parallel import ScaleOptions, check_parallel
from zabmc.engine.reduction import PersistentStepExpander


@pytest.mark.parametrize("window", [1, 3])
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize(("model", "options"), CLEAN + VIOLATED)
def test_windows_give_the_one_core_answers(monkeypatch, window, jobs, model, options):
    monkeypatch.setattr(parallel, "WINDOW_STATES", window)
    got = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert_same(got, check_bfs(model, options))


@pytest.mark.parametrize("window", [1, 2])
@pytest.mark.parametrize("jobs", [1, 3])
@pytest.mark.parametrize("case", range(len(PERSISTENT)))
def test_windows_keep_the_persistent_steps_and_their_figures(monkeypatch, window, jobs, case):
    """Free states found in several windows of a round join the level together; a
    violation or deadlock in a later window counts those of the earlier ones."""
    monkeypatch.setattr(parallel, "WINDOW_STATES", window)
    model, options = persistent_options(case)
    one = check_bfs(model, options())
    got = check_parallel(model, options(), ScaleOptions(jobs=jobs))
    assert_same(got, one)
    if one.violation is None:
        assert got.reduction == one.reduction


class TwoStarts(Counters):
    """Counters from two initial states: (0, 0), whose persistent step A finds a state that
    joins level 0, and (n_a, limit - 1), whose step B breaks the invariant."""

    def init_states(self) -> list[Pair]:
        return [Pair(0, 0), Pair(self.n_a, self.limit - 1)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_violation_in_a_later_window_counts_the_free_states_of_the_earlier_ones(
    monkeypatch, jobs
):
    monkeypatch.setattr(parallel, "WINDOW_STATES", 1)
    model = TwoStarts(2, 3, limit=2)
    names = [p.name for p in model.properties()]

    def options() -> CheckOptions:
        expander = PersistentStepExpander(FullExpander(model), ADeclared(model), names)
        return CheckOptions(check_deadlock=False, expander=expander)

    one = check_bfs(model, options())
    assert one.violation is not None and one.states_per_depth[0] == 3  # (1, 0) joined
    assert_same(check_parallel(model, options(), ScaleOptions(jobs=jobs)), one)


def test_a_window_expands_only_the_states_ranked_below_its_limit(monkeypatch):
    """With windows of one state per partition a level takes as many merges as it has
    states: the windows are real, not one round in disguise."""
    model, options = CLEAN[0]
    calls: list[int | None] = []
    expand = parallel.Partition.expand

    def counted(self, watching, limit=None):  # type: ignore[no-untyped-def]
        calls.append(limit)
        return expand(self, watching, limit)

    monkeypatch.setattr(parallel, "WINDOW_STATES", 1)
    monkeypatch.setattr(parallel.Partition, "expand", counted)
    got = check_parallel(model, options, ScaleOptions(jobs=1))
    assert len(calls) == got.distinct_states  # every state expanded, one a window


@pytest.mark.parametrize("window", [1, 3])
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("bound", [2, 10**9])
@pytest.mark.parametrize(("model", "options"), [CLEAN[3], CLEAN[0], *VIOLATED[:3]])
def test_a_memory_bound_holds_pickled_chunks_and_gives_the_one_core_answers(
    monkeypatch, tmp_path, window, jobs, bound, model, options
):
    """Under a memory bound the new states are held pickled, one pickle a round, and make
    the next frontier as they are (in memory under a large bound, spilled under a small
    one): the answers are the one-core search's."""
    monkeypatch.setattr(parallel, "WINDOW_STATES", window)
    held: list[str] = []
    append_pickled = partition.Frontier.append_pickled

    def watched(self, ranks, fps, states):  # type: ignore[no-untyped-def]
        held.append(type(states).__name__)
        return append_pickled(self, ranks, fps, states)

    monkeypatch.setattr(partition.Frontier, "append_pickled", watched)
    scale = ScaleOptions(jobs=jobs, memory_bytes=bound, spill_dir=tmp_path / "spill")
    got = check_parallel(model, options, scale)
    assert_same(got, check_bfs(model, options))
    if jobs == 1:  # the workers' frontiers are theirs
        assert held and set(held) == {"Pickled"}
    assert not list((tmp_path / "spill").rglob("*.npz"))


def test_a_checkpoint_under_a_memory_bound_keeps_the_engines_encoding(tmp_path):
    """Frontier chunks held pickled, or spilled pickled, are written to a checkpoint in the
    engine's encoding (a pickle is this interpreter's); resumed, the answers are whole."""
    model, options = CLEAN[0]
    folder = tmp_path / "ckpt"
    cut = CheckOptions(check_deadlock=False, max_depth=6)
    for bound in (2, 10**9):
        scale = ScaleOptions(
            jobs=2,
            checkpoint=folder,
            checkpoint_every_s=0,
            memory_bytes=bound,
            spill_dir=tmp_path / "spill",
        )
        check_parallel(model, cut, scale)
        saved = sorted(folder.rglob("frontier-*.npz"))
        assert saved
        for path in saved:
            with np.load(path) as chunk:
                assert "pickled" not in chunk.files and "offsets" in chunk.files
        resumed = check_parallel(model, options, ScaleOptions(jobs=2, resume=folder))
        assert_same(resumed, check_bfs(model, options))
