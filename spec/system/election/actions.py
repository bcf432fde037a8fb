"""The four steps of Fast Leader Election (FastLeaderElection.tla, via ZkV3_7_0.tla).

``FLEReceiveNotmsg`` is the WorkerReceiver thread, ``FLEHandleNotmsg`` and
``FLEWaitNewNotmsg`` the main loop of ``lookForLeader``, ``FLENotmsgTimeout`` its
poll timing out. Observers take part as ZooKeeper lets them: they send their
notification to the voters, who answer with their current vote and never count it.

Where this differs from FastLeaderElection.tla, it follows ZooKeeper 3.7:

* votes of decided servers are compared by leader and epoch only (``Vote.equals``,
  ZOOKEEPER-1732), and recvset entries are overwritten, not merged by round;
* a server does not follow a lone LEADING notification (the tla's third exit is the
  Oracle of two-voter ensembles, off by default);
* a voter answers an observer's notification only while the observer is LOOKING
  (ZooKeeper answers every one, which lets a LOOKING voter and an OBSERVING observer
  reply to each other forever);
* the poll only times out when the server is not already in its final wait, where
  deciding needs no timeout.

With ``Params.tla_election`` (replaying ZkV3_7_0.tla's traces) it follows the TLA+ instead
where the two differ: the final wait times out like any poll, a lone LEADING notification
of the server's round is followed, a server's own vote is not counted with a decided
notification, and crashes and partitions leave the election alone. The one list of these
differences, with ZooKeeper's side of each, is :mod:`spec.system.tla_oracle`'s docstring.
"""

from __future__ import annotations

from spec.system import channels as net
from spec.system.constants import FOLLOWING, LEADING, LOOKING, NULL
from spec.system.election.votes import (
    beats,
    empty_votes,
    notification,
    received_vote,
    self_vote,
    vote_key,
    vote_of,
    vote_set,
)
from spec.system.ghost import ELECTION_UNSOUND, breach
from spec.system.params import Params
from spec.system.role_changes import send_own_notification, turn_to_leading, turn_to_learning
from spec.system.state import TIMEOUT_SIGNAL, Election, ReceivedVote, SystemState, Vote, put


