"""Discovery: FOLLOWERINFO, LEADERINFO, ACKEPOCH (ZooKeeper's ``Leader.lead`` up to
``waitForEpochAck``, and ``Learner.registerWithLeader``).

The new epoch is the largest acceptedEpoch among a quorum of joined voters, plus one; once a
quorum has sent ACKEPOCH the leader's currentEpoch becomes it (the epoch is established).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from impl.core import sync
from impl.core.effects import SetTimer
from impl.core.errors import RemoteProtocolError
from impl.core.events import Timer
from impl.core.messages import AckEpoch, FollowerInfo, LeaderInfo
from impl.core.roles import Phase, Role, Trigger
from impl.core.state import LeaderState, LearnerSession, LearnerState
from impl.core.switches import STALE_EPOCH

if TYPE_CHECKING:
    from impl.core.peer import ZabPeer


def lead(p: ZabPeer) -> None:
    """Just elected: wait for learners (ZooKeeper's ``Leader.lead``)."""
    p.leader_state = LeaderState(
        connecting={p.sid}, max_accepted_epoch=p.accepted_epoch, electing={p.sid}
    )
    p.out.append(SetTimer(Timer.TICK, p.tunables.tick_ms))
    early, p.early_info = p.early_info, {}
    for j in sorted(early):
        if j in p.connected:
            leader_process_followerinfo(p, j, early[j])
    if p.role == Role.LEADING:
        _fix_epoch_if_quorum(p)
        _establish_if_quorum(p)
        advance_sync(p)


def follow(p: ZabPeer, leader: int) -> None:
    """Just elected someone else: connect to the leader (ZooKeeper's ``Learner``)."""
    p.learner = LearnerState(leader=leader)
    p.out.append(SetTimer(Timer.TICK, p.tunables.tick_ms))
    if leader in p.connected:
        connect_and_send_followerinfo(p)


def connect_and_send_followerinfo(p: ZabPeer) -> None:
    learner = p.learner
    assert learner is not None
    learner.sent_info = True
    p.send(learner.leader, FollowerInfo(p.accepted_epoch))
    p.step("ConnectAndFollowerSendFOLLOWERINFO", learner.leader, p.sid)


def leader_process_followerinfo(p: ZabPeer, j: int, m: FollowerInfo) -> None:
    ld = p.leader_state
    assert ld is not None
    if j in ld.learners:
        raise RemoteProtocolError(f"a second FOLLOWERINFO from {j} in one session")
    observer = p.cluster.is_observer(j)
    stale_ok = STALE_EPOCH in p.mutations
    if ld.new_epoch is not None and m.accepted_epoch > ld.new_epoch and not (observer or stale_ok):
        p.give_up(
            f"voter {j} accepted epoch {m.accepted_epoch}, above ours ({ld.new_epoch}): "
            "electing again for a higher epoch",
            step=None,
        )
        p.step("LeaderProcessFOLLOWERINFO", p.sid, j, msg=m)
        return
    session = LearnerSession(j, observer, m.accepted_epoch)
    ld.learners[j] = session
    if ld.new_epoch is None:
        ld.max_accepted_epoch = max(ld.max_accepted_epoch, m.accepted_epoch)
        if not observer:
            ld.connecting.add(j)
        _fix_epoch_if_quorum(p)
    else:
        session.got_leaderinfo = True
        p.send(j, LeaderInfo(ld.new_epoch))
    p.step("LeaderProcessFOLLOWERINFO", p.sid, j, msg=m)


def _fix_epoch_if_quorum(p: ZabPeer) -> None:
    ld = p.leader_state
    assert ld is not None
    if ld.new_epoch is not None or not p.cluster.is_quorum(ld.connecting):
        return
    ld.new_epoch = ld.max_accepted_epoch + 1
    p.accepted_epoch = ld.new_epoch
    p.persist_epochs()
    p.note("info", f"proposing epoch {ld.new_epoch} to {sorted(ld.learners)}")
    for session in ld.learners.values():
        session.got_leaderinfo = True
        p.send(session.sid, LeaderInfo(ld.new_epoch))


def follower_process_leaderinfo(p: ZabPeer, j: int, m: LeaderInfo) -> None:
    learner = p.learner
    assert learner is not None
    if m.epoch < p.accepted_epoch and STALE_EPOCH not in p.mutations:
        p.give_up(
            f"leader {j} proposes epoch {m.epoch}, below our accepted epoch {p.accepted_epoch}",
            step=None,
        )
        p.step("FollowerProcessLEADERINFO", p.sid, j, msg=m)
        return
    already = m.epoch == p.accepted_epoch
    if not already:  # (with the stale-epoch switch the accepted epoch may go down)
        p.accepted_epoch = m.epoch
        p.persist_epochs()
    learner.epoch = m.epoch
    p.send(j, AckEpoch(p.current_epoch, p.history.last_zxid, already))
    p.enter(Trigger.EPOCH_ACCEPTED)
    p.step("FollowerProcessLEADERINFO", p.sid, j, msg=m)


def leader_process_ackepoch(p: ZabPeer, j: int, m: AckEpoch) -> None:
    ld = p.leader_state
    assert ld is not None
    session = ld.learners.get(j)
    if session is None or not session.got_leaderinfo or session.acked_epoch:
        raise RemoteProtocolError(f"ACKEPOCH from {j} out of turn")
    ours = (p.current_epoch, p.history.last_zxid)
    if not m.already_accepted and (m.current_epoch, m.last_zxid) > ours:
        p.give_up(
            f"learner {j} is ahead of us (epoch {m.current_epoch}, zxid {p.fmt(m.last_zxid)})",
            step=None,
        )
        p.step("LeaderProcessACKEPOCH", p.sid, j, msg=m)
        return
    session.acked_epoch = True
    session.peer_last_zxid = m.last_zxid
    if not m.already_accepted and not session.observer:
        ld.electing.add(j)
    _establish_if_quorum(p)
    p.step("LeaderProcessACKEPOCH", p.sid, j, msg=m)
    advance_sync(p)


def _establish_if_quorum(p: ZabPeer) -> None:
    ld = p.leader_state
    assert ld is not None
    if p.phase != Phase.DISCOVERY or ld.new_epoch is None:
        return
    if not p.cluster.is_quorum(ld.electing):
        return
    p.current_epoch = ld.new_epoch
    p.persist_epochs()
    p.enter(Trigger.EPOCH_ESTABLISHED)
    p.note("info", f"epoch {ld.new_epoch} established with {sorted(ld.electing)}")


def advance_sync(p: ZabPeer) -> None:
    """Once the epoch is established, sync every learner that acked it (in id order)."""
    ld = p.leader_state
    if p.role != Role.LEADING or ld is None or p.phase == Phase.DISCOVERY:
        return
    for sid in sorted(ld.learners):
        session = ld.learners[sid]
        if session.acked_epoch and not session.synced:
            sync.leader_sync_follower(p, sid)
    sync.newleader_quorum_check(p)
