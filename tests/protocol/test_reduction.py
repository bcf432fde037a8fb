"""Reduction of the protocol spec is sound: the reduced search gives the full search's
verdict on every configuration, finds every invariant the full search finds violated, and
its paths replay step by step on the unreduced spec.

The oracle is the full search (``--no-reduction``) of the same configuration: no reduced
count is pinned. The declarations of :mod:`spec.protocol.independence` are checked against
the definitions on whole state spaces (:mod:`zabmc.engine.reduction.verify`), and so is
what it says the properties read.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from dataclasses import fields, replace

import pytest

from spec.protocol import Params, ProtocolModel
from spec.protocol import independence as ind
from spec.protocol.bugs import BUGS
from spec.protocol.invariants import INVARIANTS
from spec.protocol.tlc_compat import TlcCompatModel
from tests.reduction_checks import replays, verdict
from zabmc.engine import CheckOptions, CheckResult, Model, check_bfs
from zabmc.engine.properties import select_properties
from zabmc.engine.reduction import reducing_expander
from zabmc.engine.reduction.verify import check_persistent_steps, check_right_movers


def search(
    model: Model,
    reduce: bool,
    symmetry: bool = False,
    invariants: Sequence[str] | None = None,
    chains: bool = False,
) -> CheckResult:
    expander = None
    if reduce:
        checked, witnesses = select_properties(model, invariants)
        expander = reducing_expander(model, [p.name for p in (*checked, *witnesses)], chains)
    options = CheckOptions(
        check_deadlock=False, symmetry=symmetry, invariants=invariants, expander=expander
    )
    return check_bfs(model, options)


def violated(model: Model, reduce: bool, symmetry: bool) -> dict[str, CheckResult]:
    """Each invariant checked alone: the searches that found it violated."""
    found = {}
    for name, _ in INVARIANTS:
        result = search(model, reduce, symmetry, invariants=[name])
        if result.violation is not None:
            found[name] = result
    return found


def assert_sound(model: ProtocolModel, symmetry: bool, chains: bool = False) -> CheckResult:
    """The reduced search's verdict, witnesses and violated invariants are the full
    search's, and every path it reports replays on the unreduced spec."""
    full, reduced = search(model, False, symmetry), search(model, True, symmetry, chains=chains)
    assert verdict(reduced) == verdict(full)
    assert {n for n, d in reduced.examples.items() if d} == {
        n for n, d in full.examples.items() if d
    }
    if full.violation is None:
        assert reduced.complete and reduced.distinct_states <= full.distinct_states
    props = {p.name: p for p in model.properties()}
    for discovery in (reduced.violation, *reduced.examples.values()):
        if discovery is None:
            continue
        assert replays(model, discovery), discovery.property  # under symmetry too
        assert props[discovery.property].condition(discovery.steps[-1].state) is (
            discovery.kind != "invariant"
        )
    if full.violation is not None:  # every invariant violated in full, violated reduced
        everyone = violated(model, False, symmetry)
        reduced_found = violated(model, True, symmetry)
        assert set(reduced_found) == set(everyone)
        for result in reduced_found.values():
            assert replays(model, result.violation)
    return reduced


def config_id(kw: dict) -> str:
    return "-".join(f"{k}={v}" for k, v in kw.items())


EXPOSED = dict(servers=3, max_timeouts=0, max_txns=2, max_epoch=2)

#: The default run: small configurations, about 25 s in all.
FAST = [
    (dict(servers=2, max_timeouts=1, max_txns=1, max_epoch=1), False),
    (dict(servers=2, max_timeouts=1, max_txns=2, max_epoch=2, max_restarts=1), False),
    (dict(servers=3, max_timeouts=0, max_txns=1, max_epoch=1), False),
    (dict(servers=3, max_timeouts=1, max_txns=1, max_epoch=1), False),  # the CLI's defaults
    (dict(servers=3, max_timeouts=1, max_txns=1, max_epoch=1), True),
    (EXPOSED, False),
    (dict(EXPOSED, bug="strict-propose"), True),
]

#: For each bug variant, bounds where the full search finds it (the variant's comparison
#: without symmetry, in the default run). A variant added without an entry fails
#: test_each_bug_variant_is_compared_where_the_full_search_finds_it.
EXHIBITS: dict[str, dict] = {
    "propose-to-ackld": EXPOSED,
    "strict-propose": EXPOSED,
    "commitld-ackld-zxid": EXPOSED,
}

#: Larger ones, with a timeout or a restart left while the cluster broadcasts.
SLOW = [
    *((dict(EXPOSED, bug=b), True) for b in BUGS if b != "strict-propose"),
    (dict(servers=3, max_timeouts=1, max_txns=2, max_epoch=2), False),  # 351,844 states
    (dict(servers=3, max_timeouts=1, max_txns=2, max_epoch=2), True),
    (dict(servers=3, max_timeouts=1, max_txns=1, max_epoch=2, max_restarts=1), False),
    *((dict(servers=3, max_timeouts=1, max_txns=2, max_epoch=2, bug=b), True) for b in BUGS),
    (dict(servers=4, max_timeouts=0, max_txns=1, max_epoch=1), True),
]


@pytest.mark.parametrize(
    ("kw", "symmetry"), FAST, ids=lambda c: config_id(c) if isinstance(c, dict) else f"symmetry={c}"
)
def test_reduced_protocol_search_gives_the_full_verdict(kw, symmetry):
    assert_sound(ProtocolModel(Params(**kw)), symmetry)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kw", "symmetry"), SLOW, ids=lambda c: config_id(c) if isinstance(c, dict) else f"symmetry={c}"
)
def test_reduced_protocol_search_gives_the_full_verdict_on_larger_configurations(kw, symmetry):
    assert_sound(ProtocolModel(Params(**kw)), symmetry)


