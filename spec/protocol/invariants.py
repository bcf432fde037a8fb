"""Zab.tla's safety properties, with the names the ZAB paper gives them.

Each predicate reads one state. A *committed* (delivered) entry of server i
is one of ``history[i][1..lastCommitted[i].index]``; two entries are the same
transaction when their zxid and value agree (``TxnEqual``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations, pairwise
from typing import Final

from spec.protocol.constants import (
    BROADCAST,
    FOLLOWING,
    LEADING,
    SYNCHRONIZATION,
)
from spec.protocol.state import Txn, ZabState, has

ESTABLISHED: Final = (SYNCHRONIZATION, BROADCAST)


def same_txn(a: Txn, b: Txn) -> bool:
    """``TxnEqual``: same zxid and value."""
    return a.zxid == b.zxid and a.value == b.value


def committed(s: ZabState, i: int) -> tuple[Txn, ...]:
    """The entries server i has delivered."""
    return s.history[i][: max(s.last_committed[i].index, 0)]


def nothing_committed(s: ZabState) -> bool:
    """No server has a committed entry (and no lastCommitted index is negative).

    The properties about delivered entries hold trivially then; checking this
    first keeps invariant checking cheap in the many states before any commit.
    """
    return not any(c.index for c in s.last_committed)


def should_not_be_triggered(s: ZabState) -> bool:
    """ShouldNotBeTriggered: no action has taken a branch that should never run."""
    return not any(s.violated_invariants)


def leadership1(s: ZabState) -> bool:
    """Leadership1: there is at most one established leader for a certain epoch."""
    leaders = [
        i for i in range(len(s.state)) if s.state[i] == LEADING and s.zab_state[i] in ESTABLISHED
    ]
    epochs = [s.current_epoch[i] for i in leaders]
    return len(epochs) == len(set(epochs))


def leadership2(s: ZabState) -> bool:
    """Leadership2: in every epoch, at most one server ever became leader."""
    return all(mask.bit_count() <= 1 for mask in s.epoch_leader)


def prefix_consistency(s: ZabState) -> bool:
    """PrefixConsistency: the prefixes committed at any two servers agree,
    up to the shorter one (and each is held in its server's history).
    """
    if nothing_committed(s):
        return True
    n = len(s.state)
    for i in range(n):
        for j in range(n):
            smaller = min(s.last_committed[i].index, s.last_committed[j].index)
            if smaller == 0:
                continue
            if smaller < 0:
                return False
            hi, hj = s.history[i], s.history[j]
            # Zab.tla reads history[i][index] for every index up to smaller; beyond a
            # history TLC stops with an evaluation error. A server that has committed an
            # entry it does not hold breaks the property, so it counts as violated here.
            if smaller > len(hi) or smaller > len(hj):
                return False
            if not all(same_txn(hi[k], hj[k]) for k in range(smaller)):
                return False
    return True


def integrity(s: ZabState) -> bool:
    """Integrity: if some follower delivers a transaction,
    some primary has broadcast it.
    """
    if nothing_committed(s):
        return True
    broadcast = {(p.zxid, p.data) for p in s.proposal_msgs_log}
    for i in range(len(s.state)):
        if (
            s.state[i] == FOLLOWING
            and s.last_committed[i].index > 0
            and any((t.zxid, t.value) not in broadcast for t in committed(s, i))
        ):
            return False
    return True


def agreement(s: ZabState) -> bool:
    """Agreement: if follower f delivers a and follower f' delivers b,
    then f' delivers a or f delivers b.
    """
    if nothing_committed(s):
        return True
    delivering = [
        i for i in range(len(s.state)) if s.state[i] == FOLLOWING and s.last_committed[i].index > 0
    ]
    for i in delivering:
        for j in delivering:
            ci, cj = committed(s, i), committed(s, j)
            ki = {(t.zxid, t.value) for t in ci}
            kj = {(t.zxid, t.value) for t in cj}
            i_all_in_j = all((t.zxid, t.value) in kj for t in ci)
            j_all_in_i = all((t.zxid, t.value) in ki for t in cj)
            # For every pair (a, b): a in j's, or b in i's. That fails only if
            # some a is missing at j and some b is missing at i.
            if not i_all_in_j and not j_all_in_i:
                return False
    return True


def total_order(s: ZabState) -> bool:
    """TotalOrder: if some server delivers a before b,
    any server that delivers b delivers a before b.
    """
    if nothing_committed(s):
        return True
    n = len(s.state)
    for i in range(n):
        ci = committed(s, i)
        if len(ci) < 2:
            continue
        for j in range(n):
            cj = committed(s, j)
            if len(cj) < 2:
                continue
            for i1, i2 in combinations(range(len(ci)), 2):
                b_positions = [k for k in range(len(cj)) if same_txn(ci[i2], cj[k])]
                if not b_positions:
                    continue  # j does not deliver b
                if not any(any(same_txn(ci[i1], cj[k1]) for k1 in range(k2)) for k2 in b_positions):
                    return False
    return True


def local_primary_order(s: ZabState) -> bool:
    """LocalPrimaryOrder: if a primary broadcasts a before b,
    a follower that delivers b delivers a before b.

    Ported as Zab.tla writes it: for each primary and epoch with two or more
    proposals it asks for *some* pair ``txn1, txn2`` that is ordered, and the
    pair may be one proposal twice (``TxnEqual(txn1, txn2)``), so the
    property holds in every state. It is kept, unchanged, so that the set of
    checked invariants is Zab.tla's; the ordering it means to check is
    covered by TotalOrder and GlobalPrimaryOrder.
    """
    log = s.proposal_msgs_log
    if len(log) < 2:  # no primary and epoch with two proposals
        return True
    # the proposals of each primary i and epoch e in 1..currentEpoch[i], gathered in one pass
    txns_of: dict[tuple[int, int], set[tuple]] = {}
    current_epoch = s.current_epoch
    for p in log:
        if 1 <= p.epoch <= current_epoch[p.source]:
            txns_of.setdefault((p.source, p.epoch), set()).add((p.zxid, p.data))
    for txns in txns_of.values():
        if len(txns) < 2:
            continue
        if not any(t1 == t2 or _delivered_in_order(s, t1, t2) for t1 in txns for t2 in txns):
            return False
    return True


def _delivered_in_order(s: ZabState, t1: tuple, t2: tuple) -> bool:
    """Every server that delivered the later of t1, t2 delivered the earlier one before it."""
    pre, nxt = (t2, t1) if t1[0] > t2[0] else (t1, t2)
    for j in range(len(s.state)):
        cj = [(t.zxid, t.value) for t in committed(s, j)]
        delivered_in_order = any(
            cj[k2] == nxt and k2 > 0 and pre in cj[:k2] for k2 in range(len(cj))
        )
        if len(cj) >= 2 and nxt in cj and not delivered_in_order:
            return False
    return True


def global_primary_order(s: ZabState) -> bool:
    """GlobalPrimaryOrder: a server that delivers a of epoch e and b of epoch e' > e
    delivers a before b.
    """
    if nothing_committed(s):
        return True
    for i in range(len(s.state)):
        epochs = [t.zxid[0] for t in committed(s, i)]
        if len(epochs) >= 2 and any(
            epochs[k1] < epochs[k2] and not k1 < k2
            for k1 in range(len(epochs))
            for k2 in range(len(epochs))
        ):
            return False
    return True


def primary_integrity(s: ZabState) -> bool:
    """PrimaryIntegrity: if primary p broadcasts a and a follower delivers b of an
    earlier epoch, p delivered b before broadcasting a.
    """
    if nothing_committed(s):
        return True
    n = len(s.state)
    for i in range(n):
        if not (s.state[i] == LEADING and s.zab_state[i] == BROADCAST):
            continue
        leader_committed = committed(s, i)
        for j in range(n):
            if not (
                has(s.learners[i], j)
                and s.state[j] == FOLLOWING
                and s.connect_info[j] == i
                and s.zab_state[j] == BROADCAST
                and s.last_committed[j].index >= 1
            ):
                continue
            for b in committed(s, j):
                if b.zxid[0] < s.current_epoch[i] and not any(
                    same_txn(a, b) for a in leader_committed
                ):
                    return False
    return True


#: Zab.tla's invariants, in the order TLC checks them.
INVARIANTS = (
    ("ShouldNotBeTriggered", should_not_be_triggered),
    ("Leadership1", leadership1),
    ("Leadership2", leadership2),
    ("PrefixConsistency", prefix_consistency),
    ("Integrity", integrity),
    ("Agreement", agreement),
    ("TotalOrder", total_order),
    ("LocalPrimaryOrder", local_primary_order),
    ("GlobalPrimaryOrder", global_primary_order),
    ("PrimaryIntegrity", primary_integrity),
)


#: The invariants that hold wherever nothing is committed (each tests that first).
HOLD_WHILE_NOTHING_COMMITTED = frozenset(
    {
        "PrefixConsistency",
        "Integrity",
        "Agreement",
        "TotalOrder",
        "GlobalPrimaryOrder",
        "PrimaryIntegrity",
    }
)
#: The invariants that hold wherever the committed prefixes are one sequence's
#: (:func:`commits_agree`).
HOLD_WHILE_COMMITS_AGREE = frozenset(
    {"PrefixConsistency", "Agreement", "TotalOrder", "GlobalPrimaryOrder"}
)


def commits_agree(s: ZabState) -> bool:
    """Every server's committed prefix is held (0 <= index <= its history's length) and,
    as transactions (zxid and value), is a prefix of one sequence whose zxids are distinct
    and whose epochs never decrease.

    Then PrefixConsistency, Agreement, TotalOrder and GlobalPrimaryOrder hold: any two
    committed prefixes agree up to the shorter, one holds the other's entries, an entry
    is found only at its own position, and no server delivers a later epoch's entry first.
    """
    longest: list[tuple] = []
    for h, c in zip(s.history, s.last_committed, strict=True):
        k = c.index
        if k < 0 or k > len(h):
            return False
        if not k:
            continue
        mine = [(t[0], t[1]) for t in h[:k]]
        if k > len(longest):
            if mine[: len(longest)] != longest:
                return False
            longest = mine
        elif mine != longest[:k]:
            return False
    zxids = [z for z, _ in longest]
    return len(set(zxids)) == len(zxids) and all(a[0] <= b[0] for a, b in pairwise(zxids))


def first_broken_checker(names: Sequence[str]) -> Callable[[ZabState], str | None]:
    """One call checking the invariants ``names`` (of :data:`INVARIANTS`) in that order: the
    name of the first that does not hold in a state, or None.

    Most states have nothing committed, where six of the ten hold by their first test
    (:func:`nothing_committed`), and most of the rest have commits that agree, where four
    hold (:func:`commits_agree`): those tests are made once a state, and only the
    invariants they do not settle are called.
    """
    by_name = dict(INVARIANTS)
    every = [(name, by_name[name]) for name in names]
    uncommitted = [(name, fn) for name, fn in every if name not in HOLD_WHILE_NOTHING_COMMITTED]
    agreeing = [(name, fn) for name, fn in every if name not in HOLD_WHILE_COMMITS_AGREE]

    def broken(s: ZabState) -> str | None:
        checks = uncommitted if nothing_committed(s) else agreeing if commits_agree(s) else every
        for name, holds in checks:
            if not holds(s):
                return name
        return None

    return broken


def a_leader_is_established(s: ZabState) -> bool:
    """Some leader reaches BROADCAST."""
    return any(s.state[i] == LEADING and s.zab_state[i] == BROADCAST for i in range(len(s.state)))


def a_follower_delivers(s: ZabState) -> bool:
    """Some follower delivers a transaction."""
    return any(
        s.state[i] == FOLLOWING and s.last_committed[i].index > 0 for i in range(len(s.state))
    )


#: Witnesses: each must hold somewhere, or the invariants hold for lack of anything to check.
WITNESSES = (
    ("LeaderEstablished", a_leader_is_established),
    ("FollowerDelivers", a_follower_delivers),
)
