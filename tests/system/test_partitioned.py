"""The system spec on two partitions: ``zabmc check -j N`` gives the one-core search's
answers."""

from __future__ import annotations

import pytest

from spec.system import Params, bug_params
from spec.system.bugs import ZK_2845
from spec.system.model import SystemModel
from zabmc.engine import Checker, CheckOptions, CheckResult, check_bfs
from zabmc.engine.parallel import ScaleOptions, check_parallel


def summary(r: CheckResult) -> tuple:
    steps = None if r.violation is None else [(s.action, s.state) for s in r.violation.steps]
    examples = {n: d and [(s.action, s.state) for s in d.steps] for n, d in r.examples.items()}
    actions = {n: (s.generated, s.distinct) for n, s in sorted(r.actions.items())}
    return r.distinct_states, r.states_generated, r.states_per_depth, actions, steps, examples


@pytest.mark.parametrize(
    ("fixed", "deadlock"), [(False, False), pytest.param(True, True, marks=pytest.mark.slow)]
)
def test_two_partitions_keep_the_one_core_answers(fixed, deadlock):
    """Each state stays with the partition that found it; about half the candidates'
    fingerprints go to the other partition, whose seen set owns them."""
    params = bug_params(ZK_2845, fixed=fixed)
    options = CheckOptions(check_deadlock=deadlock)
    one = check_bfs(SystemModel(params), options)
    two = check_parallel(SystemModel(params), options, ScaleOptions(jobs=2))
    assert summary(two) == summary(one)
    assert (one.violation is None) == fixed
    kept, moved = two.traffic or (0, 0)
    assert 0.3 < moved / (kept + moved) < 0.7


@pytest.mark.parametrize(
    ("params", "depth", "violated"),
    [
        (bug_params(ZK_2845), None, True),
        (Params(voters=3, max_txns=1, max_timeouts=1), 10, False),
    ],
)
def test_a_search_handed_over_to_two_partitions_keeps_the_one_core_answers(params, depth, violated):
    """The system spec with persistent steps: one partition in this
    process for the first levels, then two forked ones. ZK-2845's counterexample, or the
    counts and the reduction figures (persistent steps taken before and after the
    hand-over, counted once), are the one-core search's."""

    def options() -> CheckOptions:
        return Checker(SystemModel(params)).reduction().depth(depth).bfs_options()

    one = check_bfs(SystemModel(params), options())
    scale = ScaleOptions(jobs=2, handover=200)
    got = check_parallel(SystemModel(params), options(), scale)
    assert summary(got) == summary(one)
    assert (one.violation is not None) == violated
    assert got.traffic is not None and got.traffic[1] > 0  # handed over: candidates sent
    if not violated:
        assert one.reduction["persistent_steps"]["states_expanded_by_one_step"] > 0
        assert got.reduction == one.reduction
