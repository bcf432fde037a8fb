"""Reduction is sound: the reduced search gives the full search's verdict, and its paths
replay step by step on the unreduced spec.

The oracle is the full search (``--no-reduction``) of the same configuration: the tests
compare verdicts and witnesses, never pin reduced counts. The mover declarations are
also checked against the definition on whole state spaces
(:func:`zabmc.engine.reduction.verify.check_right_movers`).
"""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from spec.system import SPEC_INFO, Params, SystemModel, bug_params
from spec.system.bugs import BUGS
from spec.system.election.actions import fle_handle_notmsg
from spec.system.params import ZK_37, ZK_39
from spec.system.scenarios import from_established
from tests.reduction_checks import replays, verdict
from zabmc.engine import Action, CheckOptions, CheckResult, Expectation, Model, check_bfs
from zabmc.engine.properties import select_properties
from zabmc.engine.reduction import ChainExpander, reducing_expander
from zabmc.engine.reduction.verify import check_persistent_steps, check_right_movers


def search(model: Model, reduce: bool, chains: bool = False, **options) -> CheckResult:
    expander = None
    if reduce:
        checked, witnesses = select_properties(model, None)
        expander = reducing_expander(model, [p.name for p in (*checked, *witnesses)], chains)
    return check_bfs(model, CheckOptions(check_deadlock=False, expander=expander, **options))


def witnessed(result: CheckResult) -> set[str]:
    return {n for n, d in result.examples.items() if d}


def violated_anywhere(
    model: Model, reduce: bool, chains: bool = False
) -> tuple[CheckResult, set[str]]:
    """A search to the end (no invariant stops it), and the invariants that some state it
    met violates: what it would find checking each invariant alone."""
    invariants = [p for p in model.properties() if p.expectation is Expectation.ALWAYS]
    found: set[str] = set()

    def note(state) -> None:
        for p in invariants:
            if p.name not in found and not p.condition(state):
                found.add(p.name)

    return search(model, reduce, chains, invariants=[], on_state=note), found


def assert_same_verdict(model: Model, chains: bool = False) -> CheckResult:
    """The reduced search finds what the full one finds; its paths replay unreduced.

    Where a violation stops both searches, each stops at the end of its own level and
    depths are counted differently, so the witnesses each met by then may differ: they
    are compared on both searches run to the end without the invariants, which also
    show that every invariant the full search finds violated (some state it meets
    violates it) is violated in a state the reduced search meets.
    """
    full, reduced = search(model, False), search(model, True, chains)
    assert verdict(reduced) == verdict(full)
    if full.violation is None:
        assert witnessed(reduced) == witnessed(full)
    else:
        whole, broken = violated_anywhere(model, True, chains)
        whole_full, broken_full = violated_anywhere(model, False)
        assert whole.complete and witnessed(whole) == witnessed(whole_full)
        assert full.violation.property in broken_full and broken == broken_full
        for discovery in whole.examples.values():
            if discovery is not None:
                assert replays(model, discovery), discovery.property
    if full.violation is None:
        assert reduced.complete and reduced.distinct_states <= full.distinct_states
    for discovery in (reduced.violation, *reduced.examples.values()):
        if discovery is not None:
            assert replays(model, discovery), discovery.property
    if reduced.violation is not None:
        props = {p.name: p for p in model.properties()}
        assert not props[reduced.violation.property].condition(reduced.violation.steps[-1].state)
    return reduced


FAST = [
    dict(voters=2, max_txns=1, max_timeouts=1),
    dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1),
    dict(voters=2, max_txns=0, max_timeouts=1, max_partitions=1),
    dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug="ZK-2845"),
    dict(voters=3, max_txns=0, max_timeouts=0, max_epoch=1, coarse_election=True),
    # the bug hunts' shape: Zab receipts taken alone, the durable ones once the crash is used
    dict(voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug="ZK-4646"),
]

