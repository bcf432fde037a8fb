"""A decided server's receipt of a notification declared persistent
(:func:`spec.system.independence.decided_receipt`), checked against the definition on
sampled reachable states, with each condition shown needed.

The reduced-against-full comparisons that use the declaration are in
``test_reduction.py`` (the fine-grained configurations with no fault: voters=3,
max_timeouts=0 among the slow ones, an observer among the fast ones).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.system import Params, SystemModel, independence
from spec.system.constants import DISCOVERY, FOLLOWING, LEADING, LOOKING
from spec.system.election.votes import notification
from tests.system.helpers import replayed
from zabmc.engine import CheckOptions, check_bfs
from zabmc.engine.properties import select_properties
from zabmc.engine.reduction import reducing_expander
from zabmc.engine.reduction.verify import check_persistent_steps


def reachable(model: SystemModel, depth: int | None = None) -> list:
    """Reachable states (to ``depth``), as the reduced search meets them (each is
    reachable)."""
    states: list = []
    checked, witnesses = select_properties(model, None)
    expander = reducing_expander(model, [p.name for p in (*checked, *witnesses)])
    options = CheckOptions(
        check_deadlock=False,
        on_state=states.append,
        invariants=[],
        expander=expander,
        max_depth=depth,
    )
    check_bfs(model, options)
    return states


def declared(model: SystemModel, states: list, sample: int) -> list:
    """About ``sample`` of the states where a decided server's receipt is declared."""
    found = [s for s in states if independence.decided_receipt(s, model.params) is not None]
    return found[:: max(1, len(found) // sample)]


#: An observer LOOKING while the voters lead and follow (with 3.7's NEWLEADER and logging,
#: or a crash used up on the way, to depth 18); three voters, the third late.
CONFIGS = [
    (dict(voters=2, observers=1, max_txns=1, max_timeouts=0), None),
    (dict(voters=2, observers=1, max_txns=1, max_timeouts=0, zk="3.7"), None),
    (dict(voters=2, observers=1, max_txns=1, max_timeouts=0, max_crashes=1), 18),
    pytest.param(
        dict(voters=3, max_txns=0, max_timeouts=0, max_epoch=1),
        None,
        marks=pytest.mark.slow,  # about 20 s
    ),
]


@pytest.mark.parametrize(("kw", "depth"), CONFIGS)
def test_a_decided_server_s_receipts_commute_or_are_overwritten(kw, depth):
    """Every path of other steps (3 deep) from a state where a decided server's receipt is
    declared commutes with it, and no property moves with it."""
    model = SystemModel(Params(**kw))
    states = declared(model, reachable(model, depth), 300)
    properties = list(model.properties())
    checked, failures = check_persistent_steps(
        model, model.movers(), states, depth=3, properties=properties
    )
    assert checked > 50 and failures == []


def test_answers_and_drops_are_both_declared():
    """The declaration covers a decided server answering a LOOKING notification and
    dropping a decided one."""
    model = SystemModel(Params(voters=2, observers=1, max_txns=1, max_timeouts=0))
    kinds = set()
    for s in reachable(model):
        step = independence.decided_receipt(s, model.params)
        if step is not None:
            i, j = step[0].args
            kinds.add(s.network.notes[j * model.params.n + i][0].state == LOOKING)
    assert kinds == {True, False}


def _dropping(monkeypatch, dropped: str) -> None:
    """Make the declaration as if condition ``dropped`` were not there."""
    if dropped == "max_timeouts":  # as if the timeout bound were used up already
        keep = independence.no_fault_left
        monkeypatch.setattr(
            independence, "no_fault_left", lambda s, p: keep(s, replace(p, max_timeouts=0))
        )
    elif dropped == "in BROADCAST":
        monkeypatch.setattr(independence, "settled", lambda srv: True)


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
@pytest.mark.parametrize(
    ("dropped", "kw", "depth", "refuted_by"),
    [
        ("max_timeouts", dict(voters=2, observers=1, max_txns=0, max_timeouts=1), 16, "Timeout"),
        # the answer carries the vote, whose epoch UPTODATE (or a quorum of ACKLD) moves
        (
            "in BROADCAST",
            dict(voters=2, observers=1, max_txns=0, max_timeouts=0),
            None,
            "does not commute",
        ),
    ],
)
def test_each_condition_of_a_decided_receipt_is_needed(monkeypatch, dropped, kw, depth, refuted_by):
    """Dropping one condition of the declaration makes it wrong, and the check says so."""
    model = SystemModel(Params(**kw))
    states = reachable(model, depth)
    _dropping(monkeypatch, dropped)
    found = declared(model, states, 2000)
    _, failures = check_persistent_steps(model, model.movers(), found, depth=3, limit=3)
    assert failures and all(refuted_by in f for f in failures), failures


def test_a_decided_server_s_notification_carries_no_own_vote():
    """The ghost own vote is recorded only for a LOOKING sender: ElectionSafety compares
    the winner with the own votes of LOOKING voters only, so a decided sender's would make
    states that differ in nothing any step or property reads."""
    p = Params(voters=3)
    s = next(iter(SystemModel(p).init_states()))
    srv, el = s.servers[0]._replace(current_epoch=2), s.elections[0]
    assert notification(p, srv, el, 0).own_epoch == 2
    for state in (FOLLOWING, LEADING):
        decided = notification(p, srv._replace(state=state), el, 0)
        assert (decided.own_zxid, decided.own_epoch) == (0, 0)


#: Three voters, one crash (used up on the way), nothing else: no fault is left at the end.
ONE_CRASH = dict(voters=3, max_txns=0, max_timeouts=0, max_crashes=1)

#: A path of the unreduced spec from its initial state (found by guided random walks and
#: shrunk, step by step, to one that keeps the refutation below).
LATE_JOINER = [
    # the first election: 2 leads, 0 and 1 follow
    "FLEReceiveNotmsg(0, 2)", "FLEReceiveNotmsg(2, 0)", "FLEReceiveNotmsg(1, 2)",
    "FLEReceiveNotmsg(1, 0)", "FLEReceiveNotmsg(0, 1)", "FLEHandleNotmsg(0)",
    "FLEReceiveNotmsg(1, 0)", "FLEHandleNotmsg(1)", "FLEReceiveNotmsg(0, 1)",
    "FLEWaitNewNotmsg(0)", "FLEReceiveNotmsg(2, 0)", "FLEReceiveNotmsg(2, 1)",
    "FLEHandleNotmsg(2)", "FLEHandleNotmsg(2)", "FLEWaitNewNotmsg(0)", "FLEWaitNewNotmsg(2)",
    "FLEWaitNewNotmsg(1)", "FLEWaitNewNotmsg(0)", "FLEWaitNewNotmsg(2)", "FLEWaitNewNotmsg(1)",
    # 0's ACKEPOCH makes a quorum: 2 takes currentEpoch 1, then crashes (the crash used up)
    "ConnectAndFollowerSendFOLLOWERINFO(2, 0)", "FLEWaitNewNotmsg(1)",
    "LeaderProcessFOLLOWERINFO(2, 0)", "ConnectAndFollowerSendFOLLOWERINFO(2, 1)",
    "FollowerProcessLEADERINFO(0, 2)", "LeaderProcessACKEPOCH(2, 0)", "NodeCrash(2)",
    # 2 restarts; 0 and 1 elect 1 before 2's notifications reach them
    "NodeStart(2)", "FLEReceiveNotmsg(0, 1)", "FLEHandleNotmsg(0)", "FLEWaitNewNotmsg(0)",
    "FLEReceiveNotmsg(2, 0)", "FLEReceiveNotmsg(1, 0)", "FLEHandleNotmsg(1)",
    "FLEReceiveNotmsg(1, 0)", "FLEHandleNotmsg(1)", "FLEWaitNewNotmsg(1)",
    # they answer 2's notification with their decided votes; 2 decides to follow 1, and 0's
    # answer to its next notification is on its way
    "FLEReceiveNotmsg(1, 2)", "FLEReceiveNotmsg(2, 1)", "FLEReceiveNotmsg(0, 2)",
    "FLEHandleNotmsg(2)", "FLEHandleNotmsg(2)",
]  # fmt: skip


#: From there: 2 connects to 1, takes its LEADERINFO, and 1 takes 2's fresher ACKEPOCH.
SHUTDOWN = [
    "ConnectAndFollowerSendFOLLOWERINFO(1, 2)",
    "LeaderProcessFOLLOWERINFO(1, 2)",
    "FollowerProcessLEADERINFO(2, 1)",
    "LeaderProcessACKEPOCH(1, 2)",
]


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_a_decided_server_that_may_look_refutes_its_receipt(monkeypatch):
    """:func:`~spec.system.independence.stays_decided` is needed. At the end of
    ``LATE_JOINER`` (no fault left) 2 follows 1 in discovery with currentEpoch 1, fresher than
    its leader's 0, and 0's FOLLOWING notification is at the head of 0 -> 2. Its receipt
    (a drop) is not declared. Declared all the same, it is refuted by four steps of 1 and 2:
    2 connects, takes LEADERINFO and answers with its fresher ACKEPOCH, at which 1 shuts down
    with its cluster; 2 looks, and would queue the notification instead of dropping it."""
    model = SystemModel(Params(**ONE_CRASH))
    p = model.params
    s = replayed(model, LATE_JOINER)
    assert independence.no_fault_left(s, p)
    assert (s.servers[2].state, s.servers[2].zab_state, s.servers[1].state) == (
        FOLLOWING,
        DISCOVERY,
        LEADING,
    )
    assert s.network.notes[0 * p.n + 2][0].state == FOLLOWING
    assert not independence.stays_decided(s, p, 2)
    assert independence.decided_receipt(s, p) is None
    assert check_persistent_steps(model, model.movers(), [s], depth=4) == (0, [])

    # the four steps: 2 looks again, with 0's notification still on its way
    u = replayed(model, SHUTDOWN, s)
    assert u.servers[2].state == LOOKING and u.network.notes[0 * p.n + 2]

    monkeypatch.setattr(independence, "stays_decided", lambda *args: True)
    step = model.movers().persistent_step(s)
    assert step is not None and str(step[0]) == "FLEReceiveNotmsg(2, 0)"
    _, failures = check_persistent_steps(model, model.movers(), [s], depth=4)
    assert failures == ["FLEReceiveNotmsg(2, 0) does not commute with LeaderProcessACKEPOCH(1, 2)"]
