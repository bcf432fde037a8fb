"""Fast Leader Election (ZooKeeper's ``FastLeaderElection.lookForLeader``).

A LOOKING server votes for itself, adopts any better vote it hears (higher epoch, then zxid,
then server id) and re-broadcasts it; once a quorum of voters agrees with its vote it waits
``finalize_wait_ms`` for a better one, then decides. Notifications from servers already
FOLLOWING or LEADING let a late joiner follow the leader they agree on. Servers that are not
LOOKING answer LOOKING senders with their current vote. Observers take part only to learn
the leader: their votes never count and never win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from impl.core.effects import CancelTimer, SetTimer
from impl.core.events import Timer
from impl.core.messages import Notification
from impl.core.roles import Role, Trigger

if TYPE_CHECKING:
    from impl.core.peer import ZabPeer


class Ballot(NamedTuple):
    """A vote as received: the proposal, the round it was cast in, and the sender's role."""

    leader: int
    zxid: int
    epoch: int
    round: int
    state: Role


@dataclass(slots=True)
class ElectionState:
    round: int = 0
    """ZooKeeper's logicalclock."""
    leader: int = 0
    zxid: int = 0
    epoch: int = 0
    received: dict[int, Ballot] = field(default_factory=dict)
    """Votes of this round (ZooKeeper's recvset)."""
    out_of_election: dict[int, Ballot] = field(default_factory=dict)
    """Votes of servers that already follow or lead (ZooKeeper's outofelection)."""
    waiting: bool = False
    """A quorum agrees with our vote; the final wait for a better one is running."""
    notify_ms: int = 0


def better(p: ZabPeer, leader: int, zxid: int, epoch: int) -> bool:
    """ZooKeeper's totalOrderPredicate: is (leader, zxid, epoch) better than our vote?"""
    e = p.election
    if not p.cluster.is_voter(leader):
        return False
    return (epoch, zxid, leader) > (e.epoch, e.zxid, e.leader)


def self_vote(p: ZabPeer) -> tuple[int, int, int]:
    if p.cluster.is_voter(p.sid):
        return (p.sid, p.history.last_zxid, p.current_epoch)
    return (0, 0, 0)  # an observer's vote loses to any voter's (ZooKeeper: Long.MIN_VALUE)


def notification(p: ZabPeer) -> Notification:
    e = p.election
    return Notification(e.leader, e.zxid, e.epoch, e.round, p.role)


def set_vote(p: ZabPeer, leader: int, zxid: int, epoch: int) -> None:
    e = p.election
    e.leader, e.zxid, e.epoch = leader, zxid, epoch
    if p.cluster.is_voter(p.sid):
        e.received[p.sid] = Ballot(leader, zxid, epoch, e.round, Role.LOOKING)


def broadcast_vote(p: ZabPeer) -> None:
    """Send our vote to every voter (ZooKeeper's sendNotifications): observers learn votes
    only as answers to their own notifications."""
    n = notification(p)
    for peer in p.cluster.voters:
        if peer != p.sid and peer in p.connected:
            p.send(peer, n)


def start(p: ZabPeer) -> None:
    """Enter a new round voting for ourselves (the start of ``lookForLeader``)."""
    e = p.election
    e.round += 1
    p.early_info.clear()  # FOLLOWERINFOs sent to us in an earlier round are stale
    e.received.clear()
    e.out_of_election.clear()
    e.waiting = False
    e.notify_ms = p.tunables.notify_ms
    set_vote(p, *self_vote(p))
    broadcast_vote(p)
    p.out.append(SetTimer(Timer.NOTIFY, e.notify_ms))


def fle_notmsg_timeout(p: ZabPeer) -> None:
    """No notification for a while: send our vote again, and wait twice as long next time."""
    e = p.election
    broadcast_vote(p)
    e.notify_ms = min(2 * e.notify_ms, p.tunables.notify_max_ms)
    p.out.append(SetTimer(Timer.NOTIFY, e.notify_ms))
    p.step("FLENotmsgTimeout", p.sid)


def fle_receive_notmsg(p: ZabPeer, j: int, n: Notification) -> None:
    """Take j's notification off the wire (ZooKeeper's ``WorkerReceiver``)."""
    e = p.election
    lookup = p.role == Role.LOOKING
    voter = p.cluster.is_voter(j)
    if (not lookup and n.state == Role.LOOKING) or (lookup and not voter):
        p.send(j, notification(p))  # a late joiner learns our vote; a non-voter learns ours
    elif lookup and n.state == Role.LOOKING and n.round < e.round:
        p.send(j, notification(p))
    p.step("FLEReceiveNotmsg", p.sid, j, msg=n)
    if not lookup or not voter:
        return
    p.out.append(SetTimer(Timer.NOTIFY, e.notify_ms))
    if e.waiting:
        fle_wait_new_notmsg(p, j, n)
    else:
        fle_handle_notmsg(p, j, n)


