"""Learner receipts declared persistent (spec.system.zab_persistence) and the properties
declared goal-closed under them (spec.system.goal_closure), checked against the definition
on sampled reachable states, with each condition shown needed.

The reduced-against-full comparisons that use these declarations are in
``test_reduction.py``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.system import Params, SystemModel, goal_closure, zab_persistence
from spec.system import messages as m
from spec.system.constants import DISCOVERY, FOLLOWING, LOOKING, NULL, SYNC_DIFF, SYNCHRONIZATION
from spec.system.leader_persistence import CONNECT
from spec.system.state import put
from tests.system.helpers import replayed, state_space
from zabmc.engine import Action, Checker, CheckOptions, check_bfs
from zabmc.engine.reduction.verify import check_persistent_steps


def reachable(model: SystemModel, depth: int | None = None) -> list:
    """Every reachable state (to ``depth``), violations included: no invariant stops it."""
    states: list = []
    check_bfs(
        model,
        CheckOptions(check_deadlock=False, on_state=states.append, max_depth=depth, invariants=[]),
    )
    return states


def declared(model: SystemModel, states: list) -> tuple[list, set[str]]:
    """The states where a Zab receipt is declared persistent, and the receipts' names."""
    movers, found, names = model.movers(), [], set()
    for s in states:
        step = movers.persistent_step(s)
        if step is not None and step[0].name in zab_persistence.LEARNER_RECEIPTS:
            found.append(s)
            names.add(step[0].name)
    return found, names


CONFIGS = [
    # fine-grained election, a crash, ZK-3911's NEWLEADER: every state
    (dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug="ZK-3911"), 1, 2, 300),
    # fine-grained, the faults used up on the way (FLE answers i's vote meanwhile)
    (dict(voters=2, max_txns=1, max_timeouts=0, max_crashes=1), 1, 2, 40),
    # the coarse bug hunts' shape, small: every 16th state (the break tests' space)
    (
        dict(
            voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug="ZK-3911"
        ),
        16,
        2,
        250,
    ),
]
SLOW_CONFIGS = [
    # the coarse bug hunts' shape: three voters, a crash; every third state (the default
    # run checks this shape's durable receipts by the break tests' configuration below)
    (
        dict(voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True),
        3,
        2,
        3000,
    ),
]
SLOW_CONFIGS += [
    (
        dict(voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug=b),
        2,
        3,
        3000,
    )
    for b in ("ZK-3911", "ZK-4643", "ZK-4646", "ZK-4685", "ZK-2845")
] + [
    (dict(voters=2, max_txns=2, max_timeouts=1, max_partitions=1, bug="ZK-2845"), 1, 2, 100),
]


def config_id(c: object) -> str:
    return "-".join(f"{k}={v}" for k, v in c.items()) if isinstance(c, dict) else str(c)


def declared_on_the_way(model: SystemModel, stride: int, checker: Checker) -> list:
    """Every ``stride``-th state the search ``checker`` meets, of those where a Zab receipt
    is declared: only those are kept, not the whole space (which may not fit in memory)."""
    movers, met, found = model.movers(), [0], []

    def look(s: object) -> None:
        met[0] += 1
        if (met[0] - 1) % stride:
            return
        step = movers.persistent_step(s)
        if step is not None and step[0].name in zab_persistence.LEARNER_RECEIPTS:
            found.append(s)

    check_bfs(model, checker.deadlock(False).invariants([]).visitor(look).bfs_options())
    return found


def check_declarations(
    kw: dict, stride: int, paths: int, least: int, shared: bool = False
) -> set[str]:
    """The declarations hold at every ``stride``-th reachable state (at least ``least`` of
    them declare a receipt); the names of the receipts declared. ``shared``: the state space
    is kept for the other tests (:func:`state_space`)."""
    if shared:
        model, space = state_space(**kw)
        states, _ = declared(model, space[::stride])
    else:
        model = SystemModel(Params(**kw))
        states = declared_on_the_way(model, stride, Checker(model))
    return check_states(model, states, paths, least)


def check_states(model: SystemModel, states: list, paths: int, least: int) -> set[str]:
    """The declarations hold at ``states`` along every path of ``paths`` other steps (at
    least ``least`` states declare a receipt); the names of the receipts declared."""
    checked, failures = check_persistent_steps(
        model, model.movers(), states, depth=paths, properties=model.properties()
    )
    assert failures == []
    assert checked >= least
    return {model.movers().persistent_step(s)[0].name for s in states}


