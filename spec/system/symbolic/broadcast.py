"""Phase 3, broadcast, over symbolic states (:mod:`spec.system.broadcast`)."""

from __future__ import annotations

from typing import Any

import z3

from spec.system import constants as c
from spec.system.ghost import ACK_INCONSISTENT, COMMIT_INCONSISTENT, PROPOSAL_INCONSISTENT
from spec.system.symbolic.common import (
    Step,
    append,
    branch,
    breach,
    broadcast,
    cases,
    discard,
    has,
    illegal,
    index_of_zxid,
    is_leader_of,
    is_learner_of,
    is_next_zxid,
    is_quorum,
    last_committed,
    last_zxid,
    msg,
    record_commit,
    reply,
    set_leader,
    set_server,
    taking,
    with_member,
    zxid_eq,
    zxid_le,
)
from spec.system.symbolic.state import SymSystem, txn, zxid
from spec.system.symbolic.synchronization import take_snapshot
from zabmc.symbolic.values import SMask, SSeq, ite, seq_at


def should_snapshot(s: SymSystem, i: int) -> z3.BoolRef:
    """``ShouldSnapshot(i)``: two commits since the last snapshot."""
    srv = s.servers[i]
    return srv["last_committed"] - srv["last_snapshot"] >= 2


def _snapshot_if_due(step: Step, s: SymSystem, i: int) -> SymSystem:
    return branch(should_snapshot(s, i), take_snapshot(step, s, i), s)


def leader_process_request(step: Step, s: SymSystem, i: int) -> SymSystem:
    """``LeaderProcessRequest(i)``: leader i takes a client write, with a quorum serving."""
    p = step.p
    srv = s.servers[i]
    step.require(srv["state"] == c.LEADING)
    step.require(srv["zab_state"] == c.BROADCAST)
    step.require(s.recorder["requests"] < p.max_txns)
    ld = s.leaders[i]
    serving = SMask(
        tuple(
            z3.BoolVal(True)
            if k == i
            else z3.And(has(ld["forwarding"], k), s.servers[k]["zab_state"] == c.BROADCAST)
            for k in range(step.layout.servers)
        )
    )
    step.require(is_quorum(p, serving))
    last = last_zxid(srv["history"])
    same_epoch = last["epoch"] == srv["current_epoch"]
    z = ite(same_epoch, zxid(last["epoch"], last["counter"] + 1), zxid(srv["current_epoch"], 1))
    value = s.recorder["requests"] + 1
    s = set_server(s, i, history=append(step, srv["history"], txn(z, value)))
    acks = ld["acks"]
    ld = ld.replace(acks=append(step, acks, step.layout.mask(1 << i)))
    s = set_leader(s, i, ld)
    s = broadcast(step, s, i, ld["forwarding"], msg(step, c.PROPOSAL, zxid=z, value=value))
    s = s._replace(recorder=s.recorder.replace(requests=value))
    return _snapshot_if_due(step, s, i)


