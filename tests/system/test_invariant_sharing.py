"""The properties that share what they read (:func:`spec.system.invariants.deliveries`, the
parts of the ghost read once per part) give the verdicts of their definitions read
literally, written out here as they were before the sharing: on states of seeded random
walks in the bug variants and with faults, violating states included, and through the
memo as the search calls them.
"""

from __future__ import annotations

import itertools
import pickle
from dataclasses import replace

import pytest

from spec.system import Params, SystemModel, bug_params
from spec.system import invariants as inv
from spec.system.ghost import COMMITTED_TRUNCATED, DURING_ACTION, ELECTION_UNSOUND, QUORUM_ABANDONED
from spec.system.scenarios import from_established
from spec.system.state import SystemState
from spec.system.zxid import epoch_of
from tests.system.helpers import random_walks


def literal_prefix_consistency(s: SystemState) -> bool:
    logs = [inv.delivered(s, i) for i in range(len(s.servers))]
    for a in logs:
        for b in logs:
            k = min(len(a), len(b))
            if a[:k] != b[:k]:
                return False
    return True


def literal_integrity(s: SystemState) -> bool:
    broadcast = {(r.zxid, r.value) for r in s.ghost.proposals}
    return all(
        (t.zxid, t.value) in broadcast for i in range(len(s.servers)) for t in inv.delivered(s, i)
    )


def literal_agreement(s: SystemState) -> bool:
    sets = [
        set(inv.delivered(s, i))
        for i, srv in enumerate(s.servers)
        if srv.state in inv.LEARNING and srv.last_committed > 0
    ]
    return all(a <= b or b <= a for a in sets for b in sets)


def literal_total_order(s: SystemState) -> bool:
    logs = [inv.delivered(s, i) for i in range(len(s.servers))]
    for a in logs:
        for b in logs:
            position = {t: k for k, t in enumerate(b)}
            for k2, t2 in enumerate(a):
                if t2 not in position:
                    continue
                earlier = set(b[: position[t2]])
                if any(t1 not in earlier for t1 in a[:k2]):
                    return False
    return True


def literal_local_primary_order(s: SystemState) -> bool:
    earlier: dict = {}
    by_primary: dict = {}
    for r in s.ghost.proposals:
        by_primary.setdefault((r.source, r.epoch), []).append((r.zxid, r.value))
    for txns in by_primary.values():
        for t in txns:
            earlier.setdefault(t, set()).update(u for u in txns if u[0] < t[0])
    for i in range(len(s.servers)):
        seen: set = set()
        for t in inv.delivered(s, i):
            key = (t.zxid, t.value)
            if not earlier.get(key, set()) <= seen:
                return False
            seen.add(key)
    return True


def literal_global_primary_order(s: SystemState) -> bool:
    for i in range(len(s.servers)):
        epochs = [epoch_of(t.zxid) for t in inv.delivered(s, i)]
        if any(e1 > e2 for e1, e2 in itertools.pairwise(epochs)):
            return False
    return True


def literal_leadership(s: SystemState) -> bool:
    epochs = [s.servers[i].accepted_epoch for i in inv.established_leaders(s)]
    if len(epochs) != len(set(epochs)):
        return False
    return all(mask.bit_count() <= 1 for mask in s.ghost.epoch_leader)


def _no_breach(kinds: frozenset[int]):  # type: ignore[no-untyped-def]
    return lambda s: not any(b.kind in kinds for b in s.ghost.breaches)


LITERAL = {
    "ShouldNotBeTriggered": _no_breach(DURING_ACTION),
    "Leadership": literal_leadership,
    "ElectionSafety": _no_breach(frozenset({ELECTION_UNSOUND})),
    "Integrity": literal_integrity,
    "Agreement": literal_agreement,
    "TotalOrder": literal_total_order,
    "LocalPrimaryOrder": literal_local_primary_order,
    "GlobalPrimaryOrder": literal_global_primary_order,
    "PrefixConsistency": literal_prefix_consistency,
    "CommittedLogDurability": _no_breach(frozenset({COMMITTED_TRUNCATED})),
    "LeaderStaysWithSyncedQuorum": _no_breach(frozenset({QUORUM_ABANDONED})),
}

CONFIGS = {
    "ZK-3911": bug_params("ZK-3911"),
    "ZK-4643": bug_params("ZK-4643"),
    "ZK-4646": bug_params("ZK-4646"),
    "ZK-4685": bug_params("ZK-4685"),
    "ZK-2845": bug_params("ZK-2845"),
    "fine-faults": Params(voters=3, max_txns=2, max_crashes=1, max_partitions=1, max_timeouts=2),
}


def walk_states(model: SystemModel, seed: int, walks: int = 150, steps: int = 60) -> list:
    """States of seeded random walks; a walk goes on past a violation (the properties are
    compared, not checked)."""
    return random_walks(model.init_states()[0], model.successors, seed, walks, steps)


def model_for(name: str, params: Params) -> SystemModel:
    """The model of a configuration: the bug variants from an established cluster, where
    their bugs lie close."""
    if name.startswith("ZK"):
        params = replace(params, coarse_election=True, max_txns=max(3, params.max_txns))
        return from_established(params)
    return SystemModel(params)


