"""Synchronization: DIFF / TRUNC / SNAP, the proposals a learner lacks, NEWLEADER, its ACK, and
UPTODATE (ZooKeeper's ``LearnerHandler.syncFollower`` and ``Learner.syncWithLeader``).

The leader compares the learner's last zxid with its committed log: equal, or present and in
memory -> DIFF; absent -> TRUNC to the leader's last zxid before it (so proposals the new
leader skipped disappear); too old for the in-memory log -> SNAP. The learner persists its
synced history before currentEpoch, and both before it acks NEWLEADER.
"""

from __future__ import annotations

from impl.core.context import Context
from impl.core.election import give_up, processed_zxid
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
from impl.core.switches import SKIP_TRUNC, ZK_3911, ZK_4643, ZK_4646, ZK_4685


def leader_sync_follower(c: Context, j: int) -> None:
    ld = c.leader_state
    assert ld is not None and ld.new_epoch is not None
    session = ld.learners[j]
    epoch = ld.new_epoch
    h = c.history
    committed_max = c.committed if c.phase == Phase.BROADCAST else h.last_zxid
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
        snapshot = c.current_snapshot()
        start, first = snapshot.zxid, Snap(epoch, snapshot)
    c.send(j, first)
    committed = h.txns_between(start, committed_max)
    for txn in committed:
        c.send(j, Proposal(epoch, txn))
        c.send(j, Commit(epoch, txn.zxid))
    outstanding = [] if session.observer else h.txns_between(committed_max, h.last_zxid)
    for txn in outstanding:
        c.send(j, Proposal(epoch, txn))
    c.send(j, NewLeader(epoch))
    session.synced = True
    mode = type(first).__name__.upper()
    c.note(
        "info",
        f"sync {j}: {mode} from {c.fmt(start)} (its last zxid {c.fmt(peer)}), "
        f"{len(committed)} committed + {len(outstanding)} outstanding txns",
    )
    c.step("LeaderSyncFollower", c.sid, j)


def follower_process_sync_message(c: Context, j: int, m: Diff | Trunc | Snap) -> None:
    learner = c.learner
    assert learner is not None
    h = c.history
    if learner.sync_mode is not None:
        raise RemoteProtocolError("a second DIFF/TRUNC/SNAP in one sync")
    if isinstance(m, Diff):
        if m.zxid != processed_zxid(c):  # the zxid our ACKEPOCH reported
            raise RemoteProtocolError(
                f"DIFF from {c.fmt(m.zxid)}, but our last zxid is {c.fmt(processed_zxid(c))}"
            )
    elif isinstance(m, Trunc):
        if not (h.contains(m.zxid) and c.committed <= m.zxid <= h.last_zxid):
            raise RemoteProtocolError(
                f"TRUNC to {c.fmt(m.zxid)} refused: not in our history after our last "
                f"committed zxid {c.fmt(c.committed)}"
            )
        if not c.switches.on(SKIP_TRUNC):
            dropped = h.truncate(m.zxid)
            c.truncate_log(m.zxid, dropped)
    else:
        snapshot = m.snapshot
        if snapshot.zxid < c.committed:
            raise RemoteProtocolError(
                f"SNAP at {c.fmt(snapshot.zxid)} refused: we committed {c.fmt(c.committed)}"
            )
        c.install_snapshot(snapshot)
    learner.sync_mode = type(m).__name__.upper()
    learner.commit_target = h.last_zxid
    c.note("info", f"sync with leader {j}: {learner.sync_mode} to {c.fmt(h.last_zxid)}")
    c.step("FollowerProcessSyncMessage", c.sid, j, msg=m)


def _queue_in_sync(c: Context, m: Proposal | Inform) -> None:
    learner = c.learner
    assert learner is not None
    if learner.sync_mode is None:
        raise RemoteProtocolError("a proposal before DIFF/TRUNC/SNAP")
    last = learner.last_queued(c.history.last_zxid)
    if not is_next_zxid(last, m.txn.zxid):
        raise RemoteProtocolError(f"proposal {c.fmt(m.txn.zxid)} does not follow {c.fmt(last)}")
    queue = learner.after_newleader if learner.newleader_epoch else learner.before_newleader
    queue.append(m.txn)


