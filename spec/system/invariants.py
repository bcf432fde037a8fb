"""The system spec's safety properties, each a predicate on one state.

A server *delivers* the entries ``history[:last_committed]``. The ZAB paper's
properties keep their names (Integrity, Agreement, TotalOrder, LocalPrimaryOrder,
GlobalPrimaryOrder, PrimaryIntegrity); the log properties are those of the
mixed-grained specs (PrefixConsistency, LeaderLogCompleteness,
CommittedLogDurability, MonotonicRead, ProcessConsistency). The *committed log* is
the ghost :attr:`Ghost.committed`: the longest prefix any leader has committed.

Four properties are checked inside the steps that could break them and read the
breaches those steps record: ShouldNotBeTriggered (messages impossible in the
receiver's state, and ZkV3_7_0.tla's other in-step checks), CommittedLogDurability
(a sync dropping a committed entry), ElectionSafety (checked when a server decides)
and LeaderStaysWithSyncedQuorum (checked when a leader gives up waiting for NEWLEADER
acks).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, NamedTuple, TypeVar

from spec.system.constants import (
    BROADCAST,
    FOLLOWING,
    LEADING,
    OBSERVING,
    SYNC_DIFF,
    SYNC_SNAP,
    SYNC_TRUNC,
    SYNCHRONIZATION,
)
from spec.system.ghost import (
    COMMITTED_TRUNCATED,
    DURING_ACTION,
    ELECTION_UNSOUND,
    QUORUM_ABANDONED,
)
from spec.system.log import Entries
from spec.system.params import Params
from spec.system.state import Breach, History, ProposalRecord, SystemState
from spec.system.zxid import epoch_of

ESTABLISHED = (SYNCHRONIZATION, BROADCAST)
LEARNING = (FOLLOWING, OBSERVING)

Predicate = Callable[[SystemState], bool]
T = TypeVar("T")


def delivered(s: SystemState, i: int) -> History:
    """The entries server i has delivered."""
    srv = s.servers[i]
    return srv.history[: srv.last_committed]


def per_state(fn: Callable[[SystemState], T]) -> Callable[[SystemState], T]:
    """``fn``, computed once for the state last asked: the properties of a state are
    checked one after the other, and several read what ``fn`` finds."""
    last: list = [None, None]  # the state, fn's result

    def once(s: SystemState) -> T:
        if s is not last[0]:
            last[1] = fn(s)
            last[0] = s
        return last[1]

    once.__doc__ = fn.__doc__
    once.__name__ = fn.__name__
    return once


def per_part(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """``fn`` of one part of a state (a ghost log), computed once for each such part: a
    step that does not write the part shares it, the same object, with the state before."""
    found: dict[int, tuple[Any, T]] = {}  # by id, with the part kept so the id stays its

    def once(part: Any) -> T:
        entry = found.get(id(part))
        if entry is not None:
            return entry[1]
        if len(found) > _PART_LIMIT:
            found.clear()
        result = fn(part)
        found[id(part)] = (part, result)
        return result

    once.__doc__ = fn.__doc__
    once.__name__ = fn.__name__
    return once


_PART_LIMIT = 4096


@per_state
def established_leaders(s: SystemState) -> list[int]:
    """Servers that lead an established epoch (a quorum acked it); the list is shared, and
    must not be changed."""
    return [
        i
        for i, srv in enumerate(s.servers)
        if srv.online and srv.state == LEADING and srv.zab_state in ESTABLISHED
    ]


class Deliveries(NamedTuple):
    """What several properties read of one state's delivered prefixes, found once."""

    logs: list[History]  # delivered(s, i), for each server i
    longest: History  # the first of the longest of them
    nested: bool  # every one is a prefix of ``longest``: PrefixConsistency holds
    distinct: bool  # no transaction is twice in ``longest``


@per_state
def deliveries(s: SystemState) -> Deliveries:
    """The :class:`Deliveries` of ``s``."""
    logs = [srv.history[: srv.last_committed] for srv in s.servers]
    longest = max(logs, key=len)
    nested = all(longest[: len(log)] == log for log in logs)
    return Deliveries(logs, longest, nested, len(set(longest)) == len(longest))


def should_not_be_triggered(s: SystemState) -> bool:
    """ShouldNotBeTriggered: no step took a message that is impossible in the receiver's
    state, and no other check made inside a step failed.
    """
    return DURING_ACTION.isdisjoint(breach_kinds(s.ghost.breaches))


@per_part
def breach_kinds(breaches: tuple[Breach, ...]) -> frozenset[int]:
    """The kinds of the breaches recorded (several properties read them)."""
    return frozenset(b.kind for b in breaches)


