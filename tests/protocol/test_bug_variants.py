"""The three protocol ambiguities of Zab.tla's issues.md are each found; the fixed spec passes."""

from __future__ import annotations

import pytest

from spec.protocol import Params, ProtocolModel
from spec.protocol.bugs import COMMITLD_ACKLD_ZXID, PROPOSE_TO_ACKLD, STRICT_PROPOSE
from zabmc.engine import CheckOptions, check_bfs

# The smallest bounds that expose them: a follower must be able to join after the
# leader reached BROADCAST, which needs MaxEpoch 2, and two transactions.
BOUNDS = dict(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, max_restarts=0)


@pytest.mark.parametrize(
    ("bug", "length", "flag", "tla_flag", "last_action"),
    [
        (
            PROPOSE_TO_ACKLD,
            21,
            "proposal_inconsistent",
            "proposalInconsistent",
            "FollowerProcessCOMMITLD",
        ),
        (
            STRICT_PROPOSE,
            17,
            "proposal_inconsistent",
            "proposalInconsistent",
            "FollowerProcessPROPOSE",
        ),
        (
            COMMITLD_ACKLD_ZXID,
            25,
            "commit_inconsistent",
            "commitInconsistent",
            "FollowerProcessCOMMIT",
        ),
    ],
)
def test_bug_variant_is_found_with_a_shortest_counterexample(
    bug, length, flag, tla_flag, last_action
):
    result = check_bfs(ProtocolModel(Params(**BOUNDS, bug=bug)), CheckOptions(check_deadlock=False))
    v = result.violation
    assert v is not None and v.property == "ShouldNotBeTriggered"
    assert v.length == length
    assert getattr(v.steps[-1].state.violated_invariants, flag)
    assert v.steps[-1].action.name == last_action
    assert tla_flag in v.explanation
    # every earlier state was clean: the last step is the one that broke it
    assert not any(v.steps[-2].state.violated_invariants)


def test_fixed_spec_passes_at_the_same_bounds():
    result = check_bfs(ProtocolModel(Params(**BOUNDS)), CheckOptions(check_deadlock=False))
    assert result.ok and result.complete
    assert result.distinct_states == 9_451
    assert all(example is not None for example in result.examples.values())


def test_catalogue_names_the_bounds_that_expose_each_bug():
    from spec.protocol import SPEC_INFO

    for bug in SPEC_INFO.bugs:
        bounds, options = SPEC_INFO.bug_setup(bug)
        model = SPEC_INFO.build(bounds, bug, options)
        assert not check_bfs(model, CheckOptions(check_deadlock=False)).ok, bug
