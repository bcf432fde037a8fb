"""Fast Leader Election (ZooKeeper's ``FastLeaderElection.lookForLeader``).

A LOOKING server votes for itself, adopts any better vote it hears (higher epoch, then zxid,
then server id) and re-broadcasts it; once a quorum of voters agrees with its vote it waits
``finalize_wait_ms`` for a better one, then decides. Notifications from servers already
FOLLOWING or LEADING let a late joiner follow the leader they agree on. Servers that are not
LOOKING answer LOOKING senders with their current vote. Observers take part only to learn
the leader: their votes never count and never win.
"""

from __future__ import annotations

from impl.core.context import Context
from impl.core.effects import CancelTimer, SetTimer, WriteResult
from impl.core.events import Timer
from impl.core.messages import Notification
from impl.core.roles import Role, Trigger
from impl.core.state import Ballot
from impl.core.switches import ZK_2845


def better(c: Context, leader: int, zxid: int, epoch: int) -> bool:
    """ZooKeeper's totalOrderPredicate: is (leader, zxid, epoch) better than our vote?"""
    e = c.election
    if not c.cluster.is_voter(leader):
        return False
    return (epoch, zxid, leader) > (e.epoch, e.zxid, e.leader)


def self_vote(c: Context) -> tuple[int, int, int]:
    if c.cluster.is_voter(c.sid):
        return (c.sid, processed_zxid(c), c.current_epoch)
    return (0, 0, 0)  # an observer's vote loses to any voter's (ZooKeeper: Long.MIN_VALUE)


def processed_zxid(c: Context) -> int:
    """The last zxid our database holds: the log's last (the database is reloaded from disk
    after an election), or, with the ZK-2845 switch, the last applied one of a database kept
    across the election."""
    if c.kept_database and c.switches.on(ZK_2845):
        return c.committed
    return c.history.last_zxid


def notification(c: Context) -> Notification:
    e = c.election
    return Notification(e.leader, e.zxid, e.epoch, e.round, c.role)


def set_vote(c: Context, leader: int, zxid: int, epoch: int) -> None:
    e = c.election
    e.leader, e.zxid, e.epoch = leader, zxid, epoch
    if c.cluster.is_voter(c.sid):
        e.received[c.sid] = Ballot(leader, zxid, epoch, e.round, Role.LOOKING)


def broadcast_vote(c: Context) -> None:
    """Send our vote to every voter (ZooKeeper's sendNotifications): observers learn votes
    only as answers to their own notifications."""
    n = notification(c)
    for peer in c.cluster.voters:
        if peer != c.sid and peer in c.connected:
            c.send(peer, n)


def start(c: Context) -> None:
    """Enter a new round voting for ourselves (the start of ``lookForLeader``)."""
    e = c.election
    e.round += 1
    c.early_info.clear()  # FOLLOWERINFOs sent to us in an earlier round are stale
    e.received.clear()
    e.out_of_election.clear()
    e.waiting = False
    e.notify_ms = c.tunables.notify_ms
    set_vote(c, *self_vote(c))
    broadcast_vote(c)
    c.emit(SetTimer(Timer.NOTIFY, e.notify_ms))


def give_up(c: Context, reason: str, *, step: str | None = "ZabTimeout") -> None:
    """Leave the leader or the quorum: back to LOOKING and a new election round. ``step`` is
    the step recorded for it, if the caller does not record its own."""
    if c.role == Role.LOOKING:
        return
    c.note("warning", f"{c.role.name} gives up: {reason}")
    if c.leader_state is not None:
        # Every connection, not only those of the learners whose FOLLOWERINFO we took: a
        # FOLLOWERINFO still in flight belongs to this term, and must not reach our next
        # one over a connection that outlived it. ZooKeeper's Leader.shutdown closes every
        # learner connection it accepted (a LearnerHandler registers before it reads the
        # FOLLOWERINFO); here the election shares the connection, and FLE survives a reset.
        for j in sorted(c.connected):
            c.disconnect(j)
    if c.learner is not None:
        c.disconnect(c.learner.leader)
    for request_id in sorted(c.pending_writes):
        c.emit(WriteResult(request_id, None, error="leader-lost"))
    c.pending_writes.clear()
    c.leader_state = None
    c.learner = None
    c.awaiting_sync.clear()
    c.emit(CancelTimer(Timer.TICK))
    c.enter(Trigger.GIVE_UP)
    c.kept_database = True
    start(c)
    if step is not None:
        c.step(step, c.sid)


def fle_notmsg_timeout(c: Context) -> None:
    """No notification for a while: send our vote again, and wait twice as long next time."""
    e = c.election
    broadcast_vote(c)
    e.notify_ms = min(2 * e.notify_ms, c.tunables.notify_max_ms)
    c.emit(SetTimer(Timer.NOTIFY, e.notify_ms))
    c.step("FLENotmsgTimeout", c.sid)