@pytest.mark.parametrize(("kw", "stride", "paths", "least"), CONFIGS, ids=config_id)
def test_declared_receipts_commute_or_are_overwritten_and_keep_the_goals(kw, stride, paths, least):
    """Every path of other steps (``paths`` deep) from each declared state commutes with the
    receipt or overwrites it; each property reads nothing it changes, or (where declared
    goal-closed) is not taken out of its goal along them."""
    names = check_declarations(kw, stride, paths, least, shared=True)
    assert {"FollowerProcessNEWLEADER", "FollowerProcessUPTODATE"} <= names


@pytest.mark.slow
@pytest.mark.parametrize(("kw", "stride", "paths", "least"), SLOW_CONFIGS, ids=config_id)
def test_declared_receipts_keep_the_definition_on_more_configurations(kw, stride, paths, least):
    check_declarations(kw, stride, paths, least)


OBSERVED = dict(voters=2, observers=1, max_txns=1, max_timeouts=0, max_crashes=1)


@pytest.mark.slow
def test_declared_receipts_keep_the_definition_with_an_observer():
    """Two voters, an observer, a crash, the fine-grained election: the receipts declared
    where the observer syncs and takes INFORM, and the voters' with an observer among them,
    keep the definition along every path of two other steps.

    The states are those the reduced search meets within depth 20 (225,488; every one
    reachable by the spec's own steps), each declared one kept. The full space does not
    fit: it grows about 1.2 times a level past depth 30 (965,971 states), where no
    observer has taken an INFORM yet, and a search holding every state grew 1.3 GB a
    minute (19 GB after 14 minutes, unfinished). The reduced search reaches the observer's
    broadcast by depth 20, since the steps it takes alone count no level; the paths of
    other steps followed from each declared state are the full spec's, so what the
    reduction skips next to a declared state is checked there. Every declared receipt of
    the observer is among them, INFORM included."""
    model = SystemModel(Params(**OBSERVED))
    states = declared_on_the_way(model, 1, Checker(model).reduction().depth(20))
    names = check_states(model, states, 2, 5000)
    observer = model.params.voters
    of_observer = {
        model.movers().persistent_step(s)[0].name
        for s in states
        if model.movers().persistent_step(s)[0].args[0] == observer
    }
    assert {
        "ObserverProcessINFORM",
        "FollowerProcessNEWLEADER",
        "FollowerProcessUPTODATE",
        "FollowerProcessSyncMessage",
    } <= of_observer
    assert {"FollowerProcessPROPOSAL", "FollowerProcessCOMMIT"} <= names


COARSE = dict(voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True)


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
@pytest.mark.parametrize(
    ("dropped", "kw", "refuted_by"),
    [
        ("no fault left", dict(COARSE, bug="ZK-3911"), "NodeCrash"),
        ("the leader stays", dict(COARSE, bug="ZK-3911"), "LeaderProcessACKEPOCH"),
        ("a quiet election", dict(voters=2, max_txns=1, max_timeouts=0, max_crashes=1), "FLE"),
        # LEADERINFO from a leader in discovery: another learner's fresher ACKEPOCH stops it
        ("the leader cannot be outdated", dict(COARSE, bug="ZK-3911"), "LeaderProcessACKEPOCH"),
    ],
)
def test_each_condition_of_a_durable_receipt_is_needed(monkeypatch, dropped, kw, refuted_by):
    """Without one condition the declaration is wrong, and the definition check says so."""
    name = {
        "no fault left": "no_zab_fault_left",
        "the leader stays": "leader_stays",
        "a quiet election": "quiet_election",
        "the leader cannot be outdated": "cannot_be_outdated",
    }[dropped]
    monkeypatch.setattr(zab_persistence, name, lambda *args: True)
    model, space = state_space(**kw)
    states, _ = declared(model, space)
    _, failures = check_persistent_steps(model, model.movers(), states, depth=2, limit=3)
    assert failures and all(refuted_by in f for f in failures), failures