def follower_process_proposal(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessPROPOSAL(i, j)``: follower i logs j's proposal and ACKs it."""
    m = taking(step, s, i, j, c.PROPOSAL)
    srv = s.servers[i]
    learns = is_learner_of(s, i, j)
    step.require(z3.Not(z3.And(learns, srv["zab_state"] == c.SYNCHRONIZATION)))  # ...InSync
    legal = z3.And(srv["state"] == c.FOLLOWING, learns, srv["zab_state"] == c.BROADCAST)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    in_order = is_next_zxid(last_zxid(srv["history"]), m["zxid"])
    inconsistent = breach(discard(step, s, i, j), PROPOSAL_INCONSISTENT, i, j, m["zxid"])
    with step.under(z3.And(legal, in_order)):
        logged = set_server(s, i, history=append(step, srv["history"], txn(m["zxid"], m["value"])))
        logged = reply(step, logged, i, j, msg(step, c.ACK, zxid=m["zxid"]))
        logged = _snapshot_if_due(step, logged, i)
    return cases([(z3.Not(legal), bad), (z3.Not(in_order), inconsistent)], logged)


def leader_process_ack(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``LeaderProcessACK(i, j)``: leader i counts j's ACK; a quorum commits it, in order."""
    p = step.p
    m = taking(step, s, i, j, c.ACK)
    leads = is_leader_of(s, i, j)
    newleader_ack = m["zxid"]["counter"] == 0
    # at a server that does not lead j an ACK is illegal, reported by one step only
    step.require(z3.Or(leads, z3.Not(newleader_ack)))
    with step.under(z3.Not(leads)):
        bad = illegal(step, s, i, j, m)
    ld = s.leaders[i]
    step.require(z3.Not(z3.And(leads, z3.Not(has(ld["ackld_live"], j)))))  # LeaderProcessACKLD
    s = discard(step, s, i, j)
    discarded = s
    srv = s.servers[i]
    h = srv["history"]
    k = index_of_zxid(h, m["zxid"])
    first = last_committed(srv, s.learners[i])
    acks = ld["acks"]
    last_acked: Any = z3.IntVal(-1)
    for x, a in enumerate(acks.items):
        last_acked = z3.If(z3.And(x >= first, x < h.length, has(a, j)), x, last_acked)
    in_order = z3.Or(last_acked == -1, last_acked + 2 == k)
    wrong = z3.Not(z3.And(k >= 1, k <= h.length, in_order))
    inconsistent = breach(s, ACK_INCONSISTENT, i, j, m["zxid"])
    counted_acks = SSeq(
        acks.length, tuple(ite(k - 1 == x, with_member(a, j), a) for x, a in enumerate(acks.items))
    )
    s = set_leader(s, i, ld.replace(acks=counted_acks))
    done = first
    settled = z3.Or(done >= h.length, zxid_le(m["zxid"], last_zxid(h, done)))
    short = z3.Or(done < k - 1, z3.Not(is_quorum(p, seq_at(counted_acks, k - 1))))
    counting = z3.And(leads, z3.Not(newleader_ack), z3.Not(wrong))
    with step.under(z3.And(counting, z3.Not(settled), z3.Not(short))):
        committed = breach(s, COMMIT_INCONSISTENT, i, j, m["zxid"], when=done + 1 != k)
        committed = _commit(step, committed, i, k)
    return cases(
        [
            (z3.Not(leads), bad),
            (newleader_ack, discarded),
            (wrong, inconsistent),
            (z3.Or(settled, short), s),
        ],
        committed,
    )


def _commit(step: Step, s: SymSystem, i: int, k: Any) -> SymSystem:
    """Leader i commits entry k: COMMIT to its followers."""
    srv, ld = s.servers[i], s.leaders[i]
    h = srv["history"]
    s = set_server(s, i, last_committed=k, last_processed=k)
    t = seq_at(h, k - 1)
    s = broadcast(step, s, i, ld["forwarding"], msg(step, c.COMMIT, zxid=t["zxid"]))
    return record_commit(s, h, k)


def follower_process_commit(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessCOMMIT(i, j)``: follower i delivers the txn j committed."""
    m = taking(step, s, i, j, c.COMMIT)
    srv = s.servers[i]
    learns = is_learner_of(s, i, j)
    step.require(z3.Not(z3.And(learns, srv["zab_state"] == c.SYNCHRONIZATION)))  # ...InSync
    legal = z3.And(srv["state"] == c.FOLLOWING, learns, srv["zab_state"] == c.BROADCAST)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    s = discard(step, s, i, j)
    h, done = srv["history"], srv["last_committed"]
    nothing = done >= h.length
    mismatch = z3.Not(zxid_eq(seq_at(h, done)["zxid"], m["zxid"]))
    inconsistent = breach(s, COMMIT_INCONSISTENT, i, j, m["zxid"])
    delivered = set_server(s, i, last_committed=done + 1, last_processed=done + 1)
    return cases([(z3.Not(legal), bad), (nothing, s), (mismatch, inconsistent)], delivered)


__all__ = [
    "follower_process_commit",
    "follower_process_proposal",
    "leader_process_ack",
    "leader_process_request",
]