def follower_process_proposal_in_sync(c: Context, j: int, m: Proposal) -> None:
    _queue_in_sync(c, m)
    c.step("FollowerProcessPROPOSALInSync", c.sid, j, msg=m)


def follower_process_commit_in_sync(c: Context, j: int, m: Commit) -> None:
    learner = c.learner
    assert learner is not None
    last = learner.last_queued(c.history.last_zxid)
    if not learner.commit_target < m.zxid <= last:
        raise RemoteProtocolError(f"COMMIT {c.fmt(m.zxid)} for no pending proposal")
    learner.commit_target = m.zxid
    c.step("FollowerProcessCOMMITInSync", c.sid, j, msg=m)


def observer_process_inform_in_sync(c: Context, j: int, m: Inform) -> None:
    _queue_in_sync(c, m)
    assert c.learner is not None
    c.learner.commit_target = m.txn.zxid
    c.step("ObserverProcessINFORM", c.sid, j, msg=m)


def follower_process_newleader(c: Context, j: int, m: NewLeader) -> None:
    """Log the synced proposals; once they are on disk, persist currentEpoch and ack."""
    learner = c.learner
    assert learner is not None
    if learner.sync_mode is None or learner.newleader_epoch is not None:
        raise RemoteProtocolError("NEWLEADER out of turn")
    learner.newleader_epoch = m.epoch
    synced, learner.before_newleader = learner.before_newleader, []
    if c.switches.on(ZK_3911):  # logged (and acked) only at UPTODATE
        learner.after_newleader[:0] = synced
        synced = []
    if c.switches.on(ZK_4646):  # written behind the ACK of NEWLEADER, acked once on disk
        c.log_txns(synced, ack=c.role == Role.FOLLOWING)
        learner.to_ack = []
        learner.newleader_wait_seq = 0
        complete_newleader_if_durable(c)
        return
    # With ZK-4685 the sync processor acks them once on disk, ahead of the ACK of NEWLEADER
    queued_acks = c.switches.on(ZK_4685) and c.role == Role.FOLLOWING
    c.log_txns(synced, ack=queued_acks)
    # After TRUNC or SNAP, ZooKeeper applies a txn committed during sync at once
    # (Learner.syncWithLeader, !writeToTxnLog) and never acks it; after DIFF it logs and
    # acks every proposal of the sync, committed or not.
    acked_from = learner.commit_target if learner.sync_mode != "DIFF" else 0
    learner.to_ack = [] if queued_acks else [t.zxid for t in synced if t.zxid > acked_from]
    learner.newleader_wait_seq = c.next_seq
    if c.switches.on(ZK_4643) or c.switches.on(ZK_4685):  # currentEpoch first
        c.current_epoch = m.epoch
        c.persist_epochs()
        c.step("FollowerProcessNEWLEADER", c.sid, j, msg=m)
    complete_newleader_if_durable(c)


def complete_newleader_if_durable(c: Context) -> None:
    learner = c.learner
    if learner is None or learner.newleader_epoch is None or learner.newleader_acked:
        return
    if c.durable_seq < learner.newleader_wait_seq:
        return
    epoch = learner.newleader_epoch
    c.current_epoch = epoch
    c.persist_epochs()
    c.send(learner.leader, AckNewLeader(epoch))
    if c.role == Role.FOLLOWING:
        for zxid in learner.to_ack:
            c.send(learner.leader, Ack(epoch, zxid))
    learner.to_ack = []
    learner.newleader_acked = True
    step = "FollowerProcessNEWLEADER"
    if c.switches.on(ZK_4643) or c.switches.on(ZK_4685):  # its first half came earlier
        step = "FollowerProcessNEWLEADERAfterCurrentEpochUpdated"
    c.step(step, c.sid, learner.leader, msg=NewLeader(epoch))