def test_shared_reads_give_the_literal_verdicts() -> None:
    violated: dict[str, set[str]] = {}
    for k, (name, params) in enumerate(sorted(CONFIGS.items())):
        model = model_for(name, params)
        checks = {p.name: p.condition for p in model.properties()}
        own = dict(inv.INVARIANTS)
        for s in walk_states(model, seed=k):
            for prop, literal in LITERAL.items():
                expected = literal(s)
                assert own[prop](s) == expected, (name, prop, model.format_state(s))
                assert checks[prop](s) == expected, (name, prop, "memoized")
                if not expected:
                    violated.setdefault(prop, set()).add(name)
    # both sides of the properties that the sharing changed were met
    assert {"PrefixConsistency", "TotalOrder", "Agreement", "ShouldNotBeTriggered"} <= set(violated)


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_a_small_memo_keeps_the_literal_verdicts_and_its_bound(monkeypatch) -> None:
    """With room for 8 entries the memo drops its older half many times over: the verdicts
    through it stay the literal ones (an entry dropped takes its parts along, so an id that
    a later part reuses cannot name it), and neither table grows past its bound."""
    monkeypatch.setattr(inv, "_MEMO_LIMIT", 8)
    monkeypatch.setattr(inv._Memo, "table", {})
    monkeypatch.setattr(inv._Memo, "by_id", {})
    sizes = set()
    violated = set()
    for k, (name, params) in enumerate(sorted(CONFIGS.items())):
        model = model_for(name, params)
        checks = {p.name: p.condition for p in model.properties()}
        for s in walk_states(model, seed=k, walks=50):
            # a copy, let go after its check: its parts' ids are free for later copies'
            copy = pickle.loads(pickle.dumps(s))
            for prop, literal in LITERAL.items():
                expected = literal(s)
                assert checks[prop](copy) == expected, (name, prop, "memoized, 8 entries")
                if not expected:
                    violated.add(prop)
            sizes.add((len(inv._Memo.table), len(inv._Memo.by_id)))
    assert max(max(t, b) for t, b in sizes) == 9  # the bound, and one over it before a drop
    assert violated  # some verdicts through the small memo were violations


def test_the_memo_drops_its_older_half() -> None:
    table = {k: str(k) for k in range(10)}
    inv._drop_older_half(table)
    assert list(table) == [5, 6, 7, 8, 9]


def _first_broken_literally(s: SystemState, names: list[str]) -> str | None:
    """The first of ``names`` whose predicate, as written, does not hold in ``s``."""
    return next((name for name in names if not inv.PREDICATES[name](s)), None)


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
def test_one_call_gives_the_first_broken_invariant(monkeypatch) -> None:
    """The search's one call per state (:meth:`SystemModel.invariant_checker`, memoized on
    what the invariants read) names the invariant that checking each in turn names first:
    for every invariant, in the spec's order and in another, and through a memo of 8
    entries that drops its older half over and over (states that agree on what the
    invariants read, and differ elsewhere, meet in it), its logs and ghosts coded in tables
    of 4 (:class:`spec.system.invariants.Codes`)."""
    monkeypatch.setattr(inv, "CHECKER_MEMO_LIMIT", 8)
    monkeypatch.setattr(inv, "CODE_LIMIT", 4)
    found: set[str] = set()
    for k, (name, params) in enumerate(sorted(CONFIGS.items())):
        model = model_for(name, params)
        invariants = [p for p in model.properties() if p.name in inv.PREDICATES]
        orders = [invariants, invariants[::-1], invariants[3:7]]
        checkers = [model.invariant_checker(order) for order in orders]
        for s in walk_states(model, seed=k, walks=60):
            for order, checker in zip(orders, checkers, strict=True):
                expected = _first_broken_literally(s, [p.name for p in order])
                assert checker(s) == expected, (name, [p.name for p in order])
                if expected is not None:
                    found.add(expected)
    assert len(found) >= 4  # violations of several invariants were met


def test_the_checker_key_tells_apart_what_the_invariants_read() -> None:
    """Two states get the same :func:`~spec.system.invariants.checker_key` only if they agree
    on :func:`~spec.system.invariants.parts_read`, with tables of codes that drop their older
    half over and over (copies of the states, let go after their keys, so that ids are
    reused); and states that agree on it share a key while their values are in the tables."""
    logs, ghosts = inv.Codes(4), inv.Codes(4)
    by_key: dict[tuple, tuple] = {}
    shared = 0
    for k, (name, params) in enumerate(sorted(CONFIGS.items())):
        model = model_for(name, params)
        for s in walk_states(model, seed=k, walks=40):
            copy = pickle.loads(pickle.dumps(s))
            key = inv.checker_key(copy, logs, ghosts)
            parts = inv.parts_read(s)
            assert by_key.setdefault(key, parts) == parts, name
            shared += by_key[key] is not parts
            assert max(len(logs.by_id), len(logs.by_value), len(ghosts.by_value)) <= 4
    assert shared  # some keys were met again, by states agreeing on what is read
    fresh_logs, fresh_ghosts = inv.Codes(1000), inv.Codes(1000)
    s = walk_states(model_for("ZK-4643", CONFIGS["ZK-4643"]), seed=0, walks=1)[-1]
    copy = pickle.loads(pickle.dumps(s))
    assert inv.checker_key(s, fresh_logs, fresh_ghosts) == inv.checker_key(
        copy, fresh_logs, fresh_ghosts
    )


def test_one_call_with_a_property_of_someone_elses_checks_each() -> None:
    """A selection holding a property that is not the spec's own (a ``--property`` file's,
    of the same name) is checked one by one: the spec's memo knows nothing of it."""
    from zabmc.engine import Property

    model = SystemModel(Params(voters=3, max_txns=1))
    never = Property.always("Agreement", lambda s: False)
    own = [p for p in model.properties() if p.name == "Integrity"]
    checker = model.invariant_checker([*own, never])
    assert checker(model.init_states()[0]) == "Agreement"
