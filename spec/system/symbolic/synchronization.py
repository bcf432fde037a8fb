"""Phase 2, synchronization, over symbolic states (:mod:`spec.system.synchronization`), with
ZooKeeper 3.9's NEWLEADER (the default) and ZkV3_7_0.tla's (which the ZK-2845 variant has)."""

from __future__ import annotations

from typing import Any

import z3

from spec.system import constants as c
from spec.system.ghost import (
    COMMIT_INCONSISTENT,
    COMMITTED_TRUNCATED,
    PROPOSAL_INCONSISTENT,
    QUORUM_ABANDONED,
    STATE_INCONSISTENT,
)
from spec.system.symbolic.common import (
    Step,
    append,
    branch,
    breach,
    broadcast,
    cases,
    channel,
    discard,
    drop,
    extend,
    has,
    illegal,
    index_at_or_below,
    index_of_zxid,
    is_leader_of,
    is_learner_of,
    is_next_zxid,
    is_quorum,
    last_committed,
    last_zxid,
    mask_and,
    mask_minus,
    mask_or,
    msg,
    pending_at,
    pending_len,
    processed_zxid,
    put,
    record_commit,
    reply,
    send_some,
    set_leader,
    set_learner,
    set_server,
    take,
    taking,
    txn_eq,
    with_member,
    zxid_eq,
    zxid_le,
    zxid_lt,
)
from spec.system.symbolic.role_changes import leader_shutdown
from spec.system.symbolic.state import NO_TXN, SYNCED_ZXID, SymSystem, txn, zxid
from zabmc.symbolic.values import TRUE, SMask, SRecord, SSeq, conj, disj, ite, seq_at, seq_tail


def take_snapshot(step: Step, s: SymSystem, i: int) -> SymSystem:
    """``TakeSnapshot(i)``: the snapshot covers what i has committed."""
    srv = s.servers[i]
    behind = srv["last_snapshot"] > srv["last_committed"]
    return branch(
        behind,
        breach(s, COMMIT_INCONSISTENT, i, i),
        set_server(s, i, last_snapshot=srv["last_committed"]),
    )


def lost_committed(old: SSeq, new: SSeq, committed: SSeq, resent: Any) -> tuple[Any, SRecord]:
    """Whether ``new`` drops a committed entry of ``old`` that the sync does not send again,
    and the zxid of the first such entry."""
    found: Any = z3.BoolVal(False)
    lost = zxid(0)
    for k in reversed(range(old.capacity)):
        t = old.items[k]
        dropped = z3.Or(k >= new.length, z3.Not(txn_eq(new.items[k], t)))
        hit = z3.And(
            k < old.length,
            dropped,
            k < committed.length,
            txn_eq(committed.items[k], t),
            z3.Not(resent(t)),
        )
        found = z3.Or(hit, found)
        lost = ite(hit, t["zxid"], lost)
    return found, lost


def _resent(s: SymSystem, i: int, j: int):
    """Whether a txn is among the proposals on their way from j to i, up to NEWLEADER."""
    ch = channel(s, j, i)

    def contains(t: SRecord) -> z3.BoolRef:
        hits = []
        for q, m in enumerate(ch.items):
            before = conj([ch.items[r]["mtype"] != c.NEWLEADER for r in range(q)])
            hits.append(
                z3.And(
                    q < ch.length,
                    before,
                    m["mtype"] == c.PROPOSAL,
                    zxid_eq(m["zxid"], t["zxid"]),
                    m["value"] == t["value"],
                )
            )
        return disj(hits)

    return contains


