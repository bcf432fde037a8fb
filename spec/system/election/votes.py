"""Votes and the order Fast Leader Election puts on them (Vote.java, FastLeaderElection.java).

A vote is (proposed leader, proposed zxid, proposed epoch). One vote beats another
when it is higher by epoch, then zxid, then server id (``totalOrderPredicate``); a
vote for a server that does not vote (an observer, or nobody) never wins.
"""

from __future__ import annotations

from spec.system.constants import LOOKING, NULL
from spec.system.params import Params
from spec.system.state import (
    NO_VOTE,
    Election,
    Notification,
    ReceivedVote,
    Server,
    Vote,
    last_zxid,
)

#: An observer's own vote: nobody (ZooKeeper proposes Long.MIN_VALUE), beaten by any other.
NOBODY = Vote(NULL, 0, 0)


def processed_zxid(srv: Server) -> int:
    """The zxid of the last transaction applied to the data tree (``getLastLoggedZxid``)."""
    return last_zxid(srv.history, srv.last_processed)


def self_vote(p: Params, srv: Server, i: int) -> Vote:
    """The vote a server starts a round with: itself, its last zxid, its currentEpoch."""
    if not p.is_voter(i):
        return NOBODY
    return Vote(i, processed_zxid(srv), srv.current_epoch)


def own_vote_key(p: Params, srv: Server, i: int) -> tuple[int, int, int]:
    """``vote_key(self_vote(p, srv, i))``, without building the vote: what the coarse
    election compares of a voter's own vote."""
    if not p.is_voter(i):
        return (NOBODY.epoch, NOBODY.zxid, NOBODY.leader)
    return (srv.current_epoch, processed_zxid(srv), i)


def beats(p: Params, new: Vote, current: Vote) -> bool:
    """``totalOrderPredicate``: ``new`` is higher by (epoch, zxid, id) and is for a voter."""
    if not 0 <= new.leader < p.voters:
        return False
    return (new.epoch, new.zxid, new.leader) > (current.epoch, current.zxid, current.leader)


def vote_key(v: Vote) -> tuple[int, int, int]:
    """The (epoch, zxid, id) a vote is compared by."""
    return (v.epoch, v.zxid, v.leader)


def notification(p: Params, srv: Server, el: Election, i: int) -> Notification:
    """The notification server i sends now: its vote, round and state (and, while LOOKING,
    its own vote, a ghost; 0 once decided)."""
    # The own vote is a ghost for ElectionSafety, which compares the winner with the own
    # votes of LOOKING voters only: a decided sender's is never read, and left out it makes
    # no states that differ in nothing any step or property reads.
    own = self_vote(p, srv, i) if srv.state == LOOKING else NOBODY
    v = el.vote
    return Notification(i, srv.state, el.round, v.leader, v.zxid, v.epoch, own.zxid, own.epoch)


def received_vote(n: Notification) -> ReceivedVote:
    """The entry a notification leaves in recvset or outofelection."""
    return ReceivedVote(n.leader, n.zxid, n.epoch, n.round, n.state, n.own_zxid, n.own_epoch)


def vote_of(n: Notification) -> Vote:
    return Vote(n.leader, n.zxid, n.epoch)


def same_vote(entry: ReceivedVote, vote: Vote, round_: int, state: int) -> bool:
    """``Vote.equals``: with a LOOKING side, leader, zxid, round and epoch agree;
    between two decided servers, leader and epoch agree (ZOOKEEPER-1732).
    """
    if entry.leader == NULL:
        return False
    if entry.state == LOOKING or state == LOOKING:
        return (
            entry.leader == vote.leader
            and entry.zxid == vote.zxid
            and entry.round == round_
            and entry.epoch == vote.epoch
        )
    return entry.leader == vote.leader and entry.epoch == vote.epoch


def vote_set(
    p: Params, votes: tuple[ReceivedVote, ...], vote: Vote, round_: int, state: int, include: int
) -> int:
    """``getVoteTracker``: the mask of voters whose entry equals ``vote``, plus ``include``."""
    mask = include
    for k in range(p.voters):
        if same_vote(votes[k], vote, round_, state):
            mask |= 1 << k
    return mask & p.voter_mask


def empty_votes(n: int) -> tuple[ReceivedVote, ...]:
    return (NO_VOTE,) * n


def no_votes(p: Params) -> tuple[ReceivedVote, ...]:
    """An election's recvset (or outofelection) with nothing in it: one empty entry per
    server. The coarse election receives no notification and never reads either, so it
    keeps them as ``()``: the same states, each with 6n fewer records to hash and copy."""
    return () if p.coarse_election else empty_votes(p.n)


def settled(el: Election, p: Params) -> Election:
    """``leaveInstance``: a server that decided keeps its vote and round, nothing else. A
    record that holds nothing else already is its own result (the coarse election's
    always are)."""
    empty = no_votes(p)
    if not el.queue and not el.waiting and el.received == empty and el.out_of_election == empty:
        return el
    return Election(el.vote, el.round, empty, empty, (), False)


def kept_vote(p: Params, v: Vote) -> Vote:
    """The vote a server's election record keeps (currentVote) when it votes ``v``.

    The coarse election reads of a kept vote only its leader (FollowLeader's "a quorum
    follows j", discovery's "the learner voted for the leader", the persistence rules'
    leader of a learner); it compares the voters' own votes (:func:`self_vote`), computed
    afresh from their logs and epochs, and sends no notification. So it keeps zxid and
    epoch at 0, as it keeps rounds (:func:`next_round`): states that differ only in the
    zxid and epoch a server voted with at its last election are one state.
    """
    return Vote(v.leader, 0, 0) if p.coarse_election else v


def kept_self_vote(p: Params, srv: Server, i: int) -> Vote:
    """``kept_vote(p, self_vote(p, srv, i))``: the vote a server's record keeps when it
    starts a round voting for itself. With the coarse election that is its id alone (or
    nobody, for an observer), one shared record for each server: no log is read."""
    if not p.coarse_election:
        return self_vote(p, srv, i)
    leader = i if p.is_voter(i) else NULL
    vote = _COARSE_VOTES.get(leader)
    if vote is None:
        vote = _COARSE_VOTES[leader] = Vote(leader, 0, 0)
    return vote


#: :func:`kept_self_vote` of the coarse election, by the server voted for (NULL: nobody).
_COARSE_VOTES: dict[int, Vote] = {}


def next_round(p: Params, round_: int) -> int:
    """The round a server starts when it begins to look (logicalclock + 1).

    Rounds mean nothing to the coarse election, which keeps them all at 0 so that
    states differing only in them are one state.
    """
    return 0 if p.coarse_election else round_ + 1
