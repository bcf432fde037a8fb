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
from spec.system.constants import FOLLOWING, LEADING, LOOKING
from spec.system.election.votes import notification
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