def a_delivering_commit() -> tuple[SystemModel, object, int]:
    """A state where follower i's COMMIT that delivers its second entry is declared, with
    the third server's id above i's and above i's leader's."""
    model = SystemModel(Params(voters=3, max_txns=2, max_timeouts=0, coarse_election=True))
    movers = model.movers()
    found: list = []

    def look(s: object) -> None:
        step = movers.persistent_step(s)
        if found or step is None or step[0].name != "FollowerProcessCOMMIT":
            return
        i, j = step[0].args
        if s.servers[i].last_committed == 1 and len(s.servers[i].history) == 2 and i + j == 1:
            found.append((s, i))

    check_bfs(model, CheckOptions(check_deadlock=False, on_state=look, max_depth=22))
    assert found
    return model, *found[0]


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_agreement_is_not_goal_closed_under_a_delivery(monkeypatch):
    """Follower i's COMMIT delivers entry x after a; let the third server k follow i's
    leader j too, hold just x and have j's COMMIT of x waiting. Agreement holds (k has
    delivered nothing); once k takes its COMMIT, i's delivered {a} and k's {x} are
    incomparable; i's COMMIT then makes k's set a part of i's. So Agreement is declared
    not goal-closed under i's COMMIT, while the properties that a delivery cannot repair
    are; and declaring it closed is refuted by the definition check."""
    model, s, i = a_delivering_commit()
    j, k = s.learners[i].leader, 2
    x = s.servers[i].history[1]
    p = model.params
    srv = s.servers[k]._replace(
        online=True,
        state=FOLLOWING,
        zab_state=s.servers[i].zab_state,
        history=(x,),
        last_committed=0,
        last_processed=0,
    )
    leader = s.leaders[j]._replace(learners=s.leaders[j].learners | 1 << k)
    msgs = put(s.network.msgs, j * p.n + k, (m.commit(x.zxid),))
    crafted = s._replace(
        servers=put(s.servers, k, srv),
        leaders=put(s.leaders, j, leader),
        learners=put(s.learners, k, s.learners[i]),
        network=s.network._replace(msgs=msgs),
    )
    movers = model.movers()
    action, after = movers.persistent_step(crafted)
    assert action.name == "FollowerProcessCOMMIT" and action.args == (i, j)
    agreement = next(q for q in model.properties() if q.name == "Agreement")
    delivered_x = model.apply(crafted, Action("FollowerProcessCOMMIT", (k, j)))
    assert agreement.condition(crafted) and not agreement.condition(delivered_x)
    assert agreement.condition(model.apply(delivered_x, action))
    assert not movers.goal_closed("Agreement", crafted, action, after)
    assert movers.goal_closed("PrefixConsistency", crafted, action, after)
    _, failures = check_persistent_steps(
        model, movers, [crafted], depth=1, properties=model.properties()
    )
    assert failures == []
    monkeypatch.setattr(goal_closure, "NOT_CLOSED_UNDER_DELIVERY", frozenset())
    _, failures = check_persistent_steps(
        model, movers, [crafted], depth=1, properties=model.properties()
    )
    assert failures == [f"{action} takes a state out of Agreement's goal"]


def test_a_receipt_that_ends_the_only_diff_sync_is_taken_where_the_witness_holds():
    """NEWLEADER or UPTODATE set i's sync mode back to NONE: where i was the one learner
    in DIFF, the step takes the SyncByDIFF state to one without it. It is declared there
    because the witness holds where it is declared (the search has it already); the
    definition check accepts it for that reason only."""
    model = SystemModel(Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1))
    movers = model.movers()
    undone = []
    for s in reachable(model):
        step = movers.persistent_step(s)
        if step is None or step[0].name not in zab_persistence.LEARNER_RECEIPTS:
            continue
        before = [lrn.sync_mode for lrn in s.learners]
        after = [lrn.sync_mode for lrn in step[1].learners]
        if SYNC_DIFF in before and SYNC_DIFF not in after:
            undone.append(s)
            assert movers.goal_closed("SyncByDIFF", s, *step)
    assert undone
    _, failures = check_persistent_steps(
        model, movers, undone, depth=2, properties=model.properties()
    )
    assert failures == []


