"""The system spec's partition key: ``zabmc check -j N`` keeps most successors where they were
found, and still gives the one-core search's answers."""

from __future__ import annotations

import pytest

from spec.system import Params, bug_params
from spec.system.bugs import ZK_2845
from spec.system.model import SystemModel
from zabmc.engine import Checker, CheckOptions, CheckResult, Model, check_bfs
from zabmc.engine.parallel import ScaleOptions, check_parallel


def summary(r: CheckResult) -> tuple:
    steps = None if r.violation is None else [(s.action, s.state) for s in r.violation.steps]
    examples = {n: d and [(s.action, s.state) for s in d.steps] for n, d in r.examples.items()}
    actions = {n: (s.generated, s.distinct) for n, s in sorted(r.actions.items())}
    return r.distinct_states, r.states_generated, r.states_per_depth, actions, steps, examples


class ByState(SystemModel):
    """The system spec owned by each state's own fingerprint (the engine's default)."""

    partition_key = Model.partition_key


@pytest.mark.parametrize(
    ("fixed", "deadlock"), [(False, False), pytest.param(True, True, marks=pytest.mark.slow)]
)
def test_the_partition_key_keeps_the_one_core_answers(fixed, deadlock):
    params = bug_params(ZK_2845, fixed=fixed)
    options = CheckOptions(check_deadlock=deadlock)
    one = check_bfs(SystemModel(params), options)
    owner = ScaleOptions(jobs=2, placement="owner")
    two = check_parallel(SystemModel(params), options, owner)
    assert summary(two) == summary(one)
    assert (one.violation is None) == fixed
    # held where they were found (only fingerprints move), the same answers
    finder = check_parallel(SystemModel(params), options, ScaleOptions(jobs=2, placement="finder"))
    assert summary(finder) == summary(one)
    # most successors stay with the partition that found them; by fingerprint, half move
    kept, moved = two.traffic or (0, 0)
    plain = check_parallel(ByState(params), options, owner)
    assert summary(plain) == summary(one)
    assert plain.traffic is not None
    assert kept / (kept + moved) > 0.6 > plain.traffic[0] / sum(plain.traffic)


@pytest.mark.parametrize("placement", ["owner", "finder"])
@pytest.mark.parametrize(
    ("params", "depth", "violated"),
    [
        (bug_params(ZK_2845), None, True),
        (Params(voters=3, max_txns=1, max_timeouts=1), 10, False),
    ],
)
def test_a_search_handed_over_to_two_partitions_keeps_the_one_core_answers(
    params, depth, violated, placement
):
    """The system spec with its partition key and persistent steps: one partition in this
    process for the first levels, then two forked ones. ZK-2845's counterexample, or the
    counts and the reduction figures (persistent steps taken before and after the
    hand-over, counted once), are the one-core search's."""

    def options() -> CheckOptions:
        return Checker(SystemModel(params)).reduction().depth(depth).bfs_options()

    one = check_bfs(SystemModel(params), options())
    scale = ScaleOptions(jobs=2, handover=200, placement=placement)
    got = check_parallel(SystemModel(params), options(), scale)
    assert summary(got) == summary(one)
    assert (one.violation is not None) == violated
    assert got.traffic is not None and got.traffic[1] > 0  # handed over: states moved
    if not violated:
        assert one.reduction["persistent_steps"]["states_expanded_by_one_step"] > 0
        assert got.reduction == one.reduction
