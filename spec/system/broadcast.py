"""Phase 3, broadcast: PROPOSAL, ACK, COMMIT between the leader and its followers.

The leader proposes client writes in zxid order to the followers it forwards to,
counts ACKs, and commits in zxid order once a quorum of voters (itself included)
has acked, telling followers with COMMIT and observers with INFORM
(:mod:`spec.system.observers`).
"""

from __future__ import annotations

from spec.system import channels as net
from spec.system import messages as m
from spec.system.constants import (
    ACK,
    BROADCAST,
    COMMIT,
    FOLLOWING,
    LEADING,
    PROPOSAL,
    SYNCHRONIZATION,
)
from spec.system.ghost import (
    ACK_INCONSISTENT,
    COMMIT_INCONSISTENT,
    PROPOSAL_INCONSISTENT,
    breach,
    record_commit,
    record_proposals,
)
from spec.system.learner_log import last_committed, last_queued
from spec.system.log import append, concat, put_entry
from spec.system.params import Params
from spec.system.receive import illegal, is_leader_of, is_learner_of, taking
from spec.system.state import (
    SystemState,
    Txn,
    index_of_zxid,
    last_zxid,
    leader_with,
    learner_with,
    put,
    recorder_with,
    server_with,
    state_with,
)
from spec.system.synchronization import take_snapshot
from spec.system.zxid import counter_of, epoch_of, is_next_zxid, make_zxid


def should_snapshot(s: SystemState, i: int) -> bool:
    """``ShouldSnapshot(i)``: two commits since the last snapshot (SyncRequestProcessor)."""
    srv = s.servers[i]
    return srv.last_committed - srv.last_snapshot >= 2


def leader_process_request(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``LeaderProcessRequest(i)``: leader i takes a client write.

    It serves only with a quorum of voters (itself included) in BROADCAST among those
    it forwards to. The txn gets the next zxid of i's epoch, is logged (i acks it
    at once) and goes out as PROPOSAL to the followers i forwards to.
    """
    srv = s.servers[i]
    if not (srv.online and srv.state == LEADING and srv.zab_state == BROADCAST):
        return None
    if s.recorder.requests >= p.max_txns:
        return None
    ld = s.leaders[i]
    serving = 1 << i
    for k in range(p.n):
        if ld.forwarding >> k & 1 and s.servers[k].zab_state == BROADCAST:
            serving |= 1 << k
    if not (p.zookeeper_timing or p.is_quorum(serving)):
        return None
    last = last_zxid(srv.history)
    zxid = last + 1 if epoch_of(last) == srv.current_epoch else make_zxid(srv.current_epoch, 1)
    value = s.recorder.requests + 1
    txn = Txn(zxid, value)
    srv = server_with(srv, history=append(srv.history, txn))
    ld = leader_with(ld, acks=append(ld.acks, 0 if p.zookeeper_timing else 1 << i))
    followers = ld.forwarding & p.voter_mask
    s = state_with(
        s,
        servers=put(s.servers, i, srv),
        leaders=put(s.leaders, i, ld),
        network=net.broadcast(s.network, p.n, i, followers, m.proposal(zxid, value)),
        recorder=recorder_with(s.recorder, requests=value),
    )
    if should_snapshot(s, i):
        s = take_snapshot(s, i)
    return record_proposals(s, i, srv.accepted_epoch, (txn,))


def follower_process_proposal(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FollowerProcessPROPOSAL(i, j)``: follower i logs j's proposal and ACKs it.

    The proposal must follow i's last one. (In SYNCHRONIZATION the step is
    FollowerProcessPROPOSALInSync; anywhere but at a follower of j it is illegal.)
    """
    msg = taking(s, p, i, j, PROPOSAL)
    if msg is None:
        return None
    srv = s.servers[i]
    if is_learner_of(s, i, j) and srv.zab_state == SYNCHRONIZATION:
        return None  # FollowerProcessPROPOSALInSync
    if not (srv.state == FOLLOWING and is_learner_of(s, i, j) and srv.zab_state == BROADCAST):
        return illegal(s, p, i, j, msg)
    if not is_next_zxid(last_queued(srv, s.learners[i])[1], msg.zxid):
        s = state_with(s, network=net.discard(s.network, p.n, i, j))
        return breach(s, PROPOSAL_INCONSISTENT, i, j, msg.zxid)
    srv = server_with(srv, history=append(srv.history, Txn(msg.zxid, msg.value)))
    if p.zookeeper_timing:  # the ACK goes out once the log is synced
        lrn = s.learners[i]
        s = state_with(
            s,
            servers=put(s.servers, i, srv),
            learners=put(s.learners, i, learner_with(lrn, unacked=lrn.unacked + 1)),
            network=net.discard(s.network, p.n, i, j),
        )
        return take_snapshot(s, i) if should_snapshot(s, i) else s
    s = state_with(
        s,
        servers=put(s.servers, i, srv),
        network=net.reply(s.network, p.n, i, j, m.ack(msg.zxid)),
    )
    return take_snapshot(s, i) if should_snapshot(s, i) else s


