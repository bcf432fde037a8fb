"""Phase 2, synchronization: the leader brings each learner's log in line with its own.

LeaderSyncFollower picks DIFF, TRUNC or SNAP (LearnerHandler.syncFollower) and queues
the proposals the learner lacks, with COMMITs for the committed ones, then NEWLEADER.
The learner takes them (Learner.syncWithLeader), acknowledges NEWLEADER once it
holds the new epoch and the transactions, and starts serving at UPTODATE. The
leader starts serving once a quorum of voters has acknowledged NEWLEADER.

The bug variants change how a learner handles NEWLEADER (see :mod:`spec.system.bugs`):
ZK-3911 acknowledges without logging, ZK-4643 persists currentEpoch in a step of
its own, ZK-4646 and ZK-4685 hand the transactions to the SyncRequestProcessor
(FollowerSyncProcessorLogRequest writes them later).
"""

from __future__ import annotations

from spec.system import channels as net
from spec.system import messages as m
from spec.system.bugs import ZK_3911
from spec.system.constants import (
    ACK,
    BROADCAST,
    COMMIT,
    DIFF,
    LEADING,
    NEWLEADER,
    NO_SYNC,
    PROPOSAL,
    SNAP,
    SYNC_DIFF,
    SYNC_SNAP,
    SYNC_TRUNC,
    SYNCED,
    SYNCHRONIZATION,
    TRUNC,
    UPTODATE,
)
from spec.system.election.votes import processed_zxid
from spec.system.ghost import (
    COMMIT_INCONSISTENT,
    COMMITTED_TRUNCATED,
    PROPOSAL_INCONSISTENT,
    QUORUM_ABANDONED,
    STATE_INCONSISTENT,
    breach,
    record_commit,
    record_proposals,
)
from spec.system.learner_log import (
    committed_txns,
    last_committed,
    last_queued,
    pending_log,
    snapshot_only_in_memory,
    txns_match_commits,
)
from spec.system.log import append, log_of
from spec.system.params import ZK_39, Params
from spec.system.receive import illegal, is_leader_of, is_learner_of, taking
from spec.system.role_changes import leader_shutdown
from spec.system.state import (
    Election,
    History,
    SystemState,
    Txn,
    election_with,
    index_at_or_below,
    index_of_zxid,
    last_zxid,
    leader_with,
    learner_with,
    members,
    put,
    server_with,
    state_with,
)
from spec.system.zxid import counter_of, is_next_zxid, make_zxid


def take_snapshot(s: SystemState, i: int) -> SystemState:
    """``TakeSnapshot(i)``: the snapshot covers what i has committed."""
    srv = s.servers[i]
    if srv.last_snapshot > srv.last_committed:
        return breach(s, COMMIT_INCONSISTENT, i, i)
    return state_with(
        s, servers=put(s.servers, i, server_with(srv, last_snapshot=srv.last_committed))
    )


def lost_committed(old: History, new: History, committed: History, resent: frozenset) -> int:
    """The zxid of a committed entry that ``old`` had and ``new`` drops, or 0.

    An entry the same sync sends again (``resent``) is not lost: a leader truncates
    a follower to its committed log and re-proposes its outstanding proposals, one
    of which may commit while the sync is on its way.
    """
    for k, txn in enumerate(old):
        dropped = k >= len(new) or new[k] != txn
        if dropped and k < len(committed) and committed[k] == txn and txn not in resent:
            return txn.zxid
    return 0


def _resent(s: SystemState, p: Params, i: int, j: int) -> frozenset:
    """The proposals on their way from j to i in this sync, up to NEWLEADER (the sync
    message itself already taken)."""
    found = set()
    for msg in s.network.msgs[j * p.n + i]:
        if msg[0] == NEWLEADER:
            break
        if msg[0] == PROPOSAL:
            found.add(Txn(msg.zxid, msg.value))
    return frozenset(found)