def leader_sync_follower(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``LeaderSyncFollower(i, j)``: established leader i synchronizes learner j (DIFF, TRUNC
    or SNAP from j's last zxid and i's committed log, as ZkV3_7_0.tla picks)."""
    p = step.p
    srv, ld = s.servers[i], s.leaders[i]
    step.require(srv["state"] == c.LEADING)
    step.require(is_quorum(p, ld["electing_quorum"]))
    step.require(has(mask_and(ld["electing"], ld["learners"]), j))
    peer = ld["peer_last_zxid"][j]
    step.require(z3.Not(zxid_eq(peer, SYNCED_ZXID)))
    h = srv["history"]
    lp_zxid = processed_zxid(srv)
    min_idx = srv["last_snapshot"] + 1
    max_idx = z3.If(srv["zab_state"] == c.BROADCAST, srv["last_committed"], h.length)
    empty = min_idx > max_idx
    min_log = ite(empty, lp_zxid, seq_at(h, min_idx - 1)["zxid"])
    max_log = ite(empty, lp_zxid, last_zxid(h, max_idx))
    k = index_of_zxid(h, peer)
    current = zxid_eq(peer, lp_zxid)  # 1.
    ahead = zxid_lt(max_log, peer)  # 2.
    within = zxid_le(min_log, peer)  # 3.
    held = z3.And(min_idx <= k, k <= h.length)
    mode = z3.If(
        current,
        c.DIFF,
        z3.If(ahead, c.TRUNC, z3.If(within, z3.If(held, c.DIFF, c.TRUNC), c.SNAP)),
    )
    seen = z3.If(
        current,
        srv["last_processed"],
        z3.If(
            ahead,
            max_idx,
            z3.If(within, z3.If(held, k, index_at_or_below(h, peer)), max_idx),
        ),
    )
    return _send_sync(step, s, i, j, mode, seen)


def _send_sync(step: Step, s: SymSystem, i: int, j: int, mode: Any, seen: Any) -> SymSystem:
    """``SendSyncMsgs``: the sync message, the proposals j lacks (with COMMITs for the
    committed ones), NEWLEADER."""
    srv, ld = s.servers[i], s.leaders[i]
    h = srv["history"]
    committed = z3.If(srv["zab_state"] == c.BROADCAST, srv["last_committed"], h.length)
    snapshot = ite(mode == c.SNAP, take(h, seen), step.layout.history_of([]))
    first = msg(step, c.DIFF, zxid=last_zxid(h, seen), snapshot=snapshot).replace(mtype=mode)
    packets: list[tuple[Any, SRecord]] = [(TRUE, first)]
    for k in range(h.capacity):
        t = h.items[k]
        missing = z3.And(seen <= k, k < h.length)
        packets.append((missing, msg(step, c.PROPOSAL, zxid=t["zxid"], value=t["value"])))
        packets.append((z3.And(missing, k < committed), msg(step, c.COMMIT, zxid=t["zxid"])))
    packets.append((TRUE, msg(step, c.NEWLEADER, zxid=zxid(srv["accepted_epoch"], 0))))
    acks = ld["acks"]
    kept = z3.If(mode == c.TRUNC, z3.If(seen >= committed, seen, committed), seen)
    acked = tuple(
        ite(z3.And(mode != c.SNAP, k < kept), with_member(a, j), a)
        for k, a in enumerate(acks.items)
    )
    ld = ld.replace(
        forwarding=with_member(ld["forwarding"], j),
        peer_last_zxid=put(ld["peer_last_zxid"], j, SYNCED_ZXID),
        acks=SSeq(acks.length, acked),
    )
    return send_some(step, set_leader(s, i, ld), i, j, packets)


def follower_process_sync_message(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessSyncMessage(i, j)``: learner i takes DIFF, TRUNC or SNAP from j."""
    m = taking(step, s, i, j, c.DIFF, c.TRUNC, c.SNAP)
    legal = is_learner_of(s, i, j)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    srv, lrn = s.servers[i], s.learners[i]
    s = discard(step, s, i, j)
    confused = breach(s, STATE_INCONSISTENT, i, j, m["zxid"])
    diff = set_learner(s, i, lrn.replace(sync_mode=z3.IntVal(c.SYNC_DIFF)))
    h = srv["history"]
    is_trunc = m["mtype"] == c.TRUNC
    k = index_of_zxid(h, m["zxid"])
    cut_badly = z3.Not(z3.And(srv["last_committed"] <= k, k <= h.length))
    # SNAP: the log on disk stays until NEWLEADER (the snapshot is in memory only)
    lrn = lrn.replace(
        sync_mode=z3.If(is_trunc, c.SYNC_TRUNC, c.SYNC_SNAP),
        disk_log=ite(is_trunc, lrn["disk_log"], h),
    )
    refused = breach(set_learner(s, i, lrn), PROPOSAL_INCONSISTENT, i, j, m["zxid"])
    new = ite(is_trunc, take(h, k), m["snapshot"])
    lost, lost_zxid = lost_committed(h, new, s.committed, _resent(s, i, j))
    n = new.length
    srv = srv.replace(history=new, initial_len=n, last_processed=n, last_committed=n)
    synced = set_learner(s._replace(servers=put(s.servers, i, srv)), i, lrn)
    synced = breach(synced, COMMITTED_TRUNCATED, i, j, lost_zxid, when=lost)
    return cases(
        [
            (z3.Not(legal), bad),
            (srv_zab(s, i) != c.SYNCHRONIZATION, confused),
            (m["mtype"] == c.DIFF, diff),
            (z3.And(is_trunc, cut_badly), refused),
        ],
        synced,
    )


def srv_zab(s: SymSystem, i: int) -> Any:
    return s.servers[i]["zab_state"]


def _in_sync_with(s: SymSystem, i: int, j: int) -> z3.BoolRef:
    return z3.And(is_learner_of(s, i, j), srv_zab(s, i) == c.SYNCHRONIZATION)


def follower_process_proposal_in_sync(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessPROPOSALInSync(i, j)``: learner i queues a proposal received in sync."""
    m = taking(step, s, i, j, c.PROPOSAL)
    step.require(_in_sync_with(s, i, j))
    lrn = s.learners[i]
    lrn = lrn.replace(not_committed=append(step, lrn["not_committed"], txn(m["zxid"], m["value"])))
    return discard(step, set_learner(s, i, lrn), i, j)


def follower_process_commit_in_sync(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessCOMMITInSync(i, j)``: learner i takes a COMMIT received in sync."""
    m = taking(step, s, i, j, c.COMMIT)
    step.require(_in_sync_with(s, i, j))
    srv, lrn = s.servers[i], s.learners[i]
    s = discard(step, s, i, j)
    done = last_committed(srv, lrn)
    before = ite(done > 0, pending_at(srv, lrn, done - 1)["zxid"], zxid(0))
    expected = z3.And(
        done + 1 <= pending_len(srv, lrn),
        is_next_zxid(before, m["zxid"]),
        zxid_eq(pending_at(srv, lrn, done)["zxid"], m["zxid"]),
    )
    inconsistent = breach(s, COMMIT_INCONSISTENT, i, j, m["zxid"])
    remember = z3.Or(lrn["sync_mode"] == c.SYNC_DIFF, lrn["nl_received"])
    with step.under(z3.And(expected, remember)):
        remembered = set_learner(
            s, i, lrn.replace(committed=append(step, lrn["committed"], m["zxid"]))
        )
    with step.under(z3.And(expected, z3.Not(remember))):
        history = append(step, srv["history"], seq_at(lrn["not_committed"], 0))
    n = history.length
    applied = set_server(s, i, history=history, last_committed=n, last_processed=n)
    nc = lrn["not_committed"]
    applied = set_learner(applied, i, lrn.replace(not_committed=seq_tail(nc, NO_TXN)))
    return cases([(z3.Not(expected), inconsistent), (remember, remembered)], applied)


def follower_process_newleader(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessNEWLEADER(i, j)``: learner i takes NEWLEADER. ZooKeeper 3.9 (no bug
    variant): log the txns of the sync the leader committed, then ACK; ZK-2845's variant
    follows ZkV3_7_0.tla: log every txn of the sync, ACK NEWLEADER and each of them."""
    m = taking(step, s, i, j, c.NEWLEADER)
    legal = is_learner_of(s, i, j)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    srv = s.servers[i]
    s = breach(s, STATE_INCONSISTENT, i, j, m["zxid"], when=srv["zab_state"] != c.SYNCHRONIZATION)
    srv = srv.replace(current_epoch=srv["accepted_epoch"])
    with step.under(legal):
        if step.p.bug is None:
            taken = _log_committed_and_ack(step, s, i, j, srv, m["zxid"])
        else:
            taken = _log_synced_and_ack(step, s, i, j, srv, m["zxid"])
    return branch(legal, taken, bad)


def _snapshot_needed(lrn: SRecord) -> z3.BoolRef:
    return z3.Or(lrn["sync_mode"] == c.SYNC_TRUNC, lrn["sync_mode"] == c.SYNC_SNAP)


def _log_synced_and_ack(step: Step, s: SymSystem, i: int, j: int, srv: SRecord, nl: SRecord):
    """Persist the proposals received in sync, snapshot if needed, ACK NEWLEADER and them."""
    lrn = s.learners[i]
    packets = lrn["not_committed"]
    was_needed = _snapshot_needed(lrn)
    srv = srv.replace(history=extend(step, srv["history"], packets))
    empty = step.layout.empty_learner()
    lrn = lrn.replace(
        not_committed=empty["not_committed"],
        nl_received=z3.BoolVal(True),
        sync_mode=z3.IntVal(c.NO_SYNC),
        disk_log=empty["disk_log"],
    )
    s = set_learner(s._replace(servers=put(s.servers, i, srv)), i, lrn)
    s = discard(step, s, i, j)
    acks = [(TRUE, msg(step, c.ACK, zxid=nl))]
    acks += [
        (q < packets.length, msg(step, c.ACK, zxid=t["zxid"])) for q, t in enumerate(packets.items)
    ]
    s = send_some(step, s, i, j, acks)
    return branch(was_needed, take_snapshot(step, s, i), s)


def _log_committed_and_ack(step: Step, s: SymSystem, i: int, j: int, srv: SRecord, nl: SRecord):
    """ZooKeeper 3.9's NEWLEADER: log and apply the committed txns of the sync, ACK NEWLEADER.
    Each zxid of packetsCommitted, in order, takes the head of packetsNotLogged when it
    matches."""
    lrn = s.learners[i]
    pending, commits = lrn["not_committed"], lrn["committed"]
    count: Any = z3.IntVal(0)
    for q, z in enumerate(commits.items):
        head = seq_at(pending, count)["zxid"]
        match = z3.And(q < commits.length, count < pending.length, zxid_eq(head, z))
        count = z3.If(match, count + 1, count)
    history = extend(step, srv["history"], pending, count)
    n = history.length
    logged = count > 0
    srv = srv.replace(
        history=history,
        last_committed=z3.If(z3.And(logged, n > srv["last_committed"]), n, srv["last_committed"]),
        last_processed=z3.If(z3.And(logged, n > srv["last_processed"]), n, srv["last_processed"]),
    )
    was_needed = _snapshot_needed(lrn)
    empty = step.layout.empty_learner()
    lrn = lrn.replace(
        not_committed=drop(pending, count, empty["not_committed"].items[0]),
        committed=empty["committed"],
        nl_received=z3.BoolVal(True),
        sync_mode=z3.IntVal(c.NO_SYNC),
        disk_log=empty["disk_log"],
    )
    s = set_learner(s._replace(servers=put(s.servers, i, srv)), i, lrn)
    s = reply(step, s, i, j, msg(step, c.ACK, zxid=nl))
    return branch(was_needed, take_snapshot(step, s, i), s)


def leader_process_ackld(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``LeaderProcessACKLD(i, j)``: leader i reads the first ACK from j after NEWLEADER."""
    p = step.p
    m = taking(step, s, i, j, c.ACK)
    leads = is_leader_of(s, i, j)
    # at a server that does not lead j an ACK is illegal, reported by one step only
    step.require(z3.Or(leads, m["zxid"]["counter"] == 0))
    with step.under(z3.Not(leads)):
        bad = illegal(step, s, i, j, m)
    srv, ld = s.servers[i], s.leaders[i]
    step.require(z3.Not(z3.And(leads, has(ld["ackld_live"], j))))  # else LeaderProcessACK
    nl = zxid(srv["accepted_epoch"], 0)
    of_newleader = zxid_eq(m["zxid"], nl)
    counted = ite(of_newleader, with_member(ld["ackld"], j), ld["ackld"])
    formed = is_quorum(p, ld["ackld"])
    ld = ld.replace(ackld=counted, ackld_live=with_member(ld["ackld_live"], j))
    uptodate = msg(step, c.UPTODATE, zxid=nl)
    with step.under(z3.And(leads, formed)):  # 1.
        late = reply(step, set_leader(s, i, ld), i, j, uptodate)
    s = discard(step, set_leader(s, i, ld), i, j)
    hope = is_quorum(p, mask_or(ld["ackld"], mask_minus(ld["learners"], ld["ackld_live"])))
    with step.under(z3.And(leads, z3.Not(formed), z3.Not(of_newleader), z3.Not(hope))):
        gave_up = _give_up_waiting_for_newleader_acks(step, s, i, j, m["zxid"])
    n = srv["history"].length
    started = set_server(
        s,
        i,
        zab_state=z3.IntVal(c.BROADCAST),
        last_committed=n,
        last_processed=n,
        last_snapshot=n,
    )
    # the coarse election keeps no epoch in a vote (kept_vote): votes stay as they are
    targets = mask_and(ld["ackld_live"], ld["learners"])
    with step.under(z3.And(leads, z3.Not(formed), of_newleader, is_quorum(p, ld["ackld"]))):
        started = broadcast(step, started, i, targets, uptodate)
    started = record_commit(started, srv["history"], n)
    return cases(
        [
            (z3.Not(leads), bad),
            (formed, late),
            (z3.And(z3.Not(of_newleader), hope), s),
            (z3.Not(of_newleader), gave_up),
            (z3.Not(is_quorum(p, ld["ackld"])), s),
        ],
        started,
    )


def _give_up_waiting_for_newleader_acks(step: Step, s: SymSystem, i: int, j: int, z: SRecord):
    """Leader i can no longer gather a quorum of NEWLEADER acks: it shuts down (a breach when
    a quorum had taken its NEWLEADER)."""
    learners = s.leaders[i]["learners"]
    synced = SMask(
        tuple(
            z3.BoolVal(True)
            if k == i
            else z3.And(has(learners, k), is_learner_of(s, k, i), s.learners[k]["nl_received"])
            for k in range(step.layout.servers)
        )
    )
    s = breach(s, QUORUM_ABANDONED, i, j, z, c.ACK, when=is_quorum(step.p, synced))
    return leader_shutdown(step, s, i)


def follower_process_uptodate(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessUPTODATE(i, j)``: learner i takes UPTODATE and starts serving."""
    m = taking(step, s, i, j, c.UPTODATE)
    legal = is_learner_of(s, i, j)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    srv, lrn = s.servers[i], s.learners[i]
    early = z3.Or(srv["zab_state"] != c.SYNCHRONIZATION, z3.Not(lrn["nl_received"]))
    confused = breach(discard(step, s, i, j), STATE_INCONSISTENT, i, j)
    packets = lrn["not_committed"]
    done = last_committed(srv, lrn)
    with step.under(z3.And(legal, z3.Not(early))):
        acks = [
            (q < packets.length, msg(step, c.ACK, zxid=t["zxid"]))
            for q, t in enumerate(packets.items)
        ]
        s = send_some(step, discard(step, s, i, j), i, j, acks)
        history = extend(step, srv["history"], packets)
    matches = _txns_match_commits(srv, lrn, done)
    s = breach(s, COMMIT_INCONSISTENT, i, j, when=z3.Not(matches))
    done = z3.If(matches, done, srv["last_committed"])
    s = set_server(
        s,
        i,
        history=history,
        zab_state=z3.IntVal(c.BROADCAST),
        last_committed=done,
        last_processed=done,
    )
    empty = step.layout.empty_learner()
    s = set_learner(
        s,
        i,
        lrn.replace(
            not_committed=empty["not_committed"],
            committed=empty["committed"],
            sync_mode=z3.IntVal(c.NO_SYNC),
        ),
    )
    # the coarse election keeps no epoch in a vote (kept_vote): votes stay as they are
    return cases([(z3.Not(legal), bad), (early, confused)], s)


def _txns_match_commits(srv: SRecord, lrn: SRecord, done: Any) -> z3.BoolRef:
    """``TxnsAndCommittedMatch(CommittedTxns(i), packetsCommitted)``."""
    commits = lrn["committed"]
    # CommittedTxns: the pending log up to the last commit (shorter when that is not in it)
    done = z3.If(done > pending_len(srv, lrn), pending_len(srv, lrn), done)
    tail = [
        z3.Implies(
            q < commits.length,
            zxid_eq(pending_at(srv, lrn, done - commits.length + q)["zxid"], z),
        )
        for q, z in enumerate(commits.items)
    ]
    return z3.Or(commits.length == 0, z3.And(done >= commits.length, *tail))


__all__ = [
    "follower_process_commit_in_sync",
    "follower_process_newleader",
    "follower_process_proposal_in_sync",
    "follower_process_sync_message",
    "follower_process_uptodate",
    "leader_process_ackld",
    "leader_sync_follower",
    "take_snapshot",
]
