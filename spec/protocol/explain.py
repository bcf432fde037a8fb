"""Why a protocol-spec invariant fails in a state: the clause and the values that broke it."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from spec.protocol.constants import FOLLOWING, LEADING, ZAB_STATE_NAMES
from spec.protocol.invariants import ESTABLISHED, committed, same_txn
from spec.protocol.render import VIOLATION_FLAGS, server_name, zxid_text
from spec.protocol.state import ZabState, has, members


def _txns(s: ZabState, i: int) -> str:
    return "[" + ", ".join(zxid_text(t.zxid) for t in committed(s, i)) + "]"


def explain_should_not_be_triggered(s: ZabState) -> str:
    flags = [f for f, v in zip(VIOLATION_FLAGS, s.violated_invariants, strict=True) if v]
    return "ShouldNotBeTriggered: an action took a branch that should never run: " + ", ".join(
        flags
    )


def explain_leadership1(s: ZabState) -> str:
    n = len(s.state)
    for i, j in combinations(range(n), 2):
        if (
            s.state[i] == LEADING
            and s.zab_state[i] in ESTABLISHED
            and s.state[j] == LEADING
            and s.zab_state[j] in ESTABLISHED
            and s.current_epoch[i] == s.current_epoch[j]
        ):
            return (
                f"Leadership1: {server_name(i)} ({ZAB_STATE_NAMES[s.zab_state[i]]}) and "
                f"{server_name(j)} ({ZAB_STATE_NAMES[s.zab_state[j]]}) are both established "
                f"leaders of epoch {s.current_epoch[i]}"
            )
    return "Leadership1 does not hold"


def explain_leadership2(s: ZabState) -> str:
    for e, mask in enumerate(s.epoch_leader, start=1):
        if mask.bit_count() > 1:
            names = ", ".join(server_name(i) for i in members(mask))
            return f"Leadership2: epoch {e} had more than one leader: {names}"
    return "Leadership2 does not hold"


def explain_prefix_consistency(s: ZabState) -> str:
    n = len(s.state)
    for i, j in combinations(range(n), 2):
        ci, cj = committed(s, i), committed(s, j)
        for k in range(min(len(ci), len(cj))):
            if not same_txn(ci[k], cj[k]):
                return (
                    f"PrefixConsistency: entry #{k + 1} committed at {server_name(i)} is "
                    f"{zxid_text(ci[k].zxid)}=v{ci[k].value} but at {server_name(j)} it is "
                    f"{zxid_text(cj[k].zxid)}=v{cj[k].value}"
                )
    for i in range(n):
        index = s.last_committed[i].index
        if index > len(s.history[i]):
            return (
                f"PrefixConsistency: {server_name(i)} has committed {index} entries "
                f"but its history holds {len(s.history[i])}"
            )
    return "PrefixConsistency: a lastCommitted index is negative"


def explain_integrity(s: ZabState) -> str:
    broadcast = {(p.zxid, p.data) for p in s.proposal_msgs_log}
    for i in range(len(s.state)):
        if s.state[i] == FOLLOWING:
            for t in committed(s, i):
                if (t.zxid, t.value) not in broadcast:
                    return (
                        f"Integrity: {server_name(i)} delivered {zxid_text(t.zxid)}=v{t.value}, "
                        "which no primary broadcast"
                    )
    return "Integrity does not hold"


def explain_agreement(s: ZabState) -> str:
    n = len(s.state)
    for i, j in combinations(range(n), 2):
        if not (s.state[i] == FOLLOWING and s.state[j] == FOLLOWING):
            continue
        ci, cj = committed(s, i), committed(s, j)
        a = next((t for t in ci if not any(same_txn(t, u) for u in cj)), None)
        b = next((t for t in cj if not any(same_txn(t, u) for u in ci)), None)
        if a is not None and b is not None:
            return (
                f"Agreement: {server_name(i)} delivered {zxid_text(a.zxid)}, which "
                f"{server_name(j)} did not; {server_name(j)} delivered {zxid_text(b.zxid)}, "
                f"which {server_name(i)} did not (committed {_txns(s, i)} vs {_txns(s, j)})"
            )
    return "Agreement does not hold"


def explain_total_order(s: ZabState) -> str:
    n = len(s.state)
    for i in range(n):
        for j in range(n):
            ci, cj = committed(s, i), committed(s, j)
            for i1, i2 in combinations(range(len(ci)), 2):
                b = [k for k in range(len(cj)) if same_txn(ci[i2], cj[k])]
                if b and not any(any(same_txn(ci[i1], cj[k]) for k in range(k2)) for k2 in b):
                    return (
                        f"TotalOrder: {server_name(i)} delivered {zxid_text(ci[i1].zxid)} before "
                        f"{zxid_text(ci[i2].zxid)}, but {server_name(j)} delivered "
                        f"{zxid_text(ci[i2].zxid)} without {zxid_text(ci[i1].zxid)} before it"
                    )
    return "TotalOrder does not hold"


def explain_global_primary_order(s: ZabState) -> str:
    for i in range(len(s.state)):
        c = committed(s, i)
        for k1 in range(len(c)):
            for k2 in range(k1):
                if c[k1].zxid[0] < c[k2].zxid[0]:
                    return (
                        f"GlobalPrimaryOrder: {server_name(i)} delivered {zxid_text(c[k2].zxid)} "
                        f"before {zxid_text(c[k1].zxid)}, of an earlier epoch"
                    )
    return "GlobalPrimaryOrder does not hold"


def explain_primary_integrity(s: ZabState) -> str:
    n = len(s.state)
    for i in range(n):
        for j in range(n):
            if not (s.state[i] == LEADING and has(s.learners[i], j)):
                continue
            for b in committed(s, j):
                if b.zxid[0] < s.current_epoch[i] and not any(
                    same_txn(a, b) for a in committed(s, i)
                ):
                    return (
                        f"PrimaryIntegrity: follower {server_name(j)} delivered "
                        f"{zxid_text(b.zxid)} of an epoch before {s.current_epoch[i]}, but its "
                        f"primary {server_name(i)} has not delivered it"
                    )
    return "PrimaryIntegrity does not hold"


EXPLANATIONS: dict[str, Callable[[ZabState], str]] = {
    "ShouldNotBeTriggered": explain_should_not_be_triggered,
    "Leadership1": explain_leadership1,
    "Leadership2": explain_leadership2,
    "PrefixConsistency": explain_prefix_consistency,
    "Integrity": explain_integrity,
    "Agreement": explain_agreement,
    "TotalOrder": explain_total_order,
    "GlobalPrimaryOrder": explain_global_primary_order,
    "PrimaryIntegrity": explain_primary_integrity,
}