def leader_sync_follower(
    s: SystemState,
    p: Params,
    i: int,
    j: int,
    log_from: int | None = None,
    snap_upto: int | None = None,
) -> SystemState | None:
    """``LeaderSyncFollower(i, j)``: established leader i synchronizes learner j.

    From j's last zxid (peerLastZxid, from its ACKEPOCH) and i's committed log
    (minCommittedLog .. maxCommittedLog, from i's snapshot to its last commit):

    1. j is where i's data tree is: DIFF with nothing to add.
    2. j is past maxCommittedLog: TRUNC to it.
    3. j's zxid is within the committed log: DIFF from it if i has it, else TRUNC
       to the last zxid below it.
    4. j is behind minCommittedLog: SNAP of the committed log.

    ``log_from`` is the first position of i's log it can sync from (minCommittedLog);
    by default the entry after its snapshot, as ZkV3_7_0.tla has it. ZooKeeper can also
    sync from its transaction log on disk (``txnLogSyncEnabled``), from position 1, where
    a learner with an empty log gets a DIFF of everything and one whose log is all before
    the leader's first entry a TRUNC to nothing. ``snap_upto`` is the position a SNAP
    covers: by default all of i's committed log, as ZkV3_7_0.tla; a leader may snapshot
    less and send the rest as proposals and commits. Replay passes what the
    implementation's sync shows.

    Then the proposals j lacks follow (with a COMMIT each for committed ones;
    observers get only the committed ones), then NEWLEADER, and j joins the
    forwarding set.
    """
    srv, ld = s.servers[i], s.leaders[i]
    if not (srv.online and srv.state == LEADING and p.is_quorum(ld.electing_quorum)):
        return None
    if not (ld.electing & ld.learners) >> j & 1 or ld.peer_last_zxid[j] == SYNCED:
        return None
    peer = ld.peer_last_zxid[j]
    h = srv.history
    lp_zxid = processed_zxid(srv)
    min_idx = srv.last_snapshot + 1 if log_from is None else log_from
    max_idx = srv.last_committed if srv.zab_state == BROADCAST else len(h)
    if min_idx > max_idx:
        min_log = max_log = lp_zxid
    else:
        min_log, max_log = h[min_idx - 1].zxid, last_zxid(h, max_idx)
    if peer == lp_zxid:  # 1.
        mode, seen = DIFF, srv.last_processed
    elif log_from == 1 and h and peer < h[0].zxid:  # 3., synced from the whole log on disk:
        mode, seen = (DIFF if peer == 0 else TRUNC), 0  # an empty log, or one cut to nothing
    elif peer > max_log:  # 2.
        mode, seen = TRUNC, max_idx
    elif peer >= min_log:  # 3.
        k = index_of_zxid(h, peer)
        if min_idx <= k <= len(h):
            mode, seen = DIFF, k
        else:
            mode, seen = TRUNC, index_at_or_below(h, peer)
    else:  # 4.
        mode, seen = SNAP, max_idx if snap_upto is None else min(snap_upto, max_idx)
    return _send_sync(s, p, i, j, mode, seen)


def _send_sync(s: SystemState, p: Params, i: int, j: int, mode: int, seen: int) -> SystemState:
    """``SendSyncMsgs``: the sync message, the proposals j lacks, NEWLEADER."""
    srv, ld = s.servers[i], s.leaders[i]
    h = srv.history
    committed = srv.last_committed if srv.zab_state == BROADCAST else len(h)
    voter = p.is_voter(j)
    first: tuple  # the sync message: SNAP, TRUNC or DIFF
    if mode == SNAP:
        first = m.snap(last_zxid(h, seen), h[:seen])
    elif mode == TRUNC:
        first = m.trunc(last_zxid(h, seen))
    else:
        first = m.diff(last_zxid(h, seen))
    packets: list[tuple] = [first]
    sent: list[Txn] = []
    for k in range(seen, len(h)):
        txn = h[k]
        if k < committed:
            packets += [m.proposal(txn.zxid, txn.value), m.commit(txn.zxid)]
        elif voter:  # outstanding proposals go to participants only
            packets.append(m.proposal(txn.zxid, txn.value))
        else:
            continue
        sent.append(txn)
    packets.append(m.newleader(srv.accepted_epoch))
    acks = ld.acks
    if mode != SNAP and voter:
        # After TRUNC the learner applies the committed txns of the sync at once and never
        # acks them (Learner.syncWithLeader, !writeToTxnLog): it holds them like the ones
        # it had. After DIFF it acks every proposal of the sync at NEWLEADER.
        held = max(seen, committed) if mode == TRUNC else seen
        acks = log_of(a | 1 << j if k < held else a for k, a in enumerate(acks))
    ld = leader_with(
        ld,
        forwarding=ld.forwarding | 1 << j,
        peer_last_zxid=put(ld.peer_last_zxid, j, SYNCED),
        acks=acks,
    )
    s = state_with(
        s, leaders=put(s.leaders, i, ld), network=net.send(s.network, p.n, i, j, *packets)
    )
    return record_proposals(s, i, srv.accepted_epoch, tuple(sent))