def leader_process_ack(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``LeaderProcessACK(i, j)``: leader i counts j's ACK (Leader.processAck).

    j's LearnerHandler has read its first ACK after NEWLEADER (LeaderProcessACKLD); an
    ACK with counter 0 read now (of NEWLEADER, overtaken) is ignored, as processAck
    ignores one. Otherwise the ACK must come from a voter, for a txn i proposed, in
    order. When every earlier txn is committed and a quorum of voters acked this one,
    i commits it: COMMIT to its followers, INFORM to its observers.
    """
    if i == j:
        return leader_log_synced(s, p, i)
    msg = taking(s, p, i, j, ACK)
    if msg is None:
        return None
    if not is_leader_of(s, i, j):
        # an ACK at a server that does not lead j: illegal, reported by one step only
        return illegal(s, p, i, j, msg) if counter_of(msg.zxid) != 0 else None
    ld = s.leaders[i]
    if not ld.ackld_live >> j & 1:
        return None  # LeaderProcessACKLD reads it
    network = net.discard(s.network, p.n, i, j)
    if counter_of(msg.zxid) == 0:
        return state_with(s, network=network)
    if not p.is_voter(j):
        return illegal(s, p, i, j, msg)
    srv = s.servers[i]
    h = srv.history
    k = index_of_zxid(h, msg.zxid)
    # j acks in order what it logs, but only its acks of uncommitted txns tell where it is:
    # a learner synced again by SNAP holds the committed log without acking it, and its
    # acks from an earlier session stay on the committed entries.
    first = last_committed(srv, s.learners[i])
    acked = [x for x in range(first, len(h)) if ld.acks[x] >> j & 1]
    in_order = not acked or acked[-1] + 2 == k
    if not (1 <= k <= len(h) and in_order):
        return breach(state_with(s, network=network), ACK_INCONSISTENT, i, j, msg.zxid)
    ld = leader_with(ld, acks=put_entry(ld.acks, k - 1, ld.acks[k - 1] | 1 << j))
    s = state_with(s, leaders=put(s.leaders, i, ld), network=network)
    done = last_committed(srv, s.learners[i])
    if done >= len(h) or msg.zxid <= last_zxid(h, done):
        return s  # nothing outstanding, or already committed
    if done < k - 1 or not p.is_quorum(ld.acks[k - 1]):
        return s
    if done + 1 != k:
        s = breach(s, COMMIT_INCONSISTENT, i, j, msg.zxid)
    s = _commit(s, p, i, k)
    return _commit_ready(s, p, i) if p.zookeeper_timing else s


def _commit(s: SystemState, p: Params, i: int, k: int) -> SystemState:
    """Leader i commits entry k: COMMIT to its followers, INFORM to its observers."""
    srv, ld = s.servers[i], s.leaders[i]
    h = srv.history
    srv = server_with(srv, last_committed=k, last_processed=k)
    txn = h[k - 1]
    network = net.broadcast(s.network, p.n, i, ld.forwarding & p.voter_mask, m.commit(txn.zxid))
    network = net.broadcast(
        network, p.n, i, ld.forwarding & ~p.voter_mask, m.inform(txn.zxid, txn.value)
    )
    s = state_with(s, servers=put(s.servers, i, srv), network=network)
    return record_commit(s, h[:k])


def _commit_ready(s: SystemState, p: Params, i: int) -> SystemState:
    """Commit, in order, every next entry a quorum has acked (Leader.tryToCommit's loop)."""
    while True:
        srv, ld = s.servers[i], s.leaders[i]
        done = last_committed(srv, s.learners[i])
        if done >= len(srv.history) or not p.is_quorum(ld.acks[done]):
            return s
        s = _commit(s, p, i, done + 1)


def leader_log_synced(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``LeaderProcessACK(i, i)``, with ``zookeeper_timing``: leader i's log reached disk up
    to its first uncommitted proposal it has not acked, and it counts its own ack of it
    and of the committed ones before it (ZooKeeper's AckRequestProcessor; an ack of a txn
    that followers already committed changes nothing); what a quorum has now acked commits,
    in order.
    """
    srv = s.servers[i]
    if not (p.zookeeper_timing and srv.online and srv.state == LEADING):
        return None
    if srv.zab_state != BROADCAST:
        return None
    ld = s.leaders[i]
    me = 1 << i
    done = last_committed(srv, s.learners[i])
    acks = ld.acks
    k = next((x for x in range(done, len(acks)) if not acks[x] & me), None)
    if k is None:
        return None
    # i acks its log in order, so its own acks cover a prefix of it (LeaderProcessRequest
    # appends an entry without, this step extends the prefix): the entries up to k that
    # lack i's ack are the ones just before k, and only they change
    low = k
    while low > 0 and not acks[low - 1] & me:
        low -= 1
    acked = tuple(a | me for a in acks[low : k + 1])
    ld = leader_with(ld, acks=concat(acks[:low], (*acked, *acks[k + 1 :])))
    return _commit_ready(state_with(s, leaders=put(s.leaders, i, ld)), p, i)


def follower_process_commit(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FollowerProcessCOMMIT(i, j)``: follower i delivers the txn j committed.

    It must be i's next pending txn; a COMMIT with nothing pending is ignored, as
    ZooKeeper does (it only warns).
    """
    msg = taking(s, p, i, j, COMMIT)
    if msg is None:
        return None
    srv = s.servers[i]
    if is_learner_of(s, i, j) and srv.zab_state == SYNCHRONIZATION:
        return None  # FollowerProcessCOMMITInSync
    if not (srv.state == FOLLOWING and is_learner_of(s, i, j) and srv.zab_state == BROADCAST):
        return illegal(s, p, i, j, msg)
    s = state_with(s, network=net.discard(s.network, p.n, i, j))
    if srv.last_committed >= len(srv.history):
        return s
    if srv.history[srv.last_committed].zxid != msg.zxid:
        return breach(s, COMMIT_INCONSISTENT, i, j, msg.zxid)
    k = srv.last_committed + 1
    return state_with(
        s, servers=put(s.servers, i, server_with(srv, last_committed=k, last_processed=k))
    )