def test_a_memory_only_receipt_is_declared_with_faults_left():
    """DIFF, a PROPOSAL or COMMIT in sync, or an ignored COMMIT are declared while a crash
    can still happen (a crash or the leader's shutdown overwrites them)."""
    model = SystemModel(Params(**COARSE))
    movers, names = model.movers(), set()
    for s in reachable(model, depth=14):
        step = movers.persistent_step(s)
        if step is None or step[0].name not in zab_persistence.LEARNER_RECEIPTS:
            continue  # a leader's receipt: tests/system/test_leader_persistence.py
        if not zab_persistence.no_zab_fault_left(s, model.params):
            names.add(step[0].name)
    assert names and names <= {
        "FollowerProcessSyncMessage",
        "FollowerProcessPROPOSALInSync",
        "FollowerProcessCOMMITInSync",
        "FollowerProcessCOMMIT",
    }


def test_leaderinfo_from_a_leader_in_discovery_is_declared_where_it_cannot_be_outdated():
    """A learner's LEADERINFO from a leader that has not established its epoch is declared
    (no fault left, no fresher ACKEPOCH can reach the leader), and it keeps the definition
    along every path of three other steps."""
    model, space = state_space(**dict(COARSE, bug="ZK-3911"))
    movers, found = model.movers(), []
    for s in space:
        step = movers.persistent_step(s)
        if step is not None and step[0].name == "FollowerProcessLEADERINFO":
            j = step[0].args[1]
            if not model.params.is_quorum(s.leaders[j].electing_quorum):
                found.append(s)
    assert len(found) >= 300
    _, failures = check_persistent_steps(
        model, movers, found[::2], depth=3, properties=model.properties()
    )
    assert failures == []


def test_a_learner_that_accepts_its_leaders_epoch_is_not_counted_as_one_that_may_look():
    """A learner in discovery looks again only by rejecting its leader's LEADERINFO, an
    epoch below its acceptedEpoch; one whose acceptedEpoch is at most the least epoch its
    leader can send does not count among the voters that could elect another leader. More
    is declared so (LEADERINFO and connections to a leader in discovery that no fresher
    ACKEPOCH can reach), and it keeps the definition along every path of three other steps."""
    model, space = state_space(**dict(COARSE, bug="ZK-3911"))
    p, movers, found = model.params, model.movers(), []
    for s in space:
        step = movers.persistent_step(s)
        if step is None or step[0].name not in ("FollowerProcessLEADERINFO", CONNECT):
            continue
        j = step[0].args[1] if step[0].name != CONNECT else step[0].args[0]
        if p.is_quorum(s.leaders[j].electing_quorum):
            continue
        waiting = 0  # the voters in discovery that decided for j: all counted before
        for k, srv in enumerate(s.servers):
            lrn = s.learners[k].leader
            leader = s.elections[k].vote.leader if lrn == NULL else lrn
            if k != j and srv.online and srv.zab_state == DISCOVERY and leader == j:
                waiting |= 1 << k
        looking = sum(
            1 << k for k, srv in enumerate(s.servers) if not srv.online or srv.state == LOOKING
        )
        if p.is_quorum((waiting | looking) & p.voter_mask):
            found.append(s)
    assert len(found) >= 100
    _, failures = check_persistent_steps(
        model, movers, found, depth=3, properties=model.properties()
    )
    assert failures == []