def follower_process_sync_message(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FollowerProcessSyncMessage(i, j)``: learner i takes DIFF, TRUNC or SNAP from j.

    DIFF keeps the log; TRUNC cuts it after the given zxid (which must not cut
    below what i committed); SNAP replaces it by the leader's snapshot. A committed
    entry that TRUNC or SNAP drops breaks CommittedLogDurability.
    """
    msg = taking(s, p, i, j, DIFF, TRUNC, SNAP)
    if msg is None:
        return None
    if not is_learner_of(s, i, j):
        return illegal(s, p, i, j, msg)
    srv, lrn = s.servers[i], s.learners[i]
    s = state_with(s, network=net.discard(s.network, p.n, i, j))
    if srv.zab_state != SYNCHRONIZATION:
        return breach(s, STATE_INCONSISTENT, i, j, msg.zxid)
    if msg[0] == DIFF:
        return state_with(s, learners=put(s.learners, i, learner_with(lrn, sync_mode=SYNC_DIFF)))
    if msg[0] == TRUNC:
        lrn = learner_with(lrn, sync_mode=SYNC_TRUNC)
        k = index_of_zxid(srv.history, msg.zxid)
        if not srv.last_committed <= k <= len(srv.history):
            s = state_with(s, learners=put(s.learners, i, lrn))
            return breach(s, PROPOSAL_INCONSISTENT, i, j, msg.zxid)
        new = srv.history[:k]
    else:
        lrn = learner_with(lrn, sync_mode=SYNC_SNAP)
        if snapshot_only_in_memory(p, lrn):  # the log on disk stays until NEWLEADER
            lrn = learner_with(lrn, disk_log=srv.history)
        new = msg.snapshot
    lost = lost_committed(srv.history, new, s.ghost.committed, _resent(s, p, i, j))
    n = len(new)
    srv = server_with(srv, history=new, initial_len=n, last_processed=n, last_committed=n)
    s = state_with(s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn))
    return breach(s, COMMITTED_TRUNCATED, i, j, lost) if lost else s


def follower_process_proposal_in_sync(
    s: SystemState, p: Params, i: int, j: int
) -> SystemState | None:
    """``FollowerProcessPROPOSALInSync(i, j)``: learner i queues a proposal received in sync.

    It is logged with NEWLEADER (or UPTODATE). ZooKeeper queues it even when it does
    not follow the last one (it only warns), and so does the spec.
    """
    msg = taking(s, p, i, j, PROPOSAL)
    if msg is None:
        return None
    if not (is_learner_of(s, i, j) and s.servers[i].zab_state == SYNCHRONIZATION):
        return None
    lrn = s.learners[i]
    lrn = learner_with(lrn, not_committed=(*lrn.not_committed, Txn(msg.zxid, msg.value)))
    return state_with(
        s, learners=put(s.learners, i, lrn), network=net.discard(s.network, p.n, i, j)
    )


def follower_process_commit_in_sync(
    s: SystemState, p: Params, i: int, j: int
) -> SystemState | None:
    """``FollowerProcessCOMMITInSync(i, j)``: learner i takes a COMMIT received in sync.

    The COMMIT must be for the transaction after the last one committed. After a DIFF
    or once NEWLEADER is in, it is remembered (packetsCommitted) and applied at
    UPTODATE; after TRUNC or SNAP, before NEWLEADER, it is applied at once.
    """
    msg = taking(s, p, i, j, COMMIT)
    if msg is None:
        return None
    if not (is_learner_of(s, i, j) and s.servers[i].zab_state == SYNCHRONIZATION):
        return None
    srv, lrn = s.servers[i], s.learners[i]
    s = state_with(s, network=net.discard(s.network, p.n, i, j))
    log = pending_log(srv, lrn)
    done = last_committed(srv, lrn)
    if not (
        done + 1 <= last_queued(srv, lrn)[0]
        and is_next_zxid(last_zxid(log, done), msg.zxid)
        and log[done].zxid == msg.zxid
    ):
        return breach(s, COMMIT_INCONSISTENT, i, j, msg.zxid)
    if lrn.sync_mode == SYNC_DIFF or lrn.nl_received:  # writeToTxnLog
        lrn = learner_with(lrn, committed=(*lrn.committed, msg.zxid))
        return state_with(s, learners=put(s.learners, i, lrn))
    txn = lrn.not_committed[0]
    history = append(srv.history, txn)
    srv = server_with(
        srv, history=history, last_committed=len(history), last_processed=len(history)
    )
    lrn = learner_with(lrn, not_committed=lrn.not_committed[1:])
    return state_with(s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn))


def _newleader_head(s: SystemState, p: Params, i: int, j: int):
    return taking(s, p, i, j, NEWLEADER)


def _acks(p: Params, i: int, txns: History) -> tuple:
    """The ACKs a learner sends for logged proposals: none from an observer."""
    return tuple(m.ack(t.zxid) for t in txns) if p.is_voter(i) else ()


def follower_process_newleader(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FollowerProcessNEWLEADER(i, j)``: learner i takes NEWLEADER.

    ZooKeeper 3.9 (the default, ``Params.zk``): a follower logs and applies the txns of
    the sync the leader committed (packetsCommitted), flushes them, takes a snapshot after
    TRUNC or SNAP, persists currentEpoch = acceptedEpoch and sends the ACK of NEWLEADER;
    the outstanding proposals wait for UPTODATE, and committed ones are not acked. An
    observer logs nothing here.

    ZkV3_7_0.tla: i persists currentEpoch and every proposal received in sync, takes a
    snapshot after TRUNC or SNAP, and sends the ACK of NEWLEADER, then an ACK per
    proposal. ZooKeeper 3.7.0's code is ZK-4685's variant below (``Params.split_newleader``
    and ``queued_logging``).

    ZK-3911: i persists currentEpoch and acknowledges, leaving the proposals unlogged
    until UPTODATE. ZK-4643, ZK-4685: this is only the first half, persisting
    currentEpoch (and for ZK-4685 queueing the proposals for disk); the rest is
    FollowerProcessNEWLEADERAfterCurrentEpochUpdated. ZK-4646: the proposals are
    queued for disk, not written, when the ACK goes out.
    """
    msg = _newleader_head(s, p, i, j)
    if msg is None:
        return None
    if not is_learner_of(s, i, j):
        return illegal(s, p, i, j, msg)
    srv, lrn = s.servers[i], s.learners[i]
    if p.split_newleader and lrn.nl_received:
        return None  # the second half is the next step
    if srv.zab_state != SYNCHRONIZATION:
        s = breach(s, STATE_INCONSISTENT, i, j, msg.zxid)
    if lrn.disk_log:  # NEWLEADER writes the snapshot first (takeSnapshot): the log is it
        lrn = learner_with(lrn, disk_log=())
        s = state_with(s, learners=put(s.learners, i, lrn))
    srv = server_with(srv, current_epoch=srv.accepted_epoch)
    if p.split_newleader:
        if p.queued_logging:
            lrn = learner_with(lrn, queued=lrn.queued + lrn.not_committed, not_committed=())
        lrn = learner_with(lrn, nl_received=True)
        return state_with(s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn))
    if p.bug == ZK_3911:
        lrn = learner_with(lrn, nl_received=True)
        network = net.reply(s.network, p.n, i, j, m.ackld(msg.zxid))
        return state_with(
            s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn), network=network
        )
    if p.bug is None and p.zk == ZK_39:
        return _log_committed_and_ack(s, p, i, j, srv, msg.zxid)
    if p.queued_logging:
        lrn = learner_with(
            lrn, queued=lrn.queued + lrn.not_committed, not_committed=(), nl_received=True
        )
        network = net.reply(s.network, p.n, i, j, m.ackld(msg.zxid))
        return state_with(
            s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn), network=network
        )
    return _log_synced_and_ack(s, p, i, j, srv, msg.zxid)