def fle_receive_notmsg(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FLEReceiveNotmsg(i, j)``: i takes j's notification off the wire.

    A LOOKING i queues it, and answers a LOOKING sender of an older round with its
    own vote. A decided i answers a LOOKING sender with its vote and state, which is
    how a late joiner learns the established leader.
    """
    if p.coarse_election:
        return None
    srv = s.servers[i]
    if not srv.online:
        return None
    n = net.notification_head(s.network, p.n, i, j)
    if n is None:
        return None
    network = net.take_notification(s.network, p.n, i, j)
    answer = False
    el = s.elections[i]
    if p.is_voter(i) and not p.is_voter(j):
        # An observer's notification is never counted; it gets the current vote back.
        answer = n.state == LOOKING
    elif srv.state == LOOKING:
        queue = (*filter(None, el.queue), n)  # RemoveNone: a pending timeout is dropped
        el = el._replace(queue=queue)
        answer = n.state == LOOKING and n.round < el.round
    else:
        answer = n.state == LOOKING
    if answer:
        note = notification(p, srv, el, i)
        network = net.notify(network, p.n, i, 1 << j, note, cuts=not p.tla_election)
    if el is s.elections[i]:
        return s._replace(network=network)
    return s._replace(elections=put(s.elections, i, el), network=network)


def fle_notmsg_timeout(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``FLENotmsgTimeout(i)``: LOOKING i has nothing to read; its poll times out."""
    if p.coarse_election:
        return None
    srv = s.servers[i]
    el = s.elections[i]
    if not (srv.online and srv.state == LOOKING and not el.queue):
        return None
    if el.waiting and not p.tla_election:
        return None
    if s.recorder.timeouts >= p.max_timeouts:
        return None
    if not p.zookeeper_timing and not net.no_notification_for(s.network, p.n, i):
        return None
    return s._replace(
        elections=put(s.elections, i, el._replace(queue=(TIMEOUT_SIGNAL,))),
        recorder=s.recorder._replace(timeouts=s.recorder.timeouts + 1),
    )


def fle_handle_notmsg(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``FLEHandleNotmsg(i)``: LOOKING i processes the head of its receive queue.

    1. A timeout: send the vote again.
    2. A LOOKING notification of a later round: join that round, vote for the better
       of the sender's vote and itself, send it. Of the same round: adopt a better
       vote and send it. Either way record the vote; if a quorum agrees with i's
       vote, wait for a better one (FLEWaitNewNotmsg). Of an older round: drop it.
    3. A FOLLOWING or LEADING notification: follow its leader if a quorum of this
       round (recvset) or of any round (outofelection) agrees and the leader is
       confirmed (``checkLeader``).
    """
    if p.coarse_election:
        return None
    srv = s.servers[i]
    el = s.elections[i]
    if not (srv.online and srv.state == LOOKING and not el.waiting and el.queue):
        return None
    n, rest = el.queue[0], el.queue[1:]
    if not n:  # 1. a timeout signal
        s = s._replace(elections=put(s.elections, i, el._replace(queue=rest)))
        return send_own_notification(s, p, i)
    if n.state == LOOKING:  # 2.
        if n.round < el.round:
            return s._replace(elections=put(s.elections, i, el._replace(queue=rest)))
        vote, round_, received = el.vote, el.round, el.received
        if n.round > el.round:
            round_ = n.round
            received = empty_votes(p.n)
            mine = self_vote(p, srv, i)
            vote = vote_of(n) if beats(p, vote_of(n), mine) else mine
            changed = True
        else:
            changed = beats(p, vote_of(n), vote)
            if changed:
                vote = vote_of(n)
        received = put(received, n.source, received_vote(n))
        me = 1 << i if p.is_voter(i) else 0
        waiting = p.is_quorum(vote_set(p, received, vote, round_, LOOKING, me))
        el = Election(vote, round_, received, el.out_of_election, rest, waiting)
        s = s._replace(elections=put(s.elections, i, el))
        return send_own_notification(s, p, i) if changed else s
    if n.state in (FOLLOWING, LEADING):  # 3.
        return _received_decided_notification(s, p, i, el._replace(queue=rest), n)
    return s._replace(elections=put(s.elections, i, el._replace(queue=rest)))


def _check_leader(
    i: int, votes: tuple[ReceivedVote, ...], leader: int, round_: int, mine: int
) -> bool:
    """``checkLeader``: i leads only for its own round; another leader must say it is LEADING."""
    if leader == i:
        return round_ == mine
    return leader != NULL and votes[leader].leader != NULL and votes[leader].state == LEADING


def _received_decided_notification(
    s: SystemState, p: Params, i: int, el: Election, n
) -> SystemState:
    """``receivedFollowingNotification``: join an ensemble that a quorum already follows."""
    vote = vote_of(n)
    entry = received_vote(n)
    if n.round == el.round:
        received = put(el.received, n.source, entry)
        el = el._replace(received=received)
        # i's own vote is in ZooKeeper's recvset too (it notifies itself), LOOKING, so it
        # counts when it is the same vote in the same round (Vote.equals); the tla's
        # servers never notify themselves.
        me = 1 << i if p.is_voter(i) and vote == el.vote and not p.tla_election else 0
        quorum = vote_set(p, received, vote, n.round, n.state, 1 << n.source | me)
        if p.is_quorum(quorum) and _check_leader(i, received, n.leader, n.round, el.round):
            return decide(s, p, i, el._replace(vote=vote), quorum, received)
    ooe = put(el.out_of_election, n.source, entry)
    el = el._replace(out_of_election=ooe)
    quorum = vote_set(p, ooe, vote, n.round, n.state, 1 << n.source)
    if p.is_quorum(quorum) and _check_leader(i, ooe, n.leader, n.round, el.round):
        return decide(s, p, i, el._replace(vote=vote, round=n.round), quorum, ooe)
    if p.tla_election and n.state == LEADING and n.round == el.round:
        # FastLeaderElection.tla's third exit: no quorum decided, so there is none to check.
        return _leave(s._replace(elections=put(s.elections, i, el._replace(vote=vote))), p, i)
    return s._replace(elections=put(s.elections, i, el))


def fle_wait_new_notmsg(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``FLEWaitNewNotmsg(i)``: i's quorum agrees; its final wait ends.

    A better vote at the head of the queue sends i back to the main loop (the
    notification goes back to the queue); a worse one is dropped. With nothing (or
    a timeout) to read, i decides: LEADING if it voted for itself, else FOLLOWING
    (OBSERVING for an observer).
    """
    if p.coarse_election:
        return None
    srv = s.servers[i]
    el = s.elections[i]
    if not (srv.online and srv.state == LOOKING and el.waiting):
        return None
    if el.queue and el.queue[0]:
        n = el.queue[0]
        if beats(p, vote_of(n), el.vote):
            el = el._replace(waiting=False, queue=(*el.queue[1:], n))
        else:
            el = el._replace(queue=el.queue[1:])
        return s._replace(elections=put(s.elections, i, el))
    me = 1 << i if p.is_voter(i) else 0
    quorum = vote_set(p, el.received, el.vote, el.round, LOOKING, me)
    return decide(s, p, i, el, quorum, el.received)


def decide(
    s: SystemState, p: Params, i: int, el: Election, quorum: int, votes: tuple[ReceivedVote, ...]
) -> SystemState:
    """i leaves the election for ``el.vote.leader`` on the strength of ``quorum``.

    The election property is checked here: the quorum is one, and the chosen
    leader's (epoch, zxid, id) is at least the own vote of every member that voted
    while LOOKING (i's own vote included).
    """
    s = s._replace(elections=put(s.elections, i, el))
    return _leave(_check_election(s, p, i, el.vote, quorum, votes), p, i)


def _leave(s: SystemState, p: Params, i: int) -> SystemState:
    """i leaves the election for the leader of its vote: LEADING if itself, else learning."""
    if s.elections[i].vote.leader == i:
        return turn_to_leading(s, p, i)
    return turn_to_learning(s, p, i)


def _check_election(
    s: SystemState, p: Params, i: int, vote: Vote, quorum: int, votes: tuple[ReceivedVote, ...]
) -> SystemState:
    if not p.is_quorum(quorum):
        return breach(s, ELECTION_UNSOUND, i, vote.leader)
    winner = vote_key(vote)
    for k in range(p.voters):
        if not quorum >> k & 1:
            continue
        if k == i:
            own = vote_key(self_vote(p, s.servers[i], i))
        elif votes[k].state == LOOKING:
            own = (votes[k].own_epoch, votes[k].own_zxid, k)
        else:
            continue
        if own > winner:
            return breach(s, ELECTION_UNSOUND, i, k)
    return s
