"""Synchronization: DIFF / TRUNC / SNAP, the proposals a learner lacks, NEWLEADER, its ACK, and
UPTODATE (ZooKeeper's ``LearnerHandler.syncFollower`` and ``Learner.syncWithLeader``).

The leader compares the learner's last zxid with its committed log: equal, or present and in
memory -> DIFF; absent -> TRUNC to the leader's last zxid before it (so proposals the new
leader skipped disappear); too old for the in-memory log -> SNAP. The learner persists its
synced history before currentEpoch, and both before it acks NEWLEADER.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from impl.core.errors import RemoteProtocolError
from impl.core.history import is_next_zxid
from impl.core.messages import (
    Ack,
    AckNewLeader,
    Commit,
    Diff,
    Inform,
    NewLeader,
    Proposal,
    Snap,
    Trunc,
    UpToDate,
)
from impl.core.roles import Phase, Role, Trigger
from impl.core.state import synced_session
from impl.core.switches import SKIP_TRUNC, ZK_3911

if TYPE_CHECKING:
    from impl.core.peer import ZabPeer


def leader_sync_follower(p: ZabPeer, j: int) -> None:
    ld = p.leader_state
    assert ld is not None and ld.new_epoch is not None
    session = ld.learners[j]
    epoch = ld.new_epoch
    h = p.history
    committed_max = p.committed if p.phase == Phase.BROADCAST else h.last_zxid
    peer = session.peer_last_zxid
    if peer == committed_max or (
        peer < committed_max and h.contains(peer) and h.in_memory_after(peer)
    ):
        start, first = peer, Diff(epoch, peer)
    elif peer > committed_max:
        start, first = committed_max, Trunc(epoch, committed_max)
    elif not h.contains(peer) and h.in_memory_after(h.last_before(peer)):
        start = h.last_before(peer)
        first = Trunc(epoch, start)
    else:
        snapshot = p.current_snapshot()
        start, first = snapshot.zxid, Snap(epoch, snapshot)
    p.send(j, first)
    committed = h.txns_between(start, committed_max)
    for txn in committed:
        p.send(j, Proposal(epoch, txn))
        p.send(j, Commit(epoch, txn.zxid))
    outstanding = [] if session.observer else h.txns_between(committed_max, h.last_zxid)
    for txn in outstanding:
        p.send(j, Proposal(epoch, txn))
    p.send(j, NewLeader(epoch))
    session.synced = True
    mode = type(first).__name__.upper()
    p.note(
        "info",
        f"sync {j}: {mode} from {p.fmt(start)} (its last zxid {p.fmt(peer)}), "
        f"{len(committed)} committed + {len(outstanding)} outstanding txns",
    )
    p.step("LeaderSyncFollower", p.sid, j)


def follower_process_sync_message(p: ZabPeer, j: int, m: Diff | Trunc | Snap) -> None:
    learner = p.learner
    assert learner is not None
    h = p.history
    if learner.sync_mode is not None:
        raise RemoteProtocolError("a second DIFF/TRUNC/SNAP in one sync")
    if isinstance(m, Diff):
        if m.zxid != h.last_zxid:
            raise RemoteProtocolError(
                f"DIFF from {p.fmt(m.zxid)}, but our last zxid is {p.fmt(h.last_zxid)}"
            )
    elif isinstance(m, Trunc):
        if not (h.contains(m.zxid) and p.committed <= m.zxid <= h.last_zxid):
            raise RemoteProtocolError(
                f"TRUNC to {p.fmt(m.zxid)} refused: not in our history after our last "
                f"committed zxid {p.fmt(p.committed)}"
            )
        if SKIP_TRUNC not in p.mutations:
            dropped = h.truncate(m.zxid)
            p.truncate_log(m.zxid, dropped)
    else:
        snapshot = m.snapshot
        if snapshot.zxid < p.committed:
            raise RemoteProtocolError(
                f"SNAP at {p.fmt(snapshot.zxid)} refused: we committed {p.fmt(p.committed)}"
            )
        p.install_snapshot(snapshot)
    learner.sync_mode = type(m).__name__.upper()
    learner.commit_target = h.last_zxid
    p.note("info", f"sync with leader {j}: {learner.sync_mode} to {p.fmt(h.last_zxid)}")
    p.step("FollowerProcessSyncMessage", p.sid, j, msg=m)


def _queue_in_sync(p: ZabPeer, m: Proposal | Inform) -> None:
    learner = p.learner
    assert learner is not None
    if learner.sync_mode is None:
        raise RemoteProtocolError("a proposal before DIFF/TRUNC/SNAP")
    last = learner.last_queued(p.history.last_zxid)
    if not is_next_zxid(last, m.txn.zxid):
        raise RemoteProtocolError(f"proposal {p.fmt(m.txn.zxid)} does not follow {p.fmt(last)}")
    queue = learner.after_newleader if learner.newleader_epoch else learner.before_newleader
    queue.append(m.txn)


def follower_process_proposal_in_sync(p: ZabPeer, j: int, m: Proposal) -> None:
    _queue_in_sync(p, m)
    p.step("FollowerProcessPROPOSALInSync", p.sid, j, msg=m)


def follower_process_commit_in_sync(p: ZabPeer, j: int, m: Commit) -> None:
    learner = p.learner
    assert learner is not None
    last = learner.last_queued(p.history.last_zxid)
    if not learner.commit_target < m.zxid <= last:
        raise RemoteProtocolError(f"COMMIT {p.fmt(m.zxid)} for no pending proposal")
    learner.commit_target = m.zxid
    p.step("FollowerProcessCOMMITInSync", p.sid, j, msg=m)


def observer_process_inform_in_sync(p: ZabPeer, j: int, m: Inform) -> None:
    _queue_in_sync(p, m)
    assert p.learner is not None
    p.learner.commit_target = m.txn.zxid
    p.step("ObserverProcessINFORM", p.sid, j, msg=m)


def follower_process_newleader(p: ZabPeer, j: int, m: NewLeader) -> None:
    """Log the synced proposals; once they are on disk, persist currentEpoch and ack."""
    learner = p.learner
    assert learner is not None
    if learner.sync_mode is None or learner.newleader_epoch is not None:
        raise RemoteProtocolError("NEWLEADER out of turn")
    learner.newleader_epoch = m.epoch
    synced, learner.before_newleader = learner.before_newleader, []
    if ZK_3911 in p.mutations:  # logged (and acked) only at UPTODATE
        learner.after_newleader[:0] = synced
        synced = []
    p.log_txns(synced, ack=False)
    # After TRUNC or SNAP, ZooKeeper applies a txn committed during sync at once
    # (Learner.syncWithLeader, !writeToTxnLog) and never acks it; after DIFF it logs and
    # acks every proposal of the sync, committed or not.
    acked_from = learner.commit_target if learner.sync_mode != "DIFF" else 0
    learner.to_ack = [t.zxid for t in synced if t.zxid > acked_from]
    learner.newleader_wait_seq = p.next_seq
    complete_newleader_if_durable(p)


def complete_newleader_if_durable(p: ZabPeer) -> None:
    learner = p.learner
    if learner is None or learner.newleader_epoch is None or learner.newleader_acked:
        return
    if p.durable_seq < learner.newleader_wait_seq:
        return
    epoch = learner.newleader_epoch
    p.current_epoch = epoch
    p.persist_epochs()
    p.send(learner.leader, AckNewLeader(epoch))
    if p.role == Role.FOLLOWING:
        for zxid in learner.to_ack:
            p.send(learner.leader, Ack(epoch, zxid))
    learner.to_ack = []
    learner.newleader_acked = True
    p.step("FollowerProcessNEWLEADER", p.sid, learner.leader, msg=NewLeader(epoch))


def follower_process_uptodate(p: ZabPeer, j: int, m: UpToDate) -> None:
    learner = p.learner
    assert learner is not None
    if not learner.newleader_acked:
        raise RemoteProtocolError("UPTODATE before our ACK of NEWLEADER")
    pending, learner.after_newleader = learner.after_newleader, []
    p.log_txns(pending, ack=p.role == Role.FOLLOWING)
    p.deliver_upto(learner.commit_target)
    p.enter(Trigger.UPTODATE)
    p.election.epoch = p.accepted_epoch
    p.note(
        "info",
        f"{p.role.name} leader {j} in epoch {p.current_epoch} after {learner.sync_mode}, "
        f"last zxid {p.fmt(p.history.last_zxid)}",
    )
    p.step("FollowerProcessUPTODATE", p.sid, j, msg=m)


def leader_process_ackld(p: ZabPeer, j: int, m: AckNewLeader) -> None:
    ld = p.leader_state
    assert ld is not None
    session = synced_session(p, j, m.epoch, "ACK of NEWLEADER")
    if session.acked_newleader:
        raise RemoteProtocolError(f"a second ACK of NEWLEADER from {j}")
    session.acked_newleader = True
    if not session.observer:
        ld.acked_newleader.add(j)
    if p.phase == Phase.BROADCAST:
        session.uptodate = True
        p.send(j, UpToDate(m.epoch))
        p.step("LeaderProcessACKLD", p.sid, j, msg=m)
    else:
        newleader_quorum_check(p, step_peer=j, taken=m)


def newleader_quorum_check(
    p: ZabPeer, step_peer: int | None = None, taken: AckNewLeader | None = None
) -> None:
    """With a quorum of NEWLEADER acks (ours once our log is on disk) start serving: commit
    the initial history and send UPTODATE. ``step_peer`` sent ``taken``, the ack that
    prompted the check (else the prompt was our own log reaching disk)."""
    ld = p.leader_state
    assert ld is not None
    if p.phase != Phase.SYNCHRONIZATION:
        return
    acks = set(ld.acked_newleader)
    if p.durable_seq >= p.next_seq:
        acks.add(p.sid)
    if p.cluster.is_quorum(acks):
        p.enter(Trigger.NEWLEADER_ACKED)
        p.deliver_upto(p.history.last_zxid)
        p.election.epoch = p.current_epoch
        for session in ld.learners.values():
            if session.acked_newleader and not session.uptodate:
                session.uptodate = True
                p.send(session.sid, UpToDate(p.current_epoch))
        p.note("info", f"leading epoch {p.current_epoch}, NEWLEADER acked by {sorted(acks)}")
    if step_peer is not None:
        p.step("LeaderProcessACKLD", p.sid, step_peer, msg=taken)
    elif p.phase == Phase.BROADCAST:
        p.step("LeaderProcessACKLD", p.sid, p.sid)