def follower_process_uptodate(c: Context, j: int, m: UpToDate) -> None:
    learner = c.learner
    assert learner is not None
    if not learner.newleader_acked:
        raise RemoteProtocolError("UPTODATE before our ACK of NEWLEADER")
    pending, learner.after_newleader = learner.after_newleader, []
    c.log_txns(pending, ack=c.role == Role.FOLLOWING)
    c.deliver_upto(learner.commit_target)
    c.enter(Trigger.UPTODATE)
    c.election.epoch = c.accepted_epoch
    c.note(
        "info",
        f"{c.role.name} leader {j} in epoch {c.current_epoch} after {learner.sync_mode}, "
        f"last zxid {c.fmt(c.history.last_zxid)}",
    )
    c.step("FollowerProcessUPTODATE", c.sid, j, msg=m)


def leader_process_ackld(c: Context, j: int, m: AckNewLeader | Ack) -> None:
    """The first ACK j sent after NEWLEADER (ZooKeeper's ``LearnerHandler`` reads it and hands
    its zxid to ``Leader.waitForNewLeaderAck``). ZooKeeper has one ACK type: the first one
    read is taken for the ACK of NEWLEADER, whatever it acknowledges. Only a learner with
    the ZOOKEEPER-4685 switch sends a proposal's ACK first (its sync processor acks before
    it acks NEWLEADER): it is of "a different epoch" and not counted, j gets UPTODATE once
    the leader starts, and a leader that can no longer gather a quorum of NEWLEADER acks
    gives up at once (ZooKeeper's wait can then only time out, and ``Leader.lead`` shuts
    down)."""
    ld = c.leader_state
    assert ld is not None
    session = ld.synced_session(j, m.epoch, "ACK of NEWLEADER")
    if session.acked_newleader:
        if isinstance(m, Ack):
            raise RemoteProtocolError(f"ACK {c.fmt(m.zxid)} from {j} read twice")
        # j's first ACK was another's: this one, of NEWLEADER, is ignored (Leader.processAck
        # skips a zxid with counter 0)
        c.step("LeaderProcessACK", c.sid, j, msg=m)
        return
    session.acked_newleader = True
    counted = isinstance(m, AckNewLeader)
    if counted and not session.observer:
        ld.acked_newleader.add(j)
    if c.phase == Phase.BROADCAST:
        session.uptodate = True
        c.send(j, UpToDate(m.epoch))
        c.step("LeaderProcessACKLD", c.sid, j, msg=m)
    elif counted:
        newleader_quorum_check(c, step_peer=j, taken=m)
    else:
        assert isinstance(m, Ack)
        c.note("warning", f"ACK {c.fmt(m.zxid)} from {j} read as its ACK of NEWLEADER: not counted")
        can_count = {c.sid} | ld.acked_newleader
        can_count |= {s.sid for s in ld.learners.values() if not s.acked_newleader}
        if not c.cluster.is_quorum(can_count):
            give_up(
                c, f"no quorum can ack NEWLEADER any more (at most {sorted(can_count)})", step=None
            )
        c.step("LeaderProcessACKLD", c.sid, j, msg=m)


def newleader_quorum_check(
    c: Context, step_peer: int | None = None, taken: AckNewLeader | None = None
) -> None:
    """With a quorum of NEWLEADER acks (ours once our log is on disk) start serving: commit
    the initial history and send UPTODATE. ``step_peer`` sent ``taken``, the ack that
    prompted the check (else the prompt was our own log reaching disk)."""
    ld = c.leader_state
    assert ld is not None
    if c.phase != Phase.SYNCHRONIZATION:
        return
    acks = set(ld.acked_newleader)
    if c.durable_seq >= c.next_seq:
        acks.add(c.sid)
    if c.cluster.is_quorum(acks):
        c.enter(Trigger.NEWLEADER_ACKED)
        c.deliver_upto(c.history.last_zxid)
        c.election.epoch = c.current_epoch
        for session in ld.learners.values():
            if session.acked_newleader and not session.uptodate:
                session.uptodate = True
                c.send(session.sid, UpToDate(c.current_epoch))
        c.note("info", f"leading epoch {c.current_epoch}, NEWLEADER acked by {sorted(acks)}")
    if step_peer is not None:
        c.step("LeaderProcessACKLD", c.sid, step_peer, msg=taken)
    elif c.phase == Phase.BROADCAST:
        c.step("LeaderProcessACKLD", c.sid, c.sid)