#: Four voters, the coarse election, ZK-4685: 3 leads epoch 1 with all, commits 1:1 and
#: logs 1:2 alone, then times out (the fault used up); 3 is elected again by 0 and 2, whose
#: syncs carry the proposal 1:2; 0 acks NEWLEADER after the proposal, 2 has acked only the
#: proposal so far; 1 joins 3 late, and 3's LEADERINFO is on its way to it; 3 reads 0's ACK
#: of the proposal as its ACK of NEWLEADER (not counted).
GIVING_UP = [
    "ElectLeader(3, 15)",
    *(f"ConnectAndFollowerSendFOLLOWERINFO(3, {k})" for k in (0, 1, 2)),
    *(f"LeaderProcessFOLLOWERINFO(3, {k})" for k in (0, 1, 2)),
    *(f"{step}({k}, 3)" if step[0] == "F" else f"{step}(3, {k})"
      for k in (0, 1, 2) for step in ("FollowerProcessLEADERINFO", "LeaderProcessACKEPOCH")),
    *(f"{step}({k}, 3)" if step[0] == "F" else f"{step}(3, {k})"
      for k in (0, 1, 2)
      for step in ("LeaderSyncFollower", "FollowerProcessSyncMessage", "FollowerProcessNEWLEADER",
                   "FollowerProcessNEWLEADERAfterCurrentEpochUpdated", "LeaderProcessACKLD")),
    *(f"FollowerProcessUPTODATE({k}, 3)" for k in (0, 1, 2)),
    "LeaderProcessRequest(3)",
    *(f"FollowerProcessPROPOSAL({k}, 3)" for k in (0, 1, 2)),
    *(f"LeaderProcessACK(3, {k})" for k in (0, 1, 2)),
    *(f"FollowerProcessCOMMIT({k}, 3)" for k in (0, 1, 2)),
    "LeaderProcessRequest(3)", "ZabTimeout(3)",
    # the second epoch: 3 with 0 and 2, 1 left LOOKING
    "ElectLeader(3, 13)",
    "ConnectAndFollowerSendFOLLOWERINFO(3, 0)", "ConnectAndFollowerSendFOLLOWERINFO(3, 2)",
    "LeaderProcessFOLLOWERINFO(3, 0)", "LeaderProcessFOLLOWERINFO(3, 2)",
    "FollowerProcessLEADERINFO(0, 3)", "LeaderProcessACKEPOCH(3, 0)",
    "FollowerProcessLEADERINFO(2, 3)", "LeaderProcessACKEPOCH(3, 2)",
    *(f"{step}({k}, 3)" if step[0] == "F" else f"{step}(3, {k})"
      for k in (0, 2)
      for step in ("LeaderSyncFollower", "FollowerProcessSyncMessage",
                   "FollowerProcessPROPOSALInSync", "FollowerProcessCOMMITInSync",
                   "FollowerProcessNEWLEADER")),
    "FollowerSyncProcessorLogRequest(0)", "FollowerSyncProcessorLogRequest(2)",
    "FollowerProcessNEWLEADERAfterCurrentEpochUpdated(0, 3)",
    "FollowLeader(1, 3)", "ConnectAndFollowerSendFOLLOWERINFO(3, 1)",
    "LeaderProcessFOLLOWERINFO(3, 1)", "LeaderProcessACKLD(3, 0)",
]  # fmt: skip


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_a_receipt_from_a_leader_that_may_give_up_is_refuted(monkeypatch):
    """The last clause of :func:`~spec.system.zab_persistence.cannot_stop` (no giving up on
    NEWLEADER acks, where NEWLEADER is taken in two steps and logged through the
    SyncRequestProcessor) is needed. At the end of ``GIVING_UP`` (no fault left) 1's
    LEADERINFO, which takes acceptedEpoch 2, is not declared; declared all the same, it is
    refuted by 3's reading 2's ACK of the proposal: of the voters whose ACK of NEWLEADER can
    still count, 3 and the unread 1, none is a quorum of four, so 3 gives up and its cluster
    looks, 1 with its acceptedEpoch 1. (With three voters and no observer no such state is
    reachable: a connected voter not yet read from is a quorum with its leader.)"""
    model = SystemModel(
        Params(voters=4, max_txns=2, max_timeouts=1, coarse_election=True, bug="ZK-4685")
    )
    p = model.params
    s = replayed(model, GIVING_UP)
    assert zab_persistence.no_zab_fault_left(s, p)
    assert (s.servers[1].zab_state, s.servers[1].accepted_epoch, s.servers[3].zab_state) == (
        DISCOVERY,
        1,
        SYNCHRONIZATION,
    )
    assert not zab_persistence.cannot_stop(s, p, 3)
    assert str(model.movers().persistent_step(s)[0]) == "LeaderProcessACK(3, 0)"
    gave_up = replayed(model, ["LeaderProcessACKLD(3, 2)"], s)
    assert (gave_up.servers[1].state, gave_up.servers[1].accepted_epoch) == (LOOKING, 1)

    keep = zab_persistence.cannot_stop
    # as if NEWLEADER were taken in one step: the clause reads only the variant
    monkeypatch.setattr(
        zab_persistence, "cannot_stop", lambda s, p, j: keep(s, replace(p, bug=None), j)
    )
    step = model.movers().persistent_step(s)
    assert step is not None and str(step[0]) == "FollowerProcessLEADERINFO(1, 3)"
    _, failures = check_persistent_steps(model, model.movers(), [s], depth=1)
    assert failures == [
        "LeaderProcessACKLD(3, 2) disables FollowerProcessLEADERINFO(1, 3) without overwriting it"
    ]
