"""A leader's receipts declared persistent (spec.system.leader_persistence), checked against
the definition on sampled reachable states, with each condition shown needed.

The reduced-against-full comparisons that use these declarations are in
``test_reduction.py``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.system import SystemModel, leader_persistence, zab_persistence
from spec.system import messages as m
from spec.system.bugs import ZK_4685
from spec.system.constants import DISCOVERY
from spec.system.leader_persistence import CONNECT, FOLLOW, LEADER_RECEIPTS
from spec.system.state import put
from tests.system.helpers import established_space, state_space
from zabmc.engine.reduction.verify import check_persistent_steps

#: Three voters, the coarse election, a crash: the bug hunts' shape, small (the state space
#: test_zab_persistence.py checks too, built once).
COARSE = dict(
    voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug="ZK-3911"
)


def declared(model: SystemModel, states) -> tuple[list, dict[str, int]]:
    """The states where a leader's receipt is declared persistent, and how often each is."""
    movers, found, names = model.movers(), [], {}
    for s in states:
        step = movers.persistent_step(s)
        if step is not None and step[0].name in LEADER_RECEIPTS:
            found.append(s)
            names[step[0].name] = names.get(step[0].name, 0) + 1
    return found, names


def check(kw: dict, stride: int, paths: int) -> tuple[int, list[str], dict[str, int]]:
    model, states = state_space(**kw)
    found, names = declared(model, states[::stride])
    checked, failures = check_persistent_steps(
        model, model.movers(), found, depth=paths, limit=5, properties=model.properties()
    )
    return checked, failures, names


def test_a_leaders_receipts_commute_or_are_overwritten_and_keep_every_property():
    """Every path of other steps (two deep) from the declaring states among every tenth
    state commutes with the leader's receipt or overwrites it, and no property's value
    moves with it; each of the declared receipts occurs."""
    checked, failures, names = check(COARSE, 10, 2)
    assert failures == []
    assert checked >= 200
    assert set(names) == set(LEADER_RECEIPTS), names


SLOW_CONFIGS = [dict(COARSE, bug=b) for b in (None, "ZK-4643", "ZK-4646", "ZK-4685", "ZK-2845")] + [
    dict(COARSE, max_txns=2, max_crashes=0),
    dict(voters=3, max_txns=1, max_timeouts=1, max_crashes=0, coarse_election=True),
    dict(voters=3, max_txns=1, max_timeouts=0, max_partitions=1, coarse_election=True),
    dict(voters=3, observers=1, max_txns=1, max_timeouts=0, max_crashes=0, coarse_election=True),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "kw", SLOW_CONFIGS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items())
)
def test_a_leaders_receipts_keep_the_definition_on_more_configurations(kw):
    checked, failures, _ = check(kw, 2, 3)
    assert failures == [] and checked > 0


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
@pytest.mark.parametrize(
    ("dropped", "refuted_by"),
    [
        # j's crash removes its handler but keeps the bits its ACKEPOCH, ACKLD or ACK set
        ("no_zab_fault_left", "NodeCrash("),
        # UPTODATE answering ACKLD and a PROPOSAL or COMMIT to j: two orders on i -> j
        ("leader_silent", "with LeaderProcess"),
    ],
)
def test_each_condition_of_a_recording_receipt_is_needed(monkeypatch, dropped, refuted_by):
    """Without the condition the declaration is wrong, and the definition check says so."""
    monkeypatch.setattr(leader_persistence, dropped, lambda *args: True)
    _, failures, _ = check(COARSE, 2, 2)
    assert failures and all(refuted_by in f for f in failures), failures


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_a_receipt_that_writes_more_than_the_leaders_memory_is_not_declared(monkeypatch):
    """Without the check on the successor (only i's memory of j and the channels change),
    the receipts that establish the epoch, commit or start serving are declared too, and
    the definition check refutes them (they do not commute, or move a property)."""
    monkeypatch.setattr(leader_persistence, "_only_memory_of", lambda *args: True)
    monkeypatch.setattr(leader_persistence, "_declared", _declared_whatever_it_does)
    _, failures, _ = check(COARSE, 2, 2)
    assert failures


