"""Why a system-spec invariant fails in a state: the clause and the values that broke it."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations, pairwise

from spec.system.constants import SERVER_STATE_NAMES, ZAB_STATE_NAMES
from spec.system.ghost import (
    BREACH_NAMES,
    COMMITTED_TRUNCATED,
    DURING_ACTION,
    ELECTION_UNSOUND,
    QUORUM_ABANDONED,
)
from spec.system.invariants import LEARNING, delivered, established_leaders
from spec.system.render import breach_text, history_text, server_name
from spec.system.state import Breach, History, SystemState, Txn
from spec.system.zxid import epoch_of, zxid_text


def _txn(t: Txn) -> str:
    return f"{zxid_text(t.zxid)}=v{t.value}"


def _log(h: History) -> str:
    return "[" + ", ".join(history_text(h)) + "]"


def _first_breach(s: SystemState, kinds: frozenset[int]) -> Breach | None:
    return next((b for b in s.ghost.breaches if b.kind in kinds), None)


def _role(s: SystemState, i: int) -> str:
    srv = s.servers[i]
    return f"{SERVER_STATE_NAMES[srv.state]}/{ZAB_STATE_NAMES[srv.zab_state]}"


def explain_should_not_be_triggered(s: SystemState) -> str:
    b = _first_breach(s, DURING_ACTION)
    if b is None:
        return "ShouldNotBeTriggered does not hold"
    what = {
        "messageIllegal": "took a message that cannot arrive in its state",
        "stateInconsistent": "found its own phase at odds with the message",
        "proposalInconsistent": "took a proposal or truncation out of order",
        "commitInconsistent": "took a commit of a transaction that is not next or not seen",
        "ackInconsistent": "took an ACK of a transaction not proposed, or out of order",
    }[BREACH_NAMES[b.kind]]
    return (
        f"ShouldNotBeTriggered: {server_name(b.server)} ({_role(s, b.server)}) {what}: "
        f"{breach_text(b)}"
    )


def explain_leadership(s: SystemState) -> str:
    leaders = established_leaders(s)
    for i, j in combinations(leaders, 2):
        if s.servers[i].accepted_epoch == s.servers[j].accepted_epoch:
            return (
                f"Leadership: {server_name(i)} ({_role(s, i)}) and {server_name(j)} "
                f"({_role(s, j)}) are both established leaders of epoch "
                f"{s.servers[i].accepted_epoch}"
            )
    for e, mask in enumerate(s.ghost.epoch_leader, start=1):
        if mask.bit_count() > 1:
            names = ", ".join(server_name(k) for k in range(mask.bit_length()) if mask >> k & 1)
            return f"Leadership: epoch {e} was established by more than one server: {names}"
    return "Leadership does not hold"


def explain_election_safety(s: SystemState) -> str:
    b = _first_breach(s, frozenset({ELECTION_UNSOUND}))
    if b is None:
        return "ElectionSafety does not hold"
    return (
        f"ElectionSafety: {server_name(b.server)} decided without a quorum whose own votes "
        f"its leader's vote is at least: {server_name(b.peer)} is no such voter (its own vote "
        f"is higher, or it was not a LOOKING voter in reach, or the quorum is none)"
    )


def explain_leader_stays_with_synced_quorum(s: SystemState) -> str:
    b = _first_breach(s, frozenset({QUORUM_ABANDONED}))
    if b is None:
        return "LeaderStaysWithSyncedQuorum does not hold"
    return (
        f"LeaderStaysWithSyncedQuorum: {server_name(b.server)} gave up waiting for NEWLEADER "
        f"acks, though a quorum had taken its NEWLEADER: it read ACK {zxid_text(b.zxid)} from "
        f"{server_name(b.peer)} as the ACK of NEWLEADER (another zxid, not counted)"
    )


def explain_integrity(s: SystemState) -> str:
    broadcast = {(r.zxid, r.value) for r in s.ghost.proposals}
    for i in range(len(s.servers)):
        for t in delivered(s, i):
            if (t.zxid, t.value) not in broadcast:
                return (
                    f"Integrity: {server_name(i)} delivered {_txn(t)}, which no primary broadcast"
                )
    return "Integrity does not hold"


def explain_agreement(s: SystemState) -> str:
    for i, j in combinations(range(len(s.servers)), 2):
        if not (s.servers[i].state in LEARNING and s.servers[j].state in LEARNING):
            continue
        di, dj = delivered(s, i), delivered(s, j)
        a = next((t for t in di if t not in dj), None)
        b = next((t for t in dj if t not in di), None)
        if a is not None and b is not None:
            return (
                f"Agreement: {server_name(i)} delivered {_txn(a)}, which {server_name(j)} did "
                f"not; {server_name(j)} delivered {_txn(b)}, which {server_name(i)} did not "
                f"(delivered {_log(di)} vs {_log(dj)})"
            )
    return "Agreement does not hold"


def explain_total_order(s: SystemState) -> str:
    n = len(s.servers)
    for i in range(n):
        for j in range(n):
            a, b = delivered(s, i), delivered(s, j)
            for k2, t2 in enumerate(a):
                if t2 not in b:
                    continue
                earlier = b[: b.index(t2)]
                for t1 in a[:k2]:
                    if t1 not in earlier:
                        return (
                            f"TotalOrder: {server_name(i)} delivered {_txn(t1)} before "
                            f"{_txn(t2)}, but {server_name(j)} delivered {_txn(t2)} without "
                            f"{_txn(t1)} before it"
                        )
    return "TotalOrder does not hold"


def explain_local_primary_order(s: SystemState) -> str:
    primaries = {(r.zxid, r.value): (r.source, r.epoch) for r in s.ghost.proposals}
    for i in range(len(s.servers)):
        seen: list[Txn] = []
        for t in delivered(s, i):
            origin = primaries.get((t.zxid, t.value))
            for r in s.ghost.proposals:
                if (
                    origin == (r.source, r.epoch)
                    and r.zxid < t.zxid
                    and Txn(r.zxid, r.value) not in seen
                ):
                    return (
                        f"LocalPrimaryOrder: {server_name(r.source)} broadcast "
                        f"{zxid_text(r.zxid)}=v{r.value} before {_txn(t)} in epoch {r.epoch}, "
                        f"but {server_name(i)} delivered {_txn(t)} without it before"
                    )
            seen.append(t)
    return "LocalPrimaryOrder does not hold"


def explain_global_primary_order(s: SystemState) -> str:
    for i in range(len(s.servers)):
        d = delivered(s, i)
        for a, b in pairwise(d):
            if epoch_of(a.zxid) > epoch_of(b.zxid):
                return (
                    f"GlobalPrimaryOrder: {server_name(i)} delivered {_txn(a)} of epoch "
                    f"{epoch_of(a.zxid)} before {_txn(b)} of the earlier epoch {epoch_of(b.zxid)}"
                )
    return "GlobalPrimaryOrder does not hold"


def explain_primary_integrity(s: SystemState) -> str:
    for i in established_leaders(s):
        mine = delivered(s, i)
        for j in range(len(s.servers)):
            if s.learners[j].leader != i:
                continue
            for t in delivered(s, j):
                if epoch_of(t.zxid) < s.servers[i].current_epoch and t not in mine:
                    return (
                        f"PrimaryIntegrity: {server_name(j)} delivered {_txn(t)} of an epoch "
                        f"before {s.servers[i].current_epoch}, but its primary {server_name(i)} "
                        f"has not delivered it (delivered {_log(mine)})"
                    )
    return "PrimaryIntegrity does not hold"


def explain_prefix_consistency(s: SystemState) -> str:
    for i, j in combinations(range(len(s.servers)), 2):
        a, b = delivered(s, i), delivered(s, j)
        for k in range(min(len(a), len(b))):
            if a[k] != b[k]:
                return (
                    f"PrefixConsistency: entry #{k + 1} delivered at {server_name(i)} is "
                    f"{_txn(a[k])} but at {server_name(j)} it is {_txn(b[k])}"
                )
    return "PrefixConsistency does not hold"


def explain_leader_log_completeness(s: SystemState) -> str:
    committed = s.ghost.committed
    for i in established_leaders(s):
        h = s.servers[i].history
        for k, t in enumerate(committed):
            if k >= len(h) or h[k] != t:
                held = _txn(h[k]) if k < len(h) else "nothing"
                return (
                    f"LeaderLogCompleteness: {server_name(i)} leads epoch "
                    f"{s.servers[i].accepted_epoch} ({_role(s, i)}) without the committed entry "
                    f"#{k + 1} {_txn(t)}: its log holds {held} there "
                    f"(log {_log(h)}, committed {_log(committed)})"
                )
    return "LeaderLogCompleteness does not hold"


def explain_committed_log_durability(s: SystemState) -> str:
    b = _first_breach(s, frozenset({COMMITTED_TRUNCATED}))
    if b is None:
        return "CommittedLogDurability does not hold"
    return (
        f"CommittedLogDurability: syncing with {server_name(b.peer)}, {server_name(b.server)} "
        f"dropped the committed entry {zxid_text(b.zxid)} from its log"
    )


def explain_monotonic_read(s: SystemState) -> str:
    committed = s.ghost.committed
    for i in established_leaders(s):
        d = delivered(s, i)
        if s.servers[i].zab_state == ZAB_STATE_NAMES.index("BROADCAST") and (
            d[: len(committed)] != committed
        ):
            return (
                f"MonotonicRead: {server_name(i)} serves epoch {s.servers[i].accepted_epoch} "
                f"having delivered {_log(d)}, which does not contain the committed log "
                f"{_log(committed)}: clients could read an older state"
            )
    return "MonotonicRead does not hold"


def explain_process_consistency(s: SystemState) -> str:
    for j, lrn in enumerate(s.learners):
        i = lrn.leader
        if i < 0 or not lrn.nl_received:
            continue
        leader, mine = s.servers[i].history, s.servers[j].history
        if leader[: len(mine)] != mine:
            return (
                f"ProcessConsistency: {server_name(j)} took NEWLEADER from {server_name(i)} with "
                f"log {_log(mine)}, which is not a prefix of its leader's {_log(leader)}"
            )
    return "ProcessConsistency does not hold"


EXPLANATIONS: dict[str, Callable[[SystemState], str]] = {
    "ShouldNotBeTriggered": explain_should_not_be_triggered,
    "Leadership": explain_leadership,
    "ElectionSafety": explain_election_safety,
    "Integrity": explain_integrity,
    "Agreement": explain_agreement,
    "TotalOrder": explain_total_order,
    "LocalPrimaryOrder": explain_local_primary_order,
    "GlobalPrimaryOrder": explain_global_primary_order,
    "PrimaryIntegrity": explain_primary_integrity,
    "PrefixConsistency": explain_prefix_consistency,
    "LeaderLogCompleteness": explain_leader_log_completeness,
    "CommittedLogDurability": explain_committed_log_durability,
    "MonotonicRead": explain_monotonic_read,
    "ProcessConsistency": explain_process_consistency,
    "LeaderStaysWithSyncedQuorum": explain_leader_stays_with_synced_quorum,
}