@pytest.mark.parametrize("bug", BUGS)
def test_each_bug_variant_is_compared_where_the_full_search_finds_it(bug):
    """The full search finds the variant's violation; the reduced search gives its verdict,
    finds every invariant it finds violated, and its paths replay."""
    assert bug in EXHIBITS, f"no configuration where the full search finds {bug}"
    model = ProtocolModel(Params(**EXHIBITS[bug], bug=bug))
    assert search(model, False).violation is not None
    assert assert_sound(model, symmetry=False).violation is not None


def test_the_comparisons_vary_every_bound():
    """Every field of Params takes a value other than its default in some comparison (a
    new bound fails this until a comparison covers it); every bug variant is compared, with
    and without symmetry."""
    compared = [Params(**kw) for kw, _ in (*FAST, *SLOW)]
    compared += [Params(**kw, bug=b) for b, kw in EXHIBITS.items()]
    default = Params()
    for f in fields(Params):
        if f.init:
            values = {getattr(p, f.name) for p in compared}
            assert values - {getattr(default, f.name)}, f"no comparison varies {f.name}"
    assert {p.bug for p in compared} >= set(BUGS)
    assert {kw.get("bug") for kw, symmetry in SLOW if symmetry} >= set(BUGS)


@pytest.mark.parametrize("bug", BUGS)
def test_chained_receipts_give_the_full_verdict(bug):
    """With ``--chains`` too (right movers chained with their server's next step)."""
    model = ProtocolModel(Params(**EXPOSED, bug=bug))
    full, reduced = search(model, False), search(model, True, chains=True)
    assert verdict(reduced) == verdict(full) and replays(model, reduced.violation)


def test_reduction_takes_receipts_alone_and_stores_fewer_states():
    """Not a pinned count: persistent steps are taken, and fewer states are stored."""
    model = ProtocolModel(Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2))
    full, reduced = search(model, False), search(model, True)
    assert reduced.reduction["persistent_steps"]["states_expanded_by_one_step"] > 0
    assert reduced.distinct_states < full.distinct_states
    assert full.reduction is None


def explored(kw: dict, depth: int | None = None) -> tuple[ProtocolModel, list]:
    model = ProtocolModel(Params(**kw))
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append, max_depth=depth))
    return model, states


VERIFIED = [
    dict(servers=3, max_timeouts=1, max_txns=1, max_epoch=1),
    dict(servers=2, max_timeouts=1, max_txns=2, max_epoch=2, max_restarts=1),
    dict(EXPOSED, bug="propose-to-ackld"),
    pytest.param(
        dict(servers=3, max_timeouts=1, max_txns=2, max_epoch=2),
        marks=pytest.mark.slow,  # 351,844 states, every fifth checked
    ),
]


@pytest.mark.parametrize("kw", VERIFIED, ids=config_id)
def test_declared_steps_are_persistent_and_right_movers(kw):
    """Every path of other steps (3 deep) from each state where a receipt is declared
    commutes with it, and each declared right mover commutes to the right (the
    definitions, checked)."""
    model, states = explored(kw)
    states = states[::5] if len(states) > 100_000 else states
    checked, failures = check_persistent_steps(model, model.movers(), states, depth=3)
    assert checked > 50 and failures == []
    checked, failures = check_right_movers(model, model.movers(), states)
    assert checked > 50 and failures == []


@pytest.mark.parametrize("kw", VERIFIED[:3], ids=config_id)
def test_a_step_that_changes_no_read_part_leaves_every_property_as_it_was(kw):
    """What the module says the properties read is all they read: on every explored step
    that changes no part of PROPERTY_PARTS, every invariant and witness keeps its value."""
    model, states = explored(kw)
    movers, props = model.movers(), model.properties()
    invisible = 0
    for s in states:
        for _, t in model.successors(s):
            if movers.parts_changed(s, t) & ind.PROPERTY_PARTS:
                continue
            invisible += 1
            assert [p.condition(s) for p in props] == [p.condition(t) for p in props]
    assert invisible > 100


def test_a_timeout_left_refutes_the_declaration(monkeypatch):
    """Without the condition that no failure is left, the check finds a Timeout that does
    not commute with a declared receipt (it keeps what the receipt wrote)."""
    monkeypatch.setattr(ind, "no_failure_left", lambda s, p: True)
    model, states = explored(dict(servers=3, max_timeouts=1, max_txns=1, max_epoch=1))
    _, failures = check_persistent_steps(model, model.movers(), states, depth=2, limit=3)
    assert failures and all("Timeout" in f for f in failures), failures


def test_a_user_property_with_a_built_in_name_turns_the_reduction_off():
    """A ``--property`` file may define PrefixConsistency otherwise: then it reads all."""
    model = ProtocolModel(Params())
    shadow = [replace(p, condition=lambda s: True) for p in model.properties()[:1]]
    copied = copy(model)
    copied.properties = lambda: [*shadow, *model.properties()[1:]]
    name = shadow[0].name
    assert copied.movers().property_reads(name) is None
    assert model.movers().property_reads(name) == ind.PROPERTY_PARTS


def test_the_tlc_compatible_model_is_never_reduced():
    """``--tlc-compat`` counts as TLC does, state for state: it declares nothing."""
    assert TlcCompatModel(Params()).movers() is None