def _declared_whatever_it_does(s, p, i, j, msg):
    """Every receipt at a leader, with its usual fault condition (the broken declaration)."""
    kind = {0: "LeaderProcessFOLLOWERINFO", 2: "LeaderProcessACKEPOCH"}.get(msg[0])
    if kind is None:
        ld = s.leaders[i]
        kind = "LeaderProcessACK" if ld.ackld_live >> j & 1 else "LeaderProcessACKLD"
    return kind, True


def connections(model: SystemModel, states) -> list:
    movers = model.movers()
    return [
        s
        for s in states
        if (step := movers.persistent_step(s)) is not None and step[0].name == CONNECT
    ]


def test_a_learners_connection_commutes_or_is_overwritten_and_keeps_the_goals():
    """Where no fault is left and the leader cannot stop, a learner's connection is declared;
    every path of other steps (two deep) commutes with it, and the two properties that read
    the cluster are not taken out of their goals."""
    model, states = state_space(**COARSE)
    found = connections(model, states[::2])
    assert len(found) >= 500
    _, failures = check_persistent_steps(
        model, model.movers(), found, depth=2, limit=5, properties=model.properties()
    )
    assert failures == []


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_a_connection_to_a_leader_that_can_stop_is_refuted(monkeypatch):
    """A fresher ACKEPOCH stops a leader in discovery and sends its connected learners back
    to election; a learner that has not connected stays: not overwritten."""
    monkeypatch.setattr(zab_persistence, "cannot_stop", lambda *args: True)
    model, states = state_space(**COARSE)
    found = connections(model, states[::2])
    _, failures = check_persistent_steps(model, model.movers(), found, depth=2, limit=3)
    assert failures and all("LeaderProcessACKEPOCH" in f for f in failures), failures


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_a_connection_to_a_leader_that_can_give_up_is_refuted(monkeypatch):
    """:func:`~spec.system.zab_persistence.cannot_stop` without its last clause (no giving
    up on NEWLEADER acks, ZK-4685 and 3.7): in ZK-4685's hunt a leader in sync reads its one
    connected follower's ACK of a proposal as the ACK of NEWLEADER, and with the learner that
    decided for it not yet connected, no quorum can ack: it gives up, its cluster looks, and
    the learner, still following it unconnected, can no longer connect. Connected first, it
    would count, and the leader would not give up: not overwritten."""
    keep = zab_persistence.cannot_stop
    # as if NEWLEADER were taken in one step: the clause reads only the variant
    monkeypatch.setattr(
        zab_persistence, "cannot_stop", lambda s, p, j: keep(s, replace(p, bug=None), j)
    )
    model, states = established_space(ZK_4685)
    found = connections(model, states)
    _, failures = check_persistent_steps(model, model.movers(), found, depth=2, limit=3)
    assert failures and all("LeaderProcessACKLD(" in f for f in failures), failures


def joinings(model: SystemModel, states) -> list:
    """The states where a LOOKING server's FollowLeader is declared persistent."""
    movers = model.movers()
    return [
        s
        for s in states
        if (step := movers.persistent_step(s)) is not None and step[0].name == FOLLOW
    ]


def test_a_lookers_joining_commutes_or_is_overwritten_and_keeps_the_goals():
    """Where no fault is left, the leader serves and the servers that may look are no
    quorum, a LOOKING server's FollowLeader is declared; every path of other steps (three
    deep) commutes with it, and no property that reads roles leaves its goal."""
    model, states = state_space(**COARSE)
    found = joinings(model, states)
    assert len(found) >= 200  # 240 with the coarse discovery-mask cut
    _, failures = check_persistent_steps(
        model, model.movers(), found, depth=3, limit=5, properties=model.properties()
    )
    assert failures == []