def fle_receive_notmsg(c: Context, j: int, n: Notification) -> None:
    """Take j's notification off the wire (ZooKeeper's ``WorkerReceiver``)."""
    e = c.election
    lookup = c.role == Role.LOOKING
    voter = c.cluster.is_voter(j)
    if (not lookup and n.state == Role.LOOKING) or (lookup and not voter):
        c.send(j, notification(c))  # a late joiner learns our vote; a non-voter learns ours
    elif lookup and n.state == Role.LOOKING and n.round < e.round:
        c.send(j, notification(c))
    c.step("FLEReceiveNotmsg", c.sid, j, msg=n)
    if not lookup or not voter:
        return
    c.emit(SetTimer(Timer.NOTIFY, e.notify_ms))
    if e.waiting:
        fle_wait_new_notmsg(c, j, n)
    else:
        fle_handle_notmsg(c, j, n)


def fle_handle_notmsg(c: Context, j: int, n: Notification) -> None:
    e = c.election
    ballot = Ballot(n.leader, n.zxid, n.epoch, n.round, n.state)
    if n.state == Role.LOOKING:
        if n.round > e.round:
            e.round = n.round
            e.received.clear()
            if _beats_self(c, n):
                set_vote(c, n.leader, n.zxid, n.epoch)
            else:
                set_vote(c, *self_vote(c))
            broadcast_vote(c)
        elif n.round < e.round:
            c.step("FLEHandleNotmsg", c.sid)
            return
        elif better(c, n.leader, n.zxid, n.epoch):
            set_vote(c, n.leader, n.zxid, n.epoch)
            broadcast_vote(c)
        e.received[j] = ballot
        if _agreeing(c, e.received, e.leader, e.zxid, e.epoch, e.round):
            e.waiting = True
            c.emit(SetTimer(Timer.FINALIZE, c.tunables.finalize_wait_ms))
        c.step("FLEHandleNotmsg", c.sid)
        return
    # j already follows or leads.
    decided = False
    if n.round == e.round:
        e.received[j] = ballot
        if _agreeing(c, e.received, n.leader, n.zxid, n.epoch, n.round) and _check_leader(
            c, e.received, n.leader, n.round
        ):
            decided = True
    if not decided:
        e.out_of_election[j] = ballot
        if _established(c, e.out_of_election, n.leader, n.epoch) and _check_leader(
            c, e.out_of_election, n.leader, n.round
        ):
            e.round = n.round
            decided = True
    if decided:
        set_vote(c, n.leader, n.zxid, n.epoch)
        _decide(c, "FLEHandleNotmsg")
    else:
        c.step("FLEHandleNotmsg", c.sid)


def fle_wait_new_notmsg(c: Context, j: int, n: Notification) -> None:
    """During the final wait: a better vote reopens the election, any other is dropped."""
    e = c.election
    if better(c, n.leader, n.zxid, n.epoch):
        e.waiting = False
        c.emit(CancelTimer(Timer.FINALIZE))
        c.step("FLEWaitNewNotmsg", c.sid)
        fle_handle_notmsg(c, j, n)
    else:
        c.step("FLEWaitNewNotmsg", c.sid)


def finalize(c: Context) -> None:
    """The final wait ended with no better vote: decide."""
    if c.role == Role.LOOKING and c.election.waiting:
        _decide(c, "FLEWaitNewNotmsg")


def _beats_self(c: Context, n: Notification) -> bool:
    """In a new round the comparison is against our own vote, not our previous proposal."""
    leader, zxid, epoch = self_vote(c)
    return c.cluster.is_voter(n.leader) and (n.epoch, n.zxid, n.leader) > (epoch, zxid, leader)


def _agreeing(
    c: Context, votes: dict[int, Ballot], leader: int, zxid: int, epoch: int, round_: int
) -> bool:
    return c.cluster.is_quorum(
        s
        for s, b in votes.items()
        if (b.leader, b.zxid, b.epoch, b.round) == (leader, zxid, epoch, round_)
    )


def _established(c: Context, votes: dict[int, Ballot], leader: int, epoch: int) -> bool:
    """Votes of servers out of the election match on leader and epoch only."""
    return c.cluster.is_quorum(
        s for s, b in votes.items() if (b.leader, b.epoch) == (leader, epoch)
    )


def _check_leader(c: Context, votes: dict[int, Ballot], leader: int, round_: int) -> bool:
    """The proposed leader must itself say it leads (or be us, in the current round)."""
    if leader == c.sid:
        return c.election.round == round_
    ballot = votes.get(leader)
    return ballot is not None and ballot.state == Role.LEADING


def _decide(c: Context, step: str) -> None:
    e = c.election
    e.waiting = False
    c.emit(CancelTimer(Timer.NOTIFY))
    c.emit(CancelTimer(Timer.FINALIZE))
    if e.leader == c.sid:
        trigger = Trigger.ELECTED_LEADER
    elif c.cluster.is_observer(c.sid):
        trigger = Trigger.ELECTED_OBSERVER
    else:
        trigger = Trigger.ELECTED_FOLLOWER
    c.note(
        "info",
        f"election round {e.round} decided: leader {e.leader} "
        f"(epoch {e.epoch}, zxid {c.fmt(e.zxid)}), this server {trigger.name.split('_')[1]}",
    )
    c.enter(trigger)  # the peer then runs the new phase's entry: lead, or follow
    c.step(step, c.sid)
