"""ZooKeeper's five known bugs: each variant is found, and the fixed spec is clean at the
same bounds.

ZK-2845 is searched from the initial state with the bounds the catalog advertises
(``zabmc specs``), and ZK-4685 too in a slow test. ZK-3911, ZK-4643 and ZK-4646 need
two more elections,
a crash-restart and a second crash; from the initial state that search takes minutes
(bench/system_bugs.py), so here it starts where ZooKeeper's authors start theirs
(SetInitState in their test specs): s3 leading epoch 1 with 1:1 committed everywhere
and 1:2 proposed, reached by real steps of each variant.
"""

from __future__ import annotations

import pytest

from spec.system import bug_params
from spec.system.bugs import ZK_2845, ZK_3911, ZK_4643, ZK_4646, ZK_4685
from spec.system.constants import BROADCAST, LOOKING, SYNCHRONIZATION
from spec.system.model import SystemModel
from spec.system.scenarios import from_established
from spec.system.state import SystemState
from spec.system.zxid import counter_of
from zabmc.engine import CheckOptions, check_bfs


@pytest.mark.parametrize(
    ("bug", "invariant", "length", "states", "last_step"),
    [
        (ZK_2845, "ProcessConsistency", 21, 5_935, "FollowerProcessNEWLEADER"),
        pytest.param(
            ZK_4685,
            "LeaderStaysWithSyncedQuorum",
            27,
            81_020,
            "LeaderProcessACKLD",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_found_from_the_initial_state(bug, invariant, length, states, last_step):
    result = check_bfs(SystemModel(bug_params(bug)), CheckOptions(check_deadlock=False))
    v = result.violation
    assert v is not None and v.property == invariant
    assert (v.length, result.distinct_states) == (length, states)
    assert v.steps[-1].action.name == last_step
    assert v.explanation.startswith(invariant + ":")


@pytest.mark.parametrize(("bug", "states"), [(ZK_2845, 21_148)])
def test_fixed_spec_passes_every_state_at_the_same_bounds(bug, states):
    result = check_bfs(SystemModel(bug_params(bug, fixed=True)), CheckOptions())
    assert result.ok and result.complete  # no violation, no deadlock
    assert result.distinct_states == states


def test_zk_2845_is_the_retained_database():
    """s2 left its leader without restarting; its stale zxid won it a DIFF instead of TRUNC."""
    v = check_bfs(SystemModel(bug_params(ZK_2845)), CheckOptions(check_deadlock=False)).violation
    names = [step.action.name for step in v.steps[1:]]
    assert "NodeCrash" not in names and "ZabTimeout" in names
    assert "s2 took NEWLEADER from s3 with log [1:1=v1]" in v.explanation


def test_zk_4685_the_ack_of_a_proposal_the_first_quorum_needed():
    """s1 is the one follower of a re-elected s3; the SyncRequestProcessor acks the
    proposal of the sync before s1 acks NEWLEADER, s3 reads that ACK as the ACK of
    NEWLEADER ("different epoch"), can no longer form its first quorum and gives up,
    though s1 had taken NEWLEADER."""
    model = from_established(bug_params(ZK_4685))
    result = check_bfs(model, CheckOptions(check_deadlock=False))
    v = result.violation
    assert v is not None and v.property == "LeaderStaysWithSyncedQuorum"
    assert (v.length, result.distinct_states) == (13, 1_653)
    tail = [model.format_action(step.action) for step in v.steps[-3:]]
    assert tail == [
        "FollowerProcessNEWLEADER(s1, s3)",
        "FollowerSyncProcessorLogRequest(s1)",
        "LeaderProcessACKLD(s3, s1)",
    ]
    before, after = v.steps[-2].state, v.steps[-1].state
    assert before.servers[2].zab_state == SYNCHRONIZATION  # the first quorum is not formed
    assert after.servers[2].state == LOOKING  # s3 gave up
    assert "it read ACK 1:2 from s1 as the ACK of NEWLEADER" in v.explanation
    fixed = check_bfs(from_established(bug_params(ZK_4685, fixed=True)), CheckOptions())
    assert fixed.ok and fixed.complete and fixed.distinct_states == 3_317


def _proposal_acks_read_as_newleader_ack(model: SystemModel) -> list[tuple[SystemState, int]]:
    """Every reachable state of ``model`` (all properties hold in each) in which a leader
    can take an ACK of a proposal as the ACK of NEWLEADER, with that leader."""
    states: list[SystemState] = []
    assert check_bfs(model, CheckOptions(on_state=states.append)).ok
    found = []
    for s in states:
        for action, _ in model.successors(s):
            if action.name == "LeaderProcessACKLD":
                i, j = action.args
                if counter_of(s.network.msgs[j * model.params.n + i][0].zxid) != 0:
                    found.append((s, i))
    return found


def test_zk_4685_the_late_joiner_is_harmless():
    """Where the ACK of a proposal overtakes the ACK of NEWLEADER only for a learner that
    joins a leader already in BROADCAST (one election, one txn), it happens and breaks
    nothing: the wait for NEWLEADER acks is over, as in ZooKeeper (quorumFormed)."""
    early = _proposal_acks_read_as_newleader_ack(
        SystemModel(bug_params(ZK_4685, max_txns=1, max_timeouts=0))
    )
    assert early
    assert all(s.servers[i].zab_state == BROADCAST for s, i in early)


@pytest.mark.parametrize(
    ("bug", "length", "states", "follower_crashes"),
    [
        (ZK_3911, 19, 38_553, False),
        (ZK_4643, 21, 58_185, True),
        (ZK_4646, 20, 46_749, True),
    ],
)
def test_found_from_the_authors_initial_state(bug, length, states, follower_crashes):
    """The follower that takes NEWLEADER becomes the leader that lacks the committed entry.

    ZK-4643 and ZK-4646: it crashes after NEWLEADER, before the txns of the sync reach
    its log (going back to election without a crash would have written them). ZK-3911:
    the txns wait in memory for UPTODATE, so losing its leader is enough.
    """
    p = bug_params(bug)
    model = from_established(p)
    result = check_bfs(model, CheckOptions(check_deadlock=False))
    v = result.violation
    assert v is not None and v.property == "LeaderLogCompleteness"
    assert (v.length, result.distinct_states) == (length, states)
    actions = [step.action for step in v.steps[1:]]
    took = next(k for k, a in enumerate(actions) if a.name == "FollowerProcessNEWLEADER")
    follower = actions[took].args[0]
    crashed_after = [a.args[0] for a in actions[took:] if a.name == "NodeCrash"]
    assert (follower in crashed_after) == follower_crashes
    name = f"s{follower + 1}"
    assert v.explanation.startswith(f"LeaderLogCompleteness: {name} leads epoch 3")
    assert "without the committed entry #2 1:2=v2" in v.explanation


def test_fixed_spec_passes_every_state_from_the_authors_initial_state():
    p = bug_params(ZK_3911, fixed=True)
    assert p == bug_params(ZK_4643, fixed=True) == bug_params(ZK_4646, fixed=True)
    result = check_bfs(from_established(p), CheckOptions())
    assert result.ok and result.complete
    assert result.distinct_states == 113_462