#: The state spaces the conditions of a joining are refuted on: the small coarse one, and
#: ZK-4685's hunt from the established cluster, where a leader gives up in sync.
JOINING_SPACES = {
    "coarse": lambda: state_space(**COARSE),
    "ZK-4685 hunt": lambda: established_space(ZK_4685),
}


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
@pytest.mark.parametrize(
    ("dropped", "space", "refuted_by"),
    [
        # a crash of the leader or its follower takes the decided quorum away
        ("no_zab_fault_left", "coarse", "NodeCrash("),
        # a leader in sync reads its one follower's ACK of a proposal as the ACK of
        # NEWLEADER and gives up: its cluster looks, a server that joined it stays
        ("serves", "ZK-4685 hunt", "LeaderProcessACKLD("),
    ],
)
def test_each_condition_of_a_joining_is_needed(monkeypatch, dropped, space, refuted_by):
    """Without the condition the declaration is wrong, and the definition check says so."""
    monkeypatch.setattr(leader_persistence, dropped, lambda *args: True)
    model, states = JOINING_SPACES[space]()
    found = joinings(model, states)
    _, failures = check_persistent_steps(model, model.movers(), found, depth=2, limit=3)
    assert failures and all(refuted_by in f for f in failures), failures


def a_joining_beside_a_learner_that_rejects() -> tuple[SystemModel, object, int]:
    """A declared joining of k to j, with j's follower i moved back to discovery with an
    acceptedEpoch above j's and j's LEADERINFO at the head of j -> i: i will reject it and
    look, and then j no longer has a quorum that decided for it."""
    model, states = state_space(**COARSE)
    s = joinings(model, states)[0]
    p = model.params
    k, j = model.movers().persistent_step(s)[0].args
    i = next(x for x in range(p.n) if x not in (j, k))
    assert s.learners[i].leader == j
    srv = s.servers[i]._replace(zab_state=DISCOVERY, accepted_epoch=s.servers[j].accepted_epoch + 1)
    msgs = put(s.network.msgs, j * p.n + i, (m.leader_info(s.servers[j].accepted_epoch),))
    msgs = put(msgs, i * p.n + j, ())
    crafted = s._replace(servers=put(s.servers, i, srv), network=s.network._replace(msgs=msgs))
    return model, crafted, j


def test_a_joining_beside_a_learner_that_may_look_is_not_declared():
    """Where a learner of the leader may reject its LEADERINFO, it may look: the servers
    that may look (with the joining one) are a quorum, and nothing is declared."""
    model, crafted, j = a_joining_beside_a_learner_that_rejects()
    p = model.params
    assert leader_persistence.serves(crafted, j)
    assert not leader_persistence.stays_decided(crafted, p, j)
    assert leader_persistence.follow(crafted, p) is None


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
@pytest.mark.parametrize(
    ("module", "dropped", "value"),
    [
        (leader_persistence, "stays_decided", True),
        # a learner in discovery that takes a LEADERINFO below its acceptedEpoch looks
        (zab_persistence, "may_reject_leaderinfo", False),
    ],
)
def test_a_learner_that_may_look_refutes_a_joining(monkeypatch, module, dropped, value):
    """Declared there all the same (the condition dropped, or every learner in discovery
    taken to accept its leader's epoch), the joining is refuted: the learner's rejection
    takes the leader's decided quorum, and FollowLeader, away."""
    model, crafted, _ = a_joining_beside_a_learner_that_rejects()
    monkeypatch.setattr(module, dropped, lambda *args: value)
    step = model.movers().persistent_step(crafted)
    assert step is not None and step[0].name == FOLLOW
    _, failures = check_persistent_steps(model, model.movers(), [crafted], depth=1, limit=3)
    assert failures and all("FollowerProcessLEADERINFO(" in f for f in failures), failures
