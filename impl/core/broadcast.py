"""Broadcast: client writes, PROPOSAL, ACK, COMMIT and INFORM (ZooKeeper's
``ProposalRequestProcessor``, ``Leader.processAck``/``tryToCommit``, ``Follower.processPacket``
and ``Observer.processPacket``).

The leader gives each write the next zxid of its epoch, logs it and sends it to every synced
follower; it commits in zxid order once a quorum of voters (itself included, once its own log
is on disk) has acked, then sends COMMIT to followers and INFORM to observers. Followers ack
a proposal only once it is on disk (``LogSynced``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from impl.core.effects import NoteReceived, WriteResult
from impl.core.errors import RemoteProtocolError
from impl.core.events import NoteToLeader, WriteSubmitted
from impl.core.history import is_next_zxid
from impl.core.messages import Ack, Commit, Inform, LearnerNote, Proposal, Request, Txn
from impl.core.mutations import ACK_BEFORE_FSYNC, ANSWER_BEFORE_COMMIT, COMMIT_WITHOUT_QUORUM
from impl.core.roles import Phase, Role
from impl.core.sessions import synced_session
from impl.core.zxid import make_zxid

if TYPE_CHECKING:
    from impl.core.peer import ZabPeer


def submit(p: ZabPeer, w: WriteSubmitted) -> None:
    """A write at this server: the leader proposes it; a learner forwards it to the leader."""
    if p.phase != Phase.BROADCAST:
        p.out.append(WriteResult(w.request_id, None, error="not-ready"))
        return
    p.pending_writes.add(w.request_id)
    if p.role == Role.LEADING:
        leader_process_request(p, p.sid, Request(w.request_id, w.payload))
    else:
        assert p.learner is not None
        p.send(p.learner.leader, Request(w.request_id, w.payload))


def leader_process_request(p: ZabPeer, origin: int, m: Request) -> None:
    ld = p.leader_state
    assert ld is not None
    if p.phase != Phase.BROADCAST:  # a learner forwarded it just before we lost the quorum
        return
    zxid = make_zxid(p.current_epoch, ld.next_counter)
    txn = Txn(zxid, origin, m.request_id, m.payload, p.now_ms)
    ld.next_counter += 1
    p.log_txns([txn], ack=True)
    ld.outstanding[txn.zxid] = set()
    if ANSWER_BEFORE_COMMIT in p.mutations:  # applied and answered before any quorum has it
        p.deliver_upto(zxid)
    proposal = Proposal(p.current_epoch, txn)
    for session in ld.learners.values():
        if session.synced and not session.observer:
            p.send(session.sid, proposal)
    p.step("LeaderProcessRequest", p.sid)


def note_to_leader(p: ZabPeer, n: NoteToLeader) -> None:
    """Application bytes for the leader; dropped unless we are in broadcast."""
    if p.phase != Phase.BROADCAST:
        return
    if p.role == Role.LEADING:
        p.out.append(NoteReceived(p.sid, n.payload))
    else:
        assert p.learner is not None
        p.send(p.learner.leader, LearnerNote(p.learner.epoch or 0, n.payload))


def leader_process_note(p: ZabPeer, j: int, m: LearnerNote) -> None:
    synced_session(p, j, m.epoch, "learner note")
    p.out.append(NoteReceived(j, m.payload))


def leader_process_ack(p: ZabPeer, j: int, m: Ack) -> None:
    ld = p.leader_state
    assert ld is not None
    session = synced_session(p, j, m.epoch, f"ACK {p.fmt(m.zxid)}")
    if session.observer:
        raise RemoteProtocolError(f"ACK {p.fmt(m.zxid)} from observer {j}")
    if m.zxid > p.history.last_zxid:
        raise RemoteProtocolError(f"ACK for {p.fmt(m.zxid)}, which we never proposed")
    acks = ld.outstanding.get(m.zxid)
    if acks is not None:  # else already committed, or part of the initial history
        acks.add(j)
        try_to_commit(p)
    p.step("LeaderProcessACK", p.sid, j, msg=m)


def leader_own_ack(p: ZabPeer, zxid: int) -> None:
    """Our own log reached disk up to ``zxid``: count our ack."""
    ld = p.leader_state
    assert ld is not None
    ld.own_durable = max(ld.own_durable, zxid)
    if zxid in ld.outstanding:
        try_to_commit(p)
        p.step("LeaderProcessACK", p.sid, p.sid)


def try_to_commit(p: ZabPeer) -> None:
    ld = p.leader_state
    assert ld is not None
    while ld.outstanding:
        zxid, acks = next(iter(ld.outstanding.items()))
        voters = acks | {p.sid} if zxid <= ld.own_durable else acks
        if COMMIT_WITHOUT_QUORUM in p.mutations:
            if not voters:
                return
        elif not p.cluster.is_quorum(voters):
            return
        del ld.outstanding[zxid]
        txn = p.history.txn(zxid)
        p.deliver_upto(zxid)
        commit, inform = Commit(p.current_epoch, zxid), Inform(p.current_epoch, txn)
        for session in ld.learners.values():
            if session.synced:
                p.send(session.sid, inform if session.observer else commit)


def follower_process_proposal(p: ZabPeer, j: int, m: Proposal) -> None:
    last = p.history.last_zxid
    if not is_next_zxid(last, m.txn.zxid):
        raise RemoteProtocolError(f"proposal {p.fmt(m.txn.zxid)} does not follow {p.fmt(last)}")
    if ACK_BEFORE_FSYNC in p.mutations:
        p.log_txns([m.txn], ack=False)
        p.send(j, Ack(m.epoch, m.txn.zxid))
    else:
        p.log_txns([m.txn], ack=True)
    p.step("FollowerProcessPROPOSAL", p.sid, j, msg=m)


def follower_process_commit(p: ZabPeer, j: int, m: Commit) -> None:
    h = p.history
    if not (h.contains(m.zxid) and h.index(m.zxid) == h.index(p.committed) + 1):
        raise RemoteProtocolError(
            f"COMMIT {p.fmt(m.zxid)} is not the next after {p.fmt(p.committed)}"
        )
    p.deliver_upto(m.zxid)
    p.step("FollowerProcessCOMMIT", p.sid, j, msg=m)


def observer_process_inform(p: ZabPeer, j: int, m: Inform) -> None:
    last = p.history.last_zxid
    if not is_next_zxid(last, m.txn.zxid):
        raise RemoteProtocolError(f"INFORM {p.fmt(m.txn.zxid)} does not follow {p.fmt(last)}")
    p.log_txns([m.txn], ack=False)
    p.deliver_upto(m.txn.zxid)
    p.step("ObserverProcessINFORM", p.sid, j, msg=m)
