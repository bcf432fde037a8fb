"""Broadcast: client writes, PROPOSAL, ACK, COMMIT and INFORM (ZooKeeper's
``ProposalRequestProcessor``, ``Leader.processAck``/``tryToCommit``, ``Follower.processPacket``
and ``Observer.processPacket``).

The leader gives each write the next zxid of its epoch, logs it and sends it to every synced
follower; it commits in zxid order once a quorum of voters (itself included, once its own log
is on disk) has acked, then sends COMMIT to followers and INFORM to observers. Followers ack
a proposal only once it is on disk (``LogSynced``).
"""

from __future__ import annotations

from impl.core import sync
from impl.core.context import Context
from impl.core.effects import NoteReceived, WriteResult
from impl.core.errors import RemoteProtocolError
from impl.core.events import NoteToLeader, WriteSubmitted
from impl.core.history import is_next_zxid
from impl.core.messages import Ack, Commit, Inform, LearnerNote, Proposal, Request, Txn
from impl.core.roles import Phase, Role
from impl.core.switches import ACK_BEFORE_FSYNC, ANSWER_BEFORE_COMMIT, COMMIT_WITHOUT_QUORUM
from impl.core.zxid import make_zxid


def submit(c: Context, w: WriteSubmitted) -> None:
    """A write at this server: the leader proposes it; a learner forwards it to the leader."""
    if c.phase != Phase.BROADCAST:
        c.emit(WriteResult(w.request_id, None, error="not-ready"))
        return
    c.pending_writes.add(w.request_id)
    if c.role == Role.LEADING:
        leader_process_request(c, c.sid, Request(w.request_id, w.payload))
    else:
        assert c.learner is not None
        c.send(c.learner.leader, Request(w.request_id, w.payload))


def leader_process_request(c: Context, origin: int, m: Request) -> None:
    ld = c.leader_state
    assert ld is not None
    if c.phase != Phase.BROADCAST:  # a learner forwarded it just before we lost the quorum
        return
    zxid = make_zxid(c.current_epoch, ld.next_counter)
    txn = Txn(zxid, origin, m.request_id, m.payload, c.now_ms)
    ld.next_counter += 1
    c.log_txns([txn], ack=True)
    ld.outstanding[txn.zxid] = set()
    if c.switches.on(ANSWER_BEFORE_COMMIT):  # applied and answered before any quorum has it
        c.deliver_upto(zxid)
    proposal = Proposal(c.current_epoch, txn)
    for session in ld.learners.values():
        if session.synced and not session.observer:
            c.send(session.sid, proposal)
    c.step("LeaderProcessRequest", c.sid)


def note_to_leader(c: Context, n: NoteToLeader) -> None:
    """Application bytes for the leader; dropped unless we are in broadcast."""
    if c.phase != Phase.BROADCAST:
        return
    if c.role == Role.LEADING:
        c.emit(NoteReceived(c.sid, n.payload))
    else:
        assert c.learner is not None
        c.send(c.learner.leader, LearnerNote(c.learner.epoch or 0, n.payload))


def leader_process_note(c: Context, j: int, m: LearnerNote) -> None:
    ld = c.leader_state
    assert ld is not None
    ld.synced_session(j, m.epoch, "learner note")
    c.emit(NoteReceived(j, m.payload))


def leader_process_ack(c: Context, j: int, m: Ack) -> None:
    ld = c.leader_state
    assert ld is not None
    session = ld.synced_session(j, m.epoch, f"ACK {c.fmt(m.zxid)}")
    if session.observer:
        raise RemoteProtocolError(f"ACK {c.fmt(m.zxid)} from observer {j}")
    if m.zxid > c.history.last_zxid:
        raise RemoteProtocolError(f"ACK for {c.fmt(m.zxid)}, which we never proposed")
    if not session.acked_newleader:  # read as the ACK of NEWLEADER (one ACK type)
        sync.leader_process_ackld(c, j, m)
        return
    acks = ld.outstanding.get(m.zxid)
    if acks is not None:  # else already committed, or part of the initial history
        acks.add(j)
        try_to_commit(c)
    c.step("LeaderProcessACK", c.sid, j, msg=m)