SLOW = [
    dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, max_partitions=1),
    dict(voters=2, max_txns=2, max_timeouts=1, max_crashes=1),
    dict(voters=2, observers=1, max_txns=0, max_timeouts=0),
    *(dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug=b) for b in BUGS),
    dict(voters=3, max_txns=1, max_timeouts=1, coarse_election=True, bug="ZK-2845"),
    dict(voters=3, max_txns=1, max_timeouts=0, coarse_election=True, bug="ZK-4685"),
    dict(voters=2, observers=1, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True),
    dict(voters=3, max_txns=0, max_timeouts=0, max_epoch=0),  # FLE alone: vote adoptions free
    # the whole protocol after the fine-grained election of three: decided servers' receipts,
    # learners' and leaders' receipts (963,020 states in full, about 3 minutes)
    dict(voters=3, max_txns=0, max_timeouts=0, max_epoch=1),
    # no fault at all: every leader's receipt of spec.system.leader_persistence is declared,
    # LEADERINFO from a leader in discovery too; two txns for late ACKs and a silent leader
    dict(voters=3, max_txns=2, max_timeouts=0, max_crashes=0, coarse_election=True),
    dict(voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug="ZK-3911"),
    dict(voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug="ZK-4643"),
]


#: For each bug variant, and for each ZooKeeper version the search offers but the fixed
#: default (3.9, clean: every other configuration compares it), a configuration where the
#: full search finds a violation: there the comparison is of two violations, not
#: of two clean runs (at the comparisons' small bounds above, ZK-3911, ZK-4643, ZK-4646 and
#: ZK-4685 break nothing). Each is (params, from the authors' established cluster). A bug
#: variant or a version added without an entry here fails
#: test_each_bug_variant_and_version_is_compared_where_the_full_search_finds_it.
EXHIBITS: dict[str, tuple[Params, bool]] = {
    "ZK-2845": (Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug="ZK-2845"), False),
    "ZK-3911": (bug_params("ZK-3911"), True),
    "ZK-4643": (bug_params("ZK-4643"), True),
    "ZK-4646": (bug_params("ZK-4646"), True),
    "ZK-4685": (bug_params("ZK-4685"), True),
    # 3.7 has ZK-4643, ZK-4646 and ZK-4685 without a variant
    f"zk={ZK_37}": (replace(bug_params("ZK-4685", fixed=True), zk=ZK_37), True),
}
#: Those that take a minute or more (about 1,000,000 states from the established cluster).
SLOW_EXHIBITS = frozenset({"ZK-3911", "ZK-4643", "ZK-4646"})

VARIANTS = [*BUGS, *(f"zk={v}" for v in SPEC_INFO.choices["zk"] if v != ZK_39)]


def exhibit(name: str) -> Model:
    params, established = EXHIBITS[name]
    return from_established(params) if established else SystemModel(params)


@pytest.mark.parametrize("chains", [False, True], ids=["persistent", "persistent+chains"])
@pytest.mark.parametrize(
    "name",
    [pytest.param(v, marks=pytest.mark.slow) if v in SLOW_EXHIBITS else v for v in VARIANTS],
)
def test_each_bug_variant_and_version_is_compared_where_the_full_search_finds_it(name, chains):
    """Both searches find the same invariant violated, the reduced search every invariant
    the full one finds violated, and the reduced paths replay."""
    assert name in EXHIBITS, f"no configuration where the full search finds {name}"
    params = EXHIBITS[name][0]
    expected = (name, ZK_39) if name in BUGS else (None, name.removeprefix("zk="))
    assert (params.bug, params.zk) == expected
    reduced = assert_same_verdict(exhibit(name), chains)
    assert reduced.violation is not None
    if name in SLOW_EXHIBITS:
        assert verdict(reduced) == ("invariant", "LeaderLogCompleteness")
        assert reduced.reduction["persistent_steps"]["goal_closed"] > 0