def fle_handle_notmsg(p: ZabPeer, j: int, n: Notification) -> None:
    e = p.election
    ballot = Ballot(n.leader, n.zxid, n.epoch, n.round, n.state)
    if n.state == Role.LOOKING:
        if n.round > e.round:
            e.round = n.round
            e.received.clear()
            if _beats_self(p, n):
                set_vote(p, n.leader, n.zxid, n.epoch)
            else:
                set_vote(p, *self_vote(p))
            broadcast_vote(p)
        elif n.round < e.round:
            p.step("FLEHandleNotmsg", p.sid)
            return
        elif better(p, n.leader, n.zxid, n.epoch):
            set_vote(p, n.leader, n.zxid, n.epoch)
            broadcast_vote(p)
        e.received[j] = ballot
        if _agreeing(p, e.received, e.leader, e.zxid, e.epoch, e.round):
            e.waiting = True
            p.out.append(SetTimer(Timer.FINALIZE, p.tunables.finalize_wait_ms))
        p.step("FLEHandleNotmsg", p.sid)
        return
    # j already follows or leads.
    decided = False
    if n.round == e.round:
        e.received[j] = ballot
        if _agreeing(p, e.received, n.leader, n.zxid, n.epoch, n.round) and _check_leader(
            p, e.received, n.leader, n.round
        ):
            decided = True
    if not decided:
        e.out_of_election[j] = ballot
        if _established(p, e.out_of_election, n.leader, n.epoch) and _check_leader(
            p, e.out_of_election, n.leader, n.round
        ):
            e.round = n.round
            decided = True
    if decided:
        set_vote(p, n.leader, n.zxid, n.epoch)
        _decide(p, "FLEHandleNotmsg")
    else:
        p.step("FLEHandleNotmsg", p.sid)


def fle_wait_new_notmsg(p: ZabPeer, j: int, n: Notification) -> None:
    """During the final wait: a better vote reopens the election, any other is dropped."""
    e = p.election
    if better(p, n.leader, n.zxid, n.epoch):
        e.waiting = False
        p.out.append(CancelTimer(Timer.FINALIZE))
        p.step("FLEWaitNewNotmsg", p.sid)
        fle_handle_notmsg(p, j, n)
    else:
        p.step("FLEWaitNewNotmsg", p.sid)


def finalize(p: ZabPeer) -> None:
    """The final wait ended with no better vote: decide."""
    if p.role == Role.LOOKING and p.election.waiting:
        _decide(p, "FLEWaitNewNotmsg")


def _beats_self(p: ZabPeer, n: Notification) -> bool:
    """In a new round the comparison is against our own vote, not our previous proposal."""
    leader, zxid, epoch = self_vote(p)
    return p.cluster.is_voter(n.leader) and (n.epoch, n.zxid, n.leader) > (epoch, zxid, leader)


def _agreeing(
    p: ZabPeer, votes: dict[int, Ballot], leader: int, zxid: int, epoch: int, round_: int
) -> bool:
    return p.cluster.is_quorum(
        s
        for s, b in votes.items()
        if (b.leader, b.zxid, b.epoch, b.round) == (leader, zxid, epoch, round_)
    )


def _established(p: ZabPeer, votes: dict[int, Ballot], leader: int, epoch: int) -> bool:
    """Votes of servers out of the election match on leader and epoch only."""
    return p.cluster.is_quorum(
        s for s, b in votes.items() if (b.leader, b.epoch) == (leader, epoch)
    )


def _check_leader(p: ZabPeer, votes: dict[int, Ballot], leader: int, round_: int) -> bool:
    """The proposed leader must itself say it leads (or be us, in the current round)."""
    if leader == p.sid:
        return p.election.round == round_
    ballot = votes.get(leader)
    return ballot is not None and ballot.state == Role.LEADING


def _decide(p: ZabPeer, step: str) -> None:
    e = p.election
    e.waiting = False
    p.out.append(CancelTimer(Timer.NOTIFY))
    p.out.append(CancelTimer(Timer.FINALIZE))
    if e.leader == p.sid:
        trigger = Trigger.ELECTED_LEADER
    elif p.cluster.is_observer(p.sid):
        trigger = Trigger.ELECTED_OBSERVER
    else:
        trigger = Trigger.ELECTED_FOLLOWER
    p.note(
        "info",
        f"election round {e.round} decided: leader {e.leader} "
        f"(epoch {e.epoch}, zxid {p.fmt(e.zxid)}), this server {trigger.name.split('_')[1]}",
    )
    p.enter(trigger)
    p.step(step, p.sid)
    p.after_election()