def leader_own_ack(c: Context, zxid: int) -> None:
    """Our own log reached disk up to ``zxid``: count our ack."""
    ld = c.leader_state
    assert ld is not None
    ld.own_durable = max(ld.own_durable, zxid)
    if zxid in ld.outstanding:
        try_to_commit(c)
        c.step("LeaderProcessACK", c.sid, c.sid)


def try_to_commit(c: Context) -> None:
    ld = c.leader_state
    assert ld is not None
    while ld.outstanding:
        zxid, acks = next(iter(ld.outstanding.items()))
        voters = acks | {c.sid} if zxid <= ld.own_durable else acks
        if c.switches.on(COMMIT_WITHOUT_QUORUM):
            if not voters:
                return
        elif not c.cluster.is_quorum(voters):
            return
        del ld.outstanding[zxid]
        txn = c.history.txn(zxid)
        c.deliver_upto(zxid)
        commit, inform = Commit(c.current_epoch, zxid), Inform(c.current_epoch, txn)
        for session in ld.learners.values():
            if session.synced:
                c.send(session.sid, inform if session.observer else commit)


def follower_process_proposal(c: Context, j: int, m: Proposal) -> None:
    last = c.history.last_zxid
    if not is_next_zxid(last, m.txn.zxid):
        raise RemoteProtocolError(f"proposal {c.fmt(m.txn.zxid)} does not follow {c.fmt(last)}")
    if c.switches.on(ACK_BEFORE_FSYNC):
        c.log_txns([m.txn], ack=False)
        c.send(j, Ack(m.epoch, m.txn.zxid))
    else:
        c.log_txns([m.txn], ack=True)
    c.step("FollowerProcessPROPOSAL", c.sid, j, msg=m)


def follower_process_commit(c: Context, j: int, m: Commit) -> None:
    h = c.history
    if not (h.contains(m.zxid) and h.index(m.zxid) == h.index(c.committed) + 1):
        raise RemoteProtocolError(
            f"COMMIT {c.fmt(m.zxid)} is not the next after {c.fmt(c.committed)}"
        )
    c.deliver_upto(m.zxid)
    c.step("FollowerProcessCOMMIT", c.sid, j, msg=m)


def observer_process_inform(c: Context, j: int, m: Inform) -> None:
    last = c.history.last_zxid
    if not is_next_zxid(last, m.txn.zxid):
        raise RemoteProtocolError(f"INFORM {c.fmt(m.txn.zxid)} does not follow {c.fmt(last)}")
    c.log_txns([m.txn], ack=False)
    c.deliver_upto(m.txn.zxid)
    c.step("ObserverProcessINFORM", c.sid, j, msg=m)


def log_synced(c: Context, seq: int) -> None:
    """Appends up to ``seq`` are on disk: a leader counts its own acks (and may complete its
    NEWLEADER quorum); a follower sends the ACKs it owes."""
    c.durable_seq = max(c.durable_seq, seq)
    ready: list[int] = []
    while c.awaiting_sync and c.awaiting_sync[0][0] <= seq:
        ready.append(c.awaiting_sync.popleft()[1])
    if c.role == Role.LEADING:
        for zxid in ready:
            leader_own_ack(c, zxid)
        if c.phase == Phase.SYNCHRONIZATION:
            sync.newleader_quorum_check(c)
    elif c.learner is not None:
        if ready and c.role == Role.FOLLOWING:
            epoch = c.learner.epoch or 0
            for zxid in ready:
                c.send(c.learner.leader, Ack(epoch, zxid))
            c.step("FollowerSyncProcessorLogRequest", c.sid)
        sync.complete_newleader_if_durable(c)