#: Params fields that no comparison needs to vary, and why.
NOT_COMPARED = {
    "zookeeper_timing": "replay only: the search keeps it off, and it declares nothing",
}


def test_the_comparisons_vary_every_bound_and_option():
    """Every field of Params takes a value other than its default in some comparison (a
    new bound or option fails this until a comparison covers it, or it is listed in
    NOT_COMPARED with its reason); every bug variant and every offered ZooKeeper version is
    compared; both elections, 3 voters with each, observers with each, and chains."""
    compared = [
        *(Params(**kw) for kw in (*FAST, *SLOW)),
        *(params for params, _ in EXHIBITS.values()),
    ]
    default = Params()
    for f in fields(Params):
        if f.init and f.name not in NOT_COMPARED:
            values = {getattr(p, f.name) for p in compared}
            assert values - {getattr(default, f.name)}, f"no comparison varies {f.name}"
    assert {p.bug for p in compared} >= set(BUGS)
    assert {p.zk for p in compared} >= set(SPEC_INFO.choices["zk"])
    for coarse in (False, True):
        same = [p for p in compared if p.coarse_election == coarse]
        assert any(p.voters == 3 for p in same) and any(p.observers for p in same)
        assert any(p.max_crashes for p in same)
    assert any(p.max_partitions and not p.coarse_election for p in compared)


def config_id(kw: dict) -> str:
    return "-".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("chains", [False, True], ids=["persistent", "persistent+chains"])
@pytest.mark.parametrize("kw", FAST, ids=config_id)
def test_reduced_system_search_gives_the_full_verdict(kw, chains):
    assert_same_verdict(SystemModel(Params(**kw)), chains)


@pytest.mark.slow
@pytest.mark.parametrize("kw", SLOW, ids=config_id)
def test_reduced_system_search_gives_the_full_verdict_on_larger_configurations(kw):
    assert_same_verdict(SystemModel(Params(**kw)))


def test_reduction_chains_receipts_and_stores_fewer_states():
    """Not a pinned count: the chains exist, and the reduced state space is smaller."""
    model = SystemModel(Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1))
    full, reduced = search(model, False), search(model, True, chains=True)
    assert reduced.reduction is not None and reduced.reduction["chains"] > 0
    assert any("+" in name for name in reduced.actions)
    assert reduced.distinct_states < full.distinct_states
    assert full.reduction is None


def test_a_chained_counterexample_shows_the_spec_s_own_steps():
    model = SystemModel(Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug="ZK-2845"))
    v = search(model, True, chains=True).violation
    assert v is not None
    names = {s.action.name for s in v.steps[1:]}
    assert "FLEReceiveNotmsg" in names and not any("+" in n for n in names)


@pytest.mark.parametrize(
    ("kw", "depth"),
    [
        (dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, max_partitions=1), None),
        (dict(voters=2, observers=1, max_txns=0, max_timeouts=0), 14),
        pytest.param(
            dict(voters=3, max_txns=1, max_timeouts=1, max_crashes=1, max_partitions=1),
            8,
            marks=pytest.mark.slow,  # a third server's steps, about a minute
        ),
    ],
    ids=lambda c: config_id(c) if isinstance(c, dict) else f"depth={c}",
)
def test_declared_movers_commute_on_the_state_space(kw, depth):
    model = SystemModel(Params(**kw))
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append, max_depth=depth))
    checked, failures = check_right_movers(model, model.movers(), states)
    assert checked > 1000 and failures == []


def test_a_wrong_mover_declaration_is_caught():
    """The check can fail: declaring every receipt a mover (answers included) is refuted."""

    class Careless(type(SystemModel(Params()).movers())):  # type: ignore[misc]
        def right_mover(self, state, action, successor):
            receipt = action.name == "FLEReceiveNotmsg"
            return frozenset({"elections", "network"}) if receipt else None

    model = SystemModel(Params(voters=2, max_txns=0, max_timeouts=1))
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append))
    movers = Careless(model.params, [p.name for p in model.properties()])
    _, failures = check_right_movers(model, movers, states)
    assert failures