def _log_synced_and_ack(
    s: SystemState, p: Params, i: int, j: int, srv, nl_zxid: int
) -> SystemState:
    """Persist the proposals received in sync, snapshot if needed, ACK NEWLEADER and them."""
    lrn = s.learners[i]
    packets = lrn.not_committed
    snapshot_needed = lrn.sync_mode in (SYNC_TRUNC, SYNC_SNAP)
    srv = server_with(srv, history=srv.history + packets)
    lrn = learner_with(lrn, not_committed=(), nl_received=True, sync_mode=NO_SYNC)
    network = net.reply(s.network, p.n, i, j, m.ackld(nl_zxid), *_acks(p, i, packets))
    s = state_with(
        s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn), network=network
    )
    return take_snapshot(s, i) if snapshot_needed else s


def _log_committed_and_ack(
    s: SystemState, p: Params, i: int, j: int, srv, nl_zxid: int
) -> SystemState:
    """ZooKeeper 3.9's NEWLEADER: log and apply the committed txns of the sync, ACK NEWLEADER.

    Each zxid of packetsCommitted, in order, takes the head of packetsNotLogged when it
    matches (Learner.syncWithLeader skips one that does not, with a warning).
    """
    lrn = s.learners[i]
    pending, commits, logged = list(lrn.not_committed), list(lrn.committed), []
    if p.is_voter(i):
        while commits:
            zxid = commits.pop(0)
            if pending and pending[0].zxid == zxid:
                logged.append(pending.pop(0))
    history = srv.history + tuple(logged)
    if logged:
        n = len(history)
        srv = server_with(
            srv,
            last_committed=max(srv.last_committed, n),
            last_processed=max(srv.last_processed, n),
        )
        commits = []
    srv = server_with(srv, history=history)
    snapshot_needed = lrn.sync_mode in (SYNC_TRUNC, SYNC_SNAP)
    lrn = learner_with(
        lrn,
        not_committed=tuple(pending),
        committed=tuple(commits) if not p.is_voter(i) else (),
        nl_received=True,
        sync_mode=NO_SYNC,
    )
    network = net.reply(s.network, p.n, i, j, m.ackld(nl_zxid))
    s = state_with(
        s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn), network=network
    )
    return take_snapshot(s, i) if snapshot_needed else s


