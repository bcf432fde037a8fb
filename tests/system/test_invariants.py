"""Each invariant on hand-built states: one where it must hold, one where it must fail.

Properties checked inside steps are shown failing through the step that checks them.
"""

from __future__ import annotations

import pytest

from spec.system import invariants as inv
from spec.system.channels import send
from spec.system.constants import (
    BROADCAST,
    DISCOVERY,
    LEADING,
    LOOKING,
    PROPOSAL,
    SYNC_DIFF,
    SYNCHRONIZATION,
)
from spec.system.election.actions import fle_wait_new_notmsg
from spec.system.explain import EXPLANATIONS
from spec.system.ghost import MESSAGE_ILLEGAL
from spec.system.messages import proposal, trunc
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.state import Breach, Learner, ReceivedVote, Vote, put
from tests.system.helpers import A, B, C, build, connect, server

P = Params(max_timeouts=0)


def holds_and_explains(name: str, ok, bad) -> None:
    fn = dict(inv.INVARIANTS)[name]
    assert fn(ok), f"{name} should hold"
    assert not fn(bad), f"{name} should fail"
    text = EXPLANATIONS[name](bad)
    assert text.startswith(name + ":") and "does not hold" not in text


def test_every_invariant_has_an_explanation():
    assert {name for name, _ in inv.INVARIANTS} == set(EXPLANATIONS)


def test_prefix_consistency():
    ok = build([server(history=(A,)), server(history=(A, B)), server(LEADING, history=(A, B))])
    bad = build([server(history=(A,)), server(history=(B,)), server(LEADING, history=(A,))])
    holds_and_explains("PrefixConsistency", ok, bad)


def test_integrity():
    ok = build(
        [server(history=(A,)), server(), server(LEADING, history=(A,))], broadcast=[(2, 1, A)]
    )
    bad = build(
        [server(history=(A, B)), server(), server(LEADING, history=(A,))], broadcast=[(2, 1, A)]
    )
    holds_and_explains("Integrity", ok, bad)


def test_agreement():
    ok = build([server(history=(A,)), server(history=(A, B)), server(LEADING)])
    bad = build([server(history=(A,)), server(history=(B,)), server(LEADING)])
    holds_and_explains("Agreement", ok, bad)


def test_total_order():
    ok = build([server(history=(A, B)), server(history=(A, B)), server(LEADING)])
    bad = build([server(history=(A, B)), server(history=(B, A)), server(LEADING)])
    holds_and_explains("TotalOrder", ok, bad)


def test_local_primary_order_can_fail_unlike_zab_tla():
    """s3 broadcast 1:1 then 1:2; s1 delivers 1:2 without 1:1. Zab.tla's reading holds here
    (it accepts the pair of 1:1 with itself); this one does not."""
    sent = [(2, 1, A), (2, 1, B)]
    ok = build([server(history=(A, B)), server(), server(LEADING, history=(A, B))], broadcast=sent)
    bad = build([server(history=(B,)), server(), server(LEADING, history=(A, B))], broadcast=sent)
    holds_and_explains("LocalPrimaryOrder", ok, bad)


def test_global_primary_order():
    ok = build([server(history=(A, C)), server(), server(LEADING)])
    bad = build([server(history=(C, A)), server(), server(LEADING)])
    holds_and_explains("GlobalPrimaryOrder", ok, bad)


def test_primary_integrity():
    leader = server(LEADING, history=(A, C), epoch=2)
    ok = connect(build([server(history=(A,)), server(), leader]), 2, 0)
    bad = connect(build([server(history=(B,)), server(), leader]), 2, 0)
    holds_and_explains("PrimaryIntegrity", ok, bad)


def test_leadership_now_and_over_the_run():
    ok = build([server(LEADING, zab=SYNCHRONIZATION), server(), server(LEADING, zab=DISCOVERY)])
    both = build([server(LEADING, zab=SYNCHRONIZATION), server(), server(LEADING, zab=BROADCAST)])
    holds_and_explains("Leadership", ok, both)
    twice = ok._replace(ghost=ok.ghost._replace(epoch_leader=(0b101, *ok.ghost.epoch_leader[1:])))
    assert not inv.leadership(twice)
    assert "more than one server" in EXPLANATIONS["Leadership"](twice)


def test_leader_log_completeness():
    ok = build(
        [server(), server(), server(LEADING, zab=SYNCHRONIZATION, history=(A,))], committed=(A,)
    )
    bad = build(
        [server(), server(), server(LEADING, zab=SYNCHRONIZATION, history=())], committed=(A,)
    )
    holds_and_explains("LeaderLogCompleteness", ok, bad)


