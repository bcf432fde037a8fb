"""Discovery: FOLLOWERINFO, LEADERINFO, ACKEPOCH (ZooKeeper's ``Leader.lead`` up to
``waitForEpochAck``, and ``Learner.registerWithLeader``).

The new epoch is the largest acceptedEpoch among a quorum of joined voters, plus one; once a
quorum has sent ACKEPOCH the leader's currentEpoch becomes it (the epoch is established). A
learner refuses a LEADERINFO whose epoch is below its acceptedEpoch and goes back to election
(``registerWithLeader``: "Leaders epoch, ... is less than accepted epoch").
"""

from __future__ import annotations

from impl.core import election, sync
from impl.core.context import Context
from impl.core.effects import SetTimer
from impl.core.errors import RemoteProtocolError
from impl.core.events import Timer
from impl.core.messages import AckEpoch, FollowerInfo, LeaderInfo, Ping
from impl.core.roles import Phase, Role, Trigger
from impl.core.state import LeaderState, LearnerSession, LearnerState
from impl.core.switches import STALE_EPOCH


def lead(c: Context) -> None:
    """Entry to LEADING: wait for learners (ZooKeeper's ``Leader.lead``)."""
    c.leader_state = LeaderState(
        connecting={c.sid}, max_accepted_epoch=c.accepted_epoch, electing={c.sid}
    )
    c.emit(SetTimer(Timer.TICK, c.tunables.tick_ms))
    # A learner that chose us while we were still LOOKING sent its FOLLOWERINFO early, over
    # the election's connection. ZooKeeper's learner cannot connect before its leader leads
    # (the quorum port is not open yet): it retries, so one that crashed or gave up in the
    # meantime never registers. We ping each such learner and take its FOLLOWERINFO when it
    # answers (take_early_followerinfo): the answer stands for its retried connection. A
    # learner that left resets the connection, which drops its FOLLOWERINFO (liveness).
    for j in sorted(c.early_info):
        if j in c.connected:
            c.send(j, Ping(0))
        else:
            del c.early_info[j]
    if c.role == Role.LEADING:
        _fix_epoch_if_quorum(c)
        _establish_if_quorum(c)
        advance_sync(c)


def follow(c: Context) -> None:
    """Entry to FOLLOWING or OBSERVING: connect to the leader elected (ZooKeeper's
    ``Learner``)."""
    leader = c.election.leader
    c.early_info.clear()
    c.learner = LearnerState(leader=leader)
    c.emit(SetTimer(Timer.TICK, c.tunables.tick_ms))
    if leader in c.connected:
        connect_and_send_followerinfo(c)


def connect_and_send_followerinfo(c: Context) -> None:
    learner = c.learner
    assert learner is not None
    learner.sent_info = True
    c.send(learner.leader, FollowerInfo(c.accepted_epoch))
    c.step("ConnectAndFollowerSendFOLLOWERINFO", learner.leader, c.sid)


def take_early_followerinfo(c: Context, j: int) -> None:
    """j, whose FOLLOWERINFO came before we led, answered our ping: it still follows us, and
    its FOLLOWERINFO is taken now (see :func:`lead`)."""
    early = c.early_info.pop(j, None)
    if early is not None and c.leader_state is not None and j not in c.leader_state.learners:
        leader_process_followerinfo(c, j, early)


def leader_process_followerinfo(c: Context, j: int, m: FollowerInfo) -> None:
    ld = c.leader_state
    assert ld is not None
    if j in ld.learners:
        raise RemoteProtocolError(f"a second FOLLOWERINFO from {j} in one session")
    observer = c.cluster.is_observer(j)
    session = LearnerSession(j, observer, m.accepted_epoch)
    ld.learners[j] = session
    if ld.new_epoch is None:
        ld.max_accepted_epoch = max(ld.max_accepted_epoch, m.accepted_epoch)
        if not observer:
            ld.connecting.add(j)
        _fix_epoch_if_quorum(c)
    else:
        # The epoch is fixed: a late joiner gets it even if it accepted a higher one
        # (ZooKeeper's getEpochToPropose once it stops waiting for the new epoch); such a
        # joiner refuses the LEADERINFO (follower_process_leaderinfo), the leader goes on.
        session.got_leaderinfo = True
        c.send(j, LeaderInfo(ld.new_epoch))
    c.step("LeaderProcessFOLLOWERINFO", c.sid, j, msg=m)