def follower_process_newleader_after_current_epoch_updated(
    s: SystemState, p: Params, i: int, j: int
) -> SystemState | None:
    """``FollowerProcessNEWLEADERAfterCurrentEpochUpdated(i, j)`` (MSPEC_2.tla), in ZK-4643
    and ZK-4685 only: the second half of taking NEWLEADER.

    ZK-4643: persist the proposals received in sync and ACK NEWLEADER and them.
    ZK-4685: ACK NEWLEADER (the proposals went to the SyncRequestProcessor, which
    acknowledges them itself when they reach disk, perhaps first).
    """
    if not p.split_newleader:
        return None
    msg = _newleader_head(s, p, i, j)
    if msg is None or not is_learner_of(s, i, j) or not s.learners[i].nl_received:
        return None
    if p.queued_logging:
        return state_with(s, network=net.reply(s.network, p.n, i, j, m.ackld(msg.zxid)))
    return _log_synced_and_ack(s, p, i, j, s.servers[i], msg.zxid)


def follower_sync_processor_log_request(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``FollowerSyncProcessorLogRequest(i)``, in ZK-4646 and ZK-4685 only: the
    transactions queued for disk are written, and acknowledged to the leader.
    """
    if not p.queued_logging:
        return _log_synced(s, p, i) if p.zookeeper_timing else None
    srv, lrn = s.servers[i], s.learners[i]
    if not (srv.online and lrn.queued) or lrn.leader < 0:
        return None
    queued = lrn.queued
    srv = server_with(srv, history=srv.history + queued)
    lrn = learner_with(lrn, queued=())
    network = net.send(s.network, p.n, i, lrn.leader, *_acks(p, i, queued))
    return state_with(
        s, servers=put(s.servers, i, srv), learners=put(s.learners, i, lrn), network=network
    )


def _log_synced(s: SystemState, p: Params, i: int) -> SystemState | None:
    """With ``zookeeper_timing``: learner i's log reached disk; it ACKs what it had not acked."""
    srv, lrn = s.servers[i], s.learners[i]
    if not (srv.online and lrn.unacked) or lrn.leader < 0:
        return None
    synced = srv.history[len(srv.history) - lrn.unacked :]
    network = net.send(s.network, p.n, i, lrn.leader, *_acks(p, i, synced))
    return state_with(s, learners=put(s.learners, i, learner_with(lrn, unacked=0)), network=network)


def leader_process_ackld(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``LeaderProcessACKLD(i, j)``: leader i reads the first ACK from j after NEWLEADER.

    ZooKeeper has one ACK type: j's LearnerHandler takes the first ACK it reads after
    sending NEWLEADER for the ACK of NEWLEADER, whatever it acknowledges, and hands its
    zxid to Leader.waitForNewLeaderAck; later ACKs are LeaderProcessACK's.

    1. A quorum had already acked (quorumFormed): the wait returns at once and j gets
       UPTODATE; an ACK of a proposal read here counts for nothing.
    2. The ACK is for another zxid than NEWLEADER's (an ACK of a proposal that overtook
       it, ZOOKEEPER-4685): "different epoch", not counted; j's handler waits for the
       leader to start. If the voters whose ACK can still count (those counted, and the
       connected learners not yet read from) are no quorum, i's wait can only time out:
       i gives up and goes back to election with its cluster (Leader.lead's shutdown).
    3. Otherwise j's ACK counts; with it a quorum of voters (i included) may be reached:
       i commits its whole log, starts serving (BROADCAST) and sends UPTODATE to every
       learner whose first ACK it has read.
    """
    msg = taking(s, p, i, j, ACK)
    if msg is None:
        return None
    if not is_leader_of(s, i, j):
        # an ACK at a server that does not lead j: illegal, reported by one step only
        return illegal(s, p, i, j, msg) if counter_of(msg.zxid) == 0 else None
    srv, ld = s.servers[i], s.leaders[i]
    if ld.ackld_live >> j & 1:
        return None  # j's first ACK was read: LeaderProcessACK
    newleader_zxid = make_zxid(srv.accepted_epoch, 0)
    counted = ld.ackld | 1 << j if msg.zxid == newleader_zxid else ld.ackld
    if p.is_quorum(ld.ackld):  # 1.
        ld = leader_with(ld, ackld=counted, ackld_live=ld.ackld_live | 1 << j)
        network = net.reply(s.network, p.n, i, j, m.uptodate(srv.accepted_epoch))
        return state_with(s, leaders=put(s.leaders, i, ld), network=network)
    network = net.discard(s.network, p.n, i, j)
    ld = leader_with(ld, ackld=counted, ackld_live=ld.ackld_live | 1 << j)
    s = state_with(s, leaders=put(s.leaders, i, ld), network=network)
    if msg.zxid != newleader_zxid:  # 2.
        if p.is_quorum(ld.ackld | ld.learners & ~ld.ackld_live):
            return s
        return _give_up_waiting_for_newleader_acks(s, p, i, j, msg.zxid)
    if not p.is_quorum(ld.ackld):
        return s
    # startZkServer: everything in the log is committed, processed and snapshotted.
    n = len(srv.history)
    srv = server_with(srv, zab_state=BROADCAST, last_committed=n, last_processed=n, last_snapshot=n)
    targets = ld.ackld_live & ld.learners
    network = net.broadcast(network, p.n, i, targets, m.uptodate(srv.accepted_epoch))
    s = state_with(
        s,
        servers=put(s.servers, i, srv),
        elections=_vote_epoch(s, p, i, srv.accepted_epoch),
        leaders=put(s.leaders, i, ld),
        network=network,
    )
    return record_commit(s, srv.history)


def _give_up_waiting_for_newleader_acks(
    s: SystemState, p: Params, i: int, j: int, zxid: int
) -> SystemState:
    """Leader i can no longer gather a quorum of NEWLEADER acks: it shuts down.

    When a quorum of voters (i included) is connected to i and has taken its NEWLEADER
    (each then acks it without waiting for anything), giving up is the harm ZOOKEEPER-4685
    does, recorded for LeaderStaysWithSyncedQuorum.
    """
    synced = 1 << i
    for k in members(s.leaders[i].learners):
        if is_learner_of(s, k, i) and s.learners[k].nl_received:
            synced |= 1 << k
    if p.is_quorum(synced):
        s = breach(s, QUORUM_ABANDONED, i, j, zxid, ACK)
    return leader_shutdown(s, p, i)


def _vote_epoch(s: SystemState, p: Params, i: int, epoch: int) -> tuple[Election, ...]:
    """The elections once i's vote carries ``epoch``, as a server that starts serving sets
    its vote's peerEpoch to its acceptedEpoch (QuorumPeer.updateElectionVote). The coarse
    election keeps no epoch in a vote (:func:`spec.system.election.votes.kept_vote`): it
    leaves the elections as they are."""
    if p.coarse_election:
        return s.elections
    el = s.elections[i]
    return put(s.elections, i, election_with(el, vote=el.vote._replace(epoch=epoch)))


def follower_process_uptodate(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FollowerProcessUPTODATE(i, j)``: learner i takes UPTODATE and starts serving.

    It logs (and acks) the proposals that came after NEWLEADER, delivers everything
    committed during sync, and moves to BROADCAST.
    """
    msg = taking(s, p, i, j, UPTODATE)
    if msg is None:
        return None
    if not is_learner_of(s, i, j):
        return illegal(s, p, i, j, msg)
    srv, lrn = s.servers[i], s.learners[i]
    if lrn.queued:
        return None  # the SyncRequestProcessor drains its queue first
    if srv.zab_state != SYNCHRONIZATION or not lrn.nl_received:
        return breach(
            state_with(s, network=net.discard(s.network, p.n, i, j)), STATE_INCONSISTENT, i, j
        )
    packets = lrn.not_committed
    done = last_committed(srv, lrn)
    acks = () if p.zookeeper_timing else _acks(p, i, packets)
    s = state_with(s, network=net.reply(s.network, p.n, i, j, *acks))
    if not txns_match_commits(committed_txns(srv, lrn), lrn.committed):
        s = breach(s, COMMIT_INCONSISTENT, i, j)
        done = srv.last_committed
    srv = server_with(
        srv,
        history=srv.history + packets,
        zab_state=BROADCAST,
        last_committed=done,
        last_processed=done,
    )
    unacked = lrn.unacked + len(packets) if p.zookeeper_timing and p.is_voter(i) else lrn.unacked
    lrn = learner_with(lrn, not_committed=(), committed=(), sync_mode=NO_SYNC, unacked=unacked)
    return state_with(
        s,
        servers=put(s.servers, i, srv),
        elections=_vote_epoch(s, p, i, srv.accepted_epoch),
        learners=put(s.learners, i, lrn),
    )