def test_monotonic_read():
    ok = build([server(), server(), server(LEADING, history=(A,))], committed=(A,))
    bad = build([server(), server(), server(LEADING, history=(A,), delivered=0)], committed=(A,))
    holds_and_explains("MonotonicRead", ok, bad)


def test_process_consistency():
    base = [server(history=(A,)), server(), server(LEADING, history=(A, B))]
    ok = connect(build(base), 2, 0)
    bad = connect(build([server(history=(C,)), server(), server(LEADING, history=(A,))]), 2, 0)
    holds_and_explains("ProcessConsistency", ok, bad)
    not_yet = connect(build([server(history=(C,)), server(), server(LEADING)]), 2, 0, False)
    assert inv.process_consistency(not_yet)  # no NEWLEADER taken yet: nothing to compare


def test_should_not_be_triggered_flags_an_impossible_message():
    """A PROPOSAL at a LOOKING server is impossible; the step that takes it records it."""
    model = SystemModel(P)
    s = build([server(LOOKING, zab=0, epoch=0), server(), server(LEADING, history=(A,))])
    s = s._replace(network=send(s.network, 3, 2, 0, proposal(A.zxid, A.value)))
    assert inv.should_not_be_triggered(s)
    (label, t), *_ = [(a, t) for a, t in model.successors(s) if a.name == "FollowerProcessPROPOSAL"]
    assert label.args == (0, 2)
    assert not inv.should_not_be_triggered(t)
    assert t.ghost.breaches == (Breach(MESSAGE_ILLEGAL, 0, 2, A.zxid, PROPOSAL),)
    assert "messageIllegal" in EXPLANATIONS["ShouldNotBeTriggered"](t)
    assert not any(m and m[0] == PROPOSAL for m in t.network.msgs)  # taken, not left behind


def test_committed_log_durability_is_checked_by_the_truncating_step():
    def syncing(committed):
        s = build(
            [server(zab=SYNCHRONIZATION, history=(A,), delivered=0), server(), server(LEADING)],
            committed=committed,
        )
        s = connect(s, 2, 0, newleader_taken=False)
        return s._replace(network=send(s.network, 3, 2, 0, trunc(0)))

    model = SystemModel(P)
    ((_, fine),) = [
        (a, t) for a, t in model.successors(syncing(())) if a.name == "FollowerProcessSyncMessage"
    ]
    ((_, lost),) = [
        (a, t) for a, t in model.successors(syncing((A,))) if a.name == "FollowerProcessSyncMessage"
    ]
    assert fine.servers[0].history == () and inv.committed_log_durability(fine)
    assert lost.servers[0].history == () and not inv.committed_log_durability(lost)
    assert "dropped the committed entry 1:1" in EXPLANATIONS["CommittedLogDurability"](lost)


def test_election_safety_is_checked_when_a_server_decides():
    """s2 waits with a quorum {s1, s2} for its own vote; s1's own vote may be higher."""

    def waiting(own_zxid: int, own_epoch: int):
        looking = server(LOOKING, zab=0, epoch=0)
        s = build([looking, looking, looking])
        el = s.elections[1]
        entry = ReceivedVote(1, 0, 0, el.round, LOOKING, own_zxid, own_epoch)
        el = el._replace(vote=Vote(1, 0, 0), received=put(el.received, 0, entry), waiting=True)
        return s._replace(elections=put(s.elections, 1, el))

    fine = fle_wait_new_notmsg(waiting(0, 0), P, 1)
    bad = fle_wait_new_notmsg(waiting(A.zxid, 1), P, 1)
    assert fine.servers[1].state == LEADING and inv.election_safety(fine)
    assert bad.servers[1].state == LEADING and not inv.election_safety(bad)
    assert "s1 is no such voter (its own vote is higher" in EXPLANATIONS["ElectionSafety"](bad)


@pytest.mark.parametrize("name", [n for n, _ in inv.INVARIANTS])
def test_the_initial_state_satisfies_every_invariant(name):
    s = SystemModel(Params(observers=1)).init_states()[0]
    assert dict(inv.INVARIANTS)[name](s)


def test_witnesses_read_the_state():
    s = build([server(history=(A,)), server(), server(LEADING, history=(A,))])
    s = s._replace(learners=put(s.learners, 1, Learner(2, SYNC_DIFF, False, (), (), ())))
    found = {name: fn(s) for name, fn in inv.witnesses(Params(observers=1))}
    assert found == {
        "LeaderEstablished": True,
        "FollowerDelivers": True,
        "SyncByDIFF": True,
        "SyncByTRUNC": False,
        "SyncBySNAP": False,
        "ObserverDelivers": False,
    }