def test_a_property_that_reads_everything_turns_chaining_off():
    model = SystemModel(Params(voters=2, max_txns=0, max_timeouts=1))
    expander = ChainExpander(model, model.movers(), ["SomeoneElsesInvariant"])
    result = check_bfs(model, CheckOptions(check_deadlock=False, expander=expander))
    assert result.reduction["chains"] == 0 and not result.reduction["enabled"]
    assert result.distinct_states == search(model, False).distinct_states


@pytest.mark.parametrize(
    ("kw", "depth", "paths"),
    [
        (dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, max_partitions=1), None, 3),
        (dict(voters=2, observers=1, max_txns=0, max_timeouts=1, max_crashes=1), 12, 2),
        pytest.param(
            dict(voters=3, max_txns=1, max_timeouts=1, max_crashes=1),
            8,
            2,
            marks=pytest.mark.slow,  # a third server's steps, about a minute
        ),
    ],
    ids=lambda c: config_id(c) if isinstance(c, dict) else str(c),
)
def test_declared_persistent_steps_commute_or_are_overwritten(kw, depth, paths):
    """Every path of other steps (``paths`` deep) from every state where a persistent step
    is declared commutes with it or overwrites it (the definition, checked)."""
    model = SystemModel(Params(**kw))
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append, max_depth=depth))
    checked, failures = check_persistent_steps(model, model.movers(), states, depth=paths)
    assert checked > 500 and failures == []


def test_a_wrong_persistent_step_declaration_is_caught():
    """The check can fail: declaring every handling of a notification persistent (a vote
    change and its notifications included) is refuted."""

    class Careless(type(SystemModel(Params()).movers())):  # type: ignore[misc]
        def persistent_step(self, state):
            for i in range(self.params.n):
                succ = fle_handle_notmsg(state, self.params, i)
                if succ is not None:
                    return Action("FLEHandleNotmsg", (i,)), succ
            return None

    model = SystemModel(Params(voters=2, max_txns=0, max_timeouts=1))
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append))
    movers = Careless(model.params, [p.name for p in model.properties()])
    _, failures = check_persistent_steps(model, movers, states)
    assert any("does not commute" in f for f in failures)


def test_persistent_steps_are_taken_alone_and_say_so():
    model = SystemModel(Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1))
    reduced = search(model, True)
    assert reduced.reduction["persistent_steps"]["states_expanded_by_one_step"] > 0


def vote_adoptions(model: SystemModel, depth: int | None) -> list:
    """The states (to ``depth``) whose declared persistent step changes the vote or round."""
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append, max_depth=depth))
    movers, found = model.movers(), []
    for s in states:
        declared = movers.persistent_step(s)
        if declared is not None:
            i = declared[0].args[0]
            old, new = s.elections[i], declared[1].elections[i]
            if (old.vote, old.round) != (new.vote, new.round):
                found.append(s)
    return found


