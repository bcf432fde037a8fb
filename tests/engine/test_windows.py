"""A level expanded in windows of ranks, each merged before the next is expanded, gives
the one-core search's answers: counts per level and action, the counterexample, the
witnesses and the reduction figures, violations and deadlocks met mid-level included."""

from __future__ import annotations

import pytest

from tests.engine.test_handover import VIOLATED, assert_same
from tests.engine.test_parallel import CLEAN, KEYED, PERSISTENT, persistent_options
from tests.engine.test_persistent import ADeclared, Counters, Pair
from zabmc.engine import CheckOptions, check_bfs, parallel
from zabmc.engine.expansion import FullExpander
from zabmc.engine.parallel import ScaleOptions, check_parallel
from zabmc.engine.reduction import PersistentStepExpander


@pytest.mark.parametrize("window", [1, 3])
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize(("model", "options"), CLEAN + KEYED + VIOLATED)
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