def leadership(s: SystemState) -> bool:
    """Leadership: there is at most one established leader for a certain epoch.

    Both now (no two established leaders share an epoch) and over the run (no
    epoch was ever established by two servers).
    """
    epochs = [s.servers[i].accepted_epoch for i in established_leaders(s)]
    if len(epochs) != len(set(epochs)):
        return False
    return _one_leader_each(s.ghost.epoch_leader)


@per_part
def _one_leader_each(epoch_leader: tuple[int, ...]) -> bool:
    """No epoch was established by two servers."""
    return all(mask.bit_count() <= 1 for mask in epoch_leader)


def prefix_consistency(s: SystemState) -> bool:
    """PrefixConsistency: the prefixes delivered at any two servers agree, up to the shorter.

    That is, each is a prefix of the longest (two prefixes of one log agree up to the
    shorter; and the longest is one of the two of each pair).
    """
    return deliveries(s).nested


def integrity(s: SystemState) -> bool:
    """Integrity: if some server delivers a transaction, some primary has broadcast it."""
    broadcast = _broadcast(s.ghost.proposals)
    found = deliveries(s)
    # with prefixes of one log, the longest holds every transaction delivered; a Txn is
    # equal to, and hashes as, the pair (zxid, value)
    logs = [found.longest] if found.nested else found.logs
    return all(broadcast.issuperset(log) for log in logs)


@per_part
def _broadcast(proposals: Entries[ProposalRecord]) -> frozenset[tuple[int, int]]:
    """The transactions (zxid, value) some primary has broadcast."""
    return frozenset((r.zxid, r.value) for r in proposals)


def agreement(s: SystemState) -> bool:
    """Agreement: if learner f delivers a and learner f' delivers b,
    then f' delivers a or f delivers b.

    Prefixes of one log are nested, so it holds whenever PrefixConsistency does.
    """
    if deliveries(s).nested:
        return True
    sets = [
        set(delivered(s, i))
        for i, srv in enumerate(s.servers)
        if srv.state in LEARNING and srv.last_committed > 0
    ]
    return all(a <= b or b <= a for a in sets for b in sets)


def total_order(s: SystemState) -> bool:
    """TotalOrder: if some server delivers a before b,
    any server that delivers b delivers a before b.

    Prefixes of one log without a repeated transaction deliver each at the same
    position, so it holds whenever PrefixConsistency does and the longest has no repeat.
    """
    found = deliveries(s)
    if found.nested and found.distinct:
        return True
    logs = found.logs
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


def local_primary_order(s: SystemState) -> bool:
    """LocalPrimaryOrder: if a primary broadcasts a before b,
    a server that delivers b delivers a before b.

    Unlike Zab.tla's reading (which any pair of one proposal with itself satisfies),
    every pair is checked: for each txn b a server delivered, every txn its primary
    broadcast earlier in the same epoch is delivered before b. A prefix of a log
    passes where the log does, so with prefixes of one log only the longest is read.
    """
    earlier = _broadcast_earlier(s.ghost.proposals)
    found = deliveries(s)
    for log in [found.longest] if found.nested else found.logs:
        seen: set[tuple[int, int]] = set()
        for t in log:
            key = (t.zxid, t.value)
            if not earlier.get(key, set()) <= seen:
                return False
            seen.add(key)
    return True


@per_part
def _broadcast_earlier(
    proposals: Entries[ProposalRecord],
) -> dict[tuple[int, int], set[tuple[int, int]]]:
    """For each transaction (zxid, value) broadcast, those its primary broadcast before it
    in the same epoch; shared, and not to be changed."""
    earlier: dict[tuple[int, int], set[tuple[int, int]]] = {}
    by_primary: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for r in proposals:
        by_primary.setdefault((r.source, r.epoch), []).append((r.zxid, r.value))
    for txns in by_primary.values():
        for t in txns:
            earlier.setdefault(t, set()).update(u for u in txns if u[0] < t[0])
    return earlier


def global_primary_order(s: SystemState) -> bool:
    """GlobalPrimaryOrder: a server that delivers a of epoch e and b of epoch e' > e
    delivers a before b. With prefixes of one log, only the longest is read.
    """
    found = deliveries(s)
    for log in [found.longest] if found.nested else found.logs:
        epochs = [epoch_of(t.zxid) for t in log]
        if any(e1 > e2 for e1, e2 in itertools.pairwise(epochs)):
            return False
    return True