@pytest.mark.parametrize(
    ("kw", "depth"),
    [
        (dict(voters=3, max_txns=0, max_timeouts=0, max_epoch=0), 9),
        (dict(voters=3, max_txns=0, max_timeouts=1, max_epoch=1), 11),
        pytest.param(
            dict(voters=3, max_txns=1, max_timeouts=1, max_crashes=1, max_partitions=1),
            10,
            marks=pytest.mark.slow,  # every fault used up on the way, about a minute
        ),
    ],
    ids=lambda c: config_id(c) if isinstance(c, dict) else f"depth={c}",
)
def test_declared_vote_adoptions_commute_or_are_overwritten(kw, depth):
    """Where no fault is left, a LOOKING server adopting and sending a vote is declared
    persistent; every path of other steps (3 deep) commutes with it."""
    model = SystemModel(Params(**kw))
    states = vote_adoptions(model, depth)
    checked, failures = check_persistent_steps(model, model.movers(), states, depth=3)
    assert checked > 100 and failures == []


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
@pytest.mark.parametrize(
    ("dropped", "kw", "depth", "refuted_by"),
    [
        ("max_timeouts", dict(voters=3, max_txns=0, max_timeouts=1, max_epoch=0), 8, "FLENotmsg"),
        ("max_crashes", dict(voters=2, max_txns=0, max_timeouts=0, max_crashes=1), None, "Node"),
        (
            "max_partitions",
            dict(voters=2, max_txns=0, max_timeouts=0, max_partitions=1),
            None,
            "Partition",
        ),
        ("older rounds", dict(voters=3, max_txns=0, max_timeouts=1, max_epoch=1), 11, "Receive"),
    ],
)
def test_each_condition_of_a_vote_adoption_is_needed(monkeypatch, dropped, kw, depth, refuted_by):
    """Dropping one condition of the declaration makes it wrong, and the check says so."""
    from spec.system import independence

    if dropped == "older rounds":
        monkeypatch.setattr(independence, "no_older_round", lambda *args: True)
    else:  # as if that bound were used up already
        keep = independence.no_fault_left
        monkeypatch.setattr(
            independence, "no_fault_left", lambda s, p: keep(s, replace(p, **{dropped: 0}))
        )
    model = SystemModel(Params(**kw))
    states = vote_adoptions(model, depth)
    _, failures = check_persistent_steps(model, model.movers(), states, depth=3, limit=3)
    assert failures and all(refuted_by in f for f in failures), failures


def _a_declared_delivery() -> tuple:
    """A state, declared receipt and successor of a follower delivering (a COMMIT)."""
    model = SystemModel(Params(voters=2, max_txns=1, max_timeouts=0))
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append))
    movers = model.movers()
    for s in states:
        step = movers.persistent_step(s)
        if step is not None and step[0].name == "FollowerProcessCOMMIT":
            i = step[0].args[0]
            if s.servers[i].last_committed != step[1].servers[i].last_committed:
                return s, step[0], step[1]
    raise AssertionError("no delivering COMMIT declared")


def test_a_user_property_with_a_built_in_name_reads_everything():
    """A ``--property`` file may define Agreement otherwise (``with_properties`` puts it in
    the built-in's place): the declarations then do not know what it reads."""
    from copy import copy

    from spec.system.property_parts import PROPERTY_READS

    model = SystemModel(Params(voters=2))
    own = list(model.properties())
    shadow = replace(own[0], condition=lambda s: True)
    copied = copy(model)
    copied.properties = lambda: [shadow, *own[1:]]  # type: ignore[method-assign]
    assert copied.movers().property_reads(shadow.name) is None
    assert copied.movers().property_reads(own[1].name) == PROPERTY_READS[own[1].name]
    assert model.movers().property_reads(shadow.name) == PROPERTY_READS[shadow.name]
    assert not copied.movers().goal_closed(shadow.name, *_a_declared_delivery())


def test_zab_receipts_count_no_level_with_the_fine_grained_election_only():
    """Every Zab receipt, and nothing else, is free with the fine-grained election (one
    level a message, at its send); with the coarse election depth counts as before."""
    from spec.system.independence import ZAB_RECEIPTS
    from spec.system.model import RECEIVE_STEPS, STEPS

    assert {name for steps in RECEIVE_STEPS.values() for name, _ in steps} == ZAB_RECEIPTS
    fine = SystemModel(Params(voters=2)).movers()
    coarse = SystemModel(Params(voters=2, coarse_election=True)).movers()
    for name in STEPS:
        action = Action(name, (0, 1))
        assert fine.free_step(action) == (name in ZAB_RECEIPTS)
        assert not coarse.free_step(action)
    leaderinfo = Action("FollowerProcessLEADERINFO", (0, 1))
    assert coarse.counts_depth(leaderinfo) and not fine.counts_depth(leaderinfo)