def _fix_epoch_if_quorum(c: Context) -> None:
    ld = c.leader_state
    assert ld is not None
    if ld.new_epoch is not None or not c.cluster.is_quorum(ld.connecting):
        return
    ld.new_epoch = ld.max_accepted_epoch + 1
    c.accepted_epoch = ld.new_epoch
    c.persist_epochs()
    c.note("info", f"proposing epoch {ld.new_epoch} to {sorted(ld.learners)}")
    for session in ld.learners.values():
        session.got_leaderinfo = True
        c.send(session.sid, LeaderInfo(ld.new_epoch))


def follower_process_leaderinfo(c: Context, j: int, m: LeaderInfo) -> None:
    learner = c.learner
    assert learner is not None
    if m.epoch < c.accepted_epoch and not c.switches.on(STALE_EPOCH):
        election.give_up(
            c,
            f"leader {j} proposes epoch {m.epoch}, below our accepted epoch {c.accepted_epoch}",
            step=None,
        )
        c.step("FollowerProcessLEADERINFO", c.sid, j, msg=m)
        return
    already = m.epoch == c.accepted_epoch
    if not already:  # (with the stale-epoch switch the accepted epoch may go down)
        c.accepted_epoch = m.epoch
        c.persist_epochs()
    learner.epoch = m.epoch
    c.send(j, AckEpoch(c.current_epoch, election.processed_zxid(c), already))
    c.enter(Trigger.EPOCH_ACCEPTED)
    c.step("FollowerProcessLEADERINFO", c.sid, j, msg=m)


def leader_process_ackepoch(c: Context, j: int, m: AckEpoch) -> None:
    ld = c.leader_state
    assert ld is not None
    session = ld.learners.get(j)
    if session is None or not session.got_leaderinfo or session.acked_epoch:
        raise RemoteProtocolError(f"ACKEPOCH from {j} out of turn")
    ours = (c.current_epoch, c.history.last_zxid)
    if not m.already_accepted and (m.current_epoch, m.last_zxid) > ours:
        election.give_up(
            c,
            f"learner {j} is ahead of us (epoch {m.current_epoch}, zxid {c.fmt(m.last_zxid)})",
            step=None,
        )
        c.step("LeaderProcessACKEPOCH", c.sid, j, msg=m)
        return
    session.acked_epoch = True
    session.peer_last_zxid = m.last_zxid
    if not m.already_accepted and not session.observer:
        ld.electing.add(j)
    _establish_if_quorum(c)
    c.step("LeaderProcessACKEPOCH", c.sid, j, msg=m)
    advance_sync(c)


def _establish_if_quorum(c: Context) -> None:
    ld = c.leader_state
    assert ld is not None
    if c.phase != Phase.DISCOVERY or ld.new_epoch is None:
        return
    if not c.cluster.is_quorum(ld.electing):
        return
    c.current_epoch = ld.new_epoch
    c.persist_epochs()
    c.enter(Trigger.EPOCH_ESTABLISHED)
    c.note("info", f"epoch {ld.new_epoch} established with {sorted(ld.electing)}")


def advance_sync(c: Context) -> None:
    """Once the epoch is established, sync every learner that acked it (in id order)."""
    ld = c.leader_state
    if c.role != Role.LEADING or ld is None or c.phase == Phase.DISCOVERY:
        return
    for sid in sorted(ld.learners):
        session = ld.learners[sid]
        if session.acked_epoch and not session.synced:
            sync.leader_sync_follower(c, sid)
    sync.newleader_quorum_check(c)