def primary_integrity(s: SystemState) -> bool:
    """PrimaryIntegrity: if primary p broadcasts a and a learner delivers b of an
    earlier epoch, p delivered b before broadcasting a.
    """
    for i in established_leaders(s):
        leader = s.servers[i]
        if leader.zab_state != BROADCAST:
            continue
        mine = set(delivered(s, i))
        for j, srv in enumerate(s.servers):
            if not (
                s.leaders[i].learners >> j & 1
                and srv.state in LEARNING
                and s.learners[j].leader == i
                and srv.zab_state == BROADCAST
            ):
                continue
            if any(
                epoch_of(t.zxid) < leader.current_epoch and t not in mine for t in delivered(s, j)
            ):
                return False
    return True


def leader_log_completeness(s: SystemState) -> bool:
    """LeaderLogCompleteness: an established leader holds every committed entry in its log.

    Established (SYNCHRONIZATION or BROADCAST), where MSPEC_2.tla checks any leader that
    is up. There that means the one current leader (its leaderOracle: one leader at a
    time, elected atomically). Here elections are real: a leader elected before a crash
    stays LEADING in DISCOVERY after its quorum has moved on to a newer leader (it learns
    only at its own timeout), and may lack what the newer leader commits; it never
    establishes, and syncs nobody. Checked on every leader that is up, the shortest
    ZK-4646 "violation" from the authors' cluster is exactly such a stale s2 in DISCOVERY
    (16 steps), which is no bug. A leader's log must be complete from the moment it syncs
    learners from it: SYNCHRONIZATION onwards.
    """
    committed = s.ghost.committed
    return all(s.servers[i].history[: len(committed)] == committed for i in established_leaders(s))


def committed_log_durability(s: SystemState) -> bool:
    """CommittedLogDurability: a committed entry is never truncated or overwritten."""
    return COMMITTED_TRUNCATED not in breach_kinds(s.ghost.breaches)


def monotonic_read(s: SystemState) -> bool:
    """MonotonicRead: a leader serving reads has delivered every committed entry, so a
    client never reads a state older than one it could read before.
    """
    committed = s.ghost.committed
    for i in established_leaders(s):
        srv = s.servers[i]
        if srv.zab_state == BROADCAST and delivered(s, i)[: len(committed)] != committed:
            return False
    return True


def process_consistency(s: SystemState) -> bool:
    """ProcessConsistency: once a learner has taken its leader's NEWLEADER, its log is a
    prefix of its leader's.

    MSPEC_2.tla recognises that by currentEpoch = acceptedEpoch, which its atomic
    discovery makes exact; here a learner rejoining the epoch it already had would
    match too early, so the learner's own record of NEWLEADER is used.
    """
    for i, leader in enumerate(s.servers):
        if not (leader.online and leader.state == LEADING):
            continue
        mask = s.leaders[i].learners
        for j, srv in enumerate(s.servers):
            if j == i or not mask >> j & 1 or s.learners[j].leader != i:
                continue
            if srv.state not in LEARNING or not s.learners[j].nl_received:
                continue
            if leader.history[: len(srv.history)] != srv.history:
                return False
    return True


def election_safety(s: SystemState) -> bool:
    """ElectionSafety: a server that decides for leader X has seen a quorum of votes for X,
    and X's (epoch, zxid, id) is at least the own vote of every server in that quorum.
    """
    return ELECTION_UNSOUND not in breach_kinds(s.ghost.breaches)


def leader_stays_with_synced_quorum(s: SystemState) -> bool:
    """LeaderStaysWithSyncedQuorum: a leader does not give up waiting for NEWLEADER acks
    while a quorum of voters (itself included) is connected to it and has taken its
    NEWLEADER.

    Such a quorum acks NEWLEADER without waiting for anything, so giving up there is the
    harm of ZOOKEEPER-4685 (an ACK of a proposal read as the ACK of NEWLEADER, the one
    the first quorum needed). Checked in the step that gives up.
    """
    return QUORUM_ABANDONED not in breach_kinds(s.ghost.breaches)


INVARIANTS: tuple[tuple[str, Predicate], ...] = (
    ("ShouldNotBeTriggered", should_not_be_triggered),
    ("Leadership", leadership),
    ("ElectionSafety", election_safety),
    ("Integrity", integrity),
    ("Agreement", agreement),
    ("TotalOrder", total_order),
    ("LocalPrimaryOrder", local_primary_order),
    ("GlobalPrimaryOrder", global_primary_order),
    ("PrimaryIntegrity", primary_integrity),
    ("PrefixConsistency", prefix_consistency),
    ("LeaderLogCompleteness", leader_log_completeness),
    ("CommittedLogDurability", committed_log_durability),
    ("MonotonicRead", monotonic_read),
    ("ProcessConsistency", process_consistency),
    ("LeaderStaysWithSyncedQuorum", leader_stays_with_synced_quorum),
)


# Witnesses: each must hold somewhere, or the invariants may hold for lack of anything to check.


def leader_established(s: SystemState) -> bool:
    """A leader reaches BROADCAST."""
    return any(srv.state == LEADING and srv.zab_state == BROADCAST for srv in s.servers)


def follower_delivers(s: SystemState) -> bool:
    """A follower delivers a transaction."""
    return any(srv.state == FOLLOWING and srv.last_committed > 0 for srv in s.servers)


def observer_delivers(s: SystemState) -> bool:
    """An observer delivers a transaction."""
    return any(srv.state == OBSERVING and srv.last_committed > 0 for srv in s.servers)


def _sync_by(mode: int) -> Predicate:
    def witness(s: SystemState) -> bool:
        return any(lrn.sync_mode == mode for lrn in s.learners)

    return witness


def witnesses(p: Params) -> tuple[tuple[str, Predicate], ...]:
    """The witnesses for a run with ``p``: the observer one only when there are observers."""
    found: list[tuple[str, Predicate]] = [
        ("LeaderEstablished", leader_established),
        ("FollowerDelivers", follower_delivers),
        ("SyncByDIFF", _sync_by(SYNC_DIFF)),
        ("SyncByTRUNC", _sync_by(SYNC_TRUNC)),
        ("SyncBySNAP", _sync_by(SYNC_SNAP)),
    ]
    if p.observers:
        found.append(("ObserverDelivers", observer_delivers))
    return tuple(found)


# Invariants read only the servers, the leader and learner groups and the ghost;
# elections and channels never. Fast Leader Election changes nothing they read, so most
# states share those parts with many others: an invariant's own condition (as a caller
# that checks one invariant at a time uses it) has its result memoized on them. The
# search checks every invariant in one call, memoized on less (first_broken_checker).

#: Entries each memo table keeps, at most: when one grows past it, its older half goes
#: (the tables keep insertion order), so the states just checked and their siblings still
#: hit. Most hits are by identity, on states a few steps apart; a table of 200,000 that
#: was cleared when full kept 190 MB more per search process on the ZK-3911 row (depth 28)
#: for 3% less CPU (``bench/scale.py --rows system-3911 --depth 28``).
_MEMO_LIMIT = 32_768


class _Memo:
    #: Results by the parts read: (servers, leaders, learners, ghost).
    table: ClassVar[dict[tuple, dict[str, bool]]] = {}
    #: The same, by the identities of those parts, with the parts kept (so that their ids
    #: stay theirs): a step shares the parts it does not write with the state before it,
    #: so most states are found here without hashing their parts.
    by_id: ClassVar[dict[tuple[int, int, int, int], tuple[tuple, dict[str, bool]]]] = {}


def _drop_older_half(table: dict) -> None:
    """Remove the first-inserted half of ``table``'s entries."""
    for key in list(itertools.islice(table, len(table) // 2)):
        del table[key]


def _results_for(s: SystemState) -> dict[str, bool]:
    """The results memoized for the parts of ``s`` that the properties read."""
    servers, leaders, learners, ghost = s.servers, s.leaders, s.learners, s.ghost
    ids = (id(servers), id(leaders), id(learners), id(ghost))
    by_id = _Memo.by_id
    entry = by_id.get(ids)
    if entry is not None:
        return entry[1]
    key = (servers, leaders, learners, ghost)
    table = _Memo.table
    if len(table) > _MEMO_LIMIT:
        _drop_older_half(table)
    if len(by_id) > _MEMO_LIMIT:
        # An entry dropped here lets its parts go; a part's id may then be another's, and
        # the entry that named it is gone with it.
        _drop_older_half(by_id)
    results = table.setdefault(key, {})
    by_id[ids] = (key, results)
    return results


def memoized(name: str, fn: Predicate) -> Predicate:
    """``fn``, with its result shared among states that agree on what it reads."""
    current = _CURRENT

    def check(s: SystemState) -> bool:
        if s is not current[0]:
            current[1] = _results_for(s)
            current[0] = s
        results = current[1]
        found = results.get(name)
        if found is None:
            found = results[name] = fn(s)
        return found

    check.__doc__ = fn.__doc__
    check.__name__ = fn.__name__
    return check


#: The state whose properties are being checked, and its results by property name: the
#: search checks one state's properties one after the other.
_CURRENT: list = [None, {}]

#: The invariants by name, as written (unmemoized).
PREDICATES: dict[str, Predicate] = dict(INVARIANTS)


def parts_read(s: SystemState) -> tuple:
    """What the invariants read of ``s``, per :data:`spec.system.property_parts.PROPERTY_READS`:
    per server its role (up, state), its phase (in BROADCAST; an established leader), a
    leader's epochs, its log and how much of it is delivered; per leader its learners; per
    learner its leader and whether it took NEWLEADER; and the ghost.

    States that agree on these agree on every invariant. Far fewer values than states:
    a follower's epochs and ``zab_state`` before BROADCAST, the counters, the elections and
    the channels are left out (at the ZK-3911 bounds to depth 25, 32,800 values for 369,145
    states, against 92,943 for the groups the properties' memo is keyed on).
    """
    return (
        tuple(
            [
                (
                    v.online,
                    v.state,
                    v.zab_state == BROADCAST,
                    v.state == LEADING and v.zab_state in ESTABLISHED,
                    (v.accepted_epoch, v.current_epoch) if v.state == LEADING else None,
                    v.history,
                    v.last_committed,
                )
                for v in s.servers
            ]
        ),
        tuple([ld.learners for ld in s.leaders]),
        tuple([(lr.leader, lr.nl_received) for lr in s.learners]),
        s.ghost,
    )


#: Entries the invariant checker's memo keeps, at most (its older half goes when full).
CHECKER_MEMO_LIMIT = 65_536
#: Entries each of the checker's tables of codes keeps, at most (:class:`Codes`).
CODE_LIMIT = 65_536

_UNKNOWN = object()


class Codes:
    """Small ints standing for values (logs, ghosts) in the invariant checker's key, so that
    the key is flat and cheap to hash and compare: equal values get one code while the value
    is in the table, unequal values never share one (codes are never reused). A step shares
    the logs and the ghost it does not write with the state before it, so most are found by
    identity (the object kept with its code, so its id stays its own) without hashing them.
    When a table is full its older half goes: an equal value met again then gets a new
    code, which costs the memo a miss, never a wrong verdict."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_id: dict[int, tuple[object, int]] = {}
        self.by_value: dict[object, int] = {}
        self.issued = 0

    def code(self, value: object) -> int:
        entry = self.by_id.get(id(value))
        if entry is not None:
            return entry[1]
        by_value = self.by_value
        code = by_value.get(value)
        if code is None:
            if len(by_value) >= self.limit:
                _drop_older_half(by_value)
            code = by_value[value] = self.issued
            self.issued += 1
        by_id = self.by_id
        if len(by_id) >= self.limit:
            _drop_older_half(by_id)
        by_id[id(value)] = (value, code)
        return code


def checker_key(s: SystemState, logs: Codes, ghosts: Codes) -> tuple:
    """:func:`parts_read` of ``s`` as one flat tuple, its logs and ghost by their codes: two
    states with equal keys have equal :func:`parts_read` (``tests/system/
    test_invariant_sharing.py``)."""
    key: list[object] = []
    for v in s.servers:
        leading = v.state == LEADING
        key.append(v.online)
        key.append(v.state)
        key.append(v.zab_state == BROADCAST)
        key.append(leading and v.zab_state in ESTABLISHED)
        key.append(v.accepted_epoch if leading else None)
        key.append(v.current_epoch if leading else None)
        key.append(logs.code(v.history))
        key.append(v.last_committed)
    for ld in s.leaders:
        key.append(ld.learners)
    for lr in s.learners:
        key.append(lr.leader)
        key.append(lr.nl_received)
    key.append(ghosts.code(s.ghost))
    return tuple(key)


def first_broken_checker(names: Sequence[str]) -> Callable[[SystemState], str | None]:
    """For a state, the first of the invariants ``names`` (in that order) that does not hold,
    or None: the search's one call per state, memoized on :func:`parts_read` (as
    :func:`checker_key` gives it)."""
    checks = [(name, PREDICATES[name]) for name in names]
    memo: dict[tuple, str | None] = {}
    logs, ghosts = Codes(CODE_LIMIT), Codes(CODE_LIMIT)

    def first_broken(s: SystemState) -> str | None:
        key = checker_key(s, logs, ghosts)
        found = memo.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            if len(memo) >= CHECKER_MEMO_LIMIT:
                _drop_older_half(memo)
            found = memo[key] = next((name for name, fn in checks if not fn(s)), None)
        return found  # type: ignore[return-value]

    return first_broken
