"""A coarse election: the two atomic steps that stand for Fast Leader Election when
``Params.coarse_election`` is set (the ``--coarse-election`` option).

The mixed-grained specs of ZooKeeper's authors (Disalg-ICS-NJU test-spec, Remix's
MSPEC_2.tla) make election one step, because the bugs they hunt lie after it and
several elections at FLE's granularity are out of reach of exhaustive search (one
fault-free election of three voters alone has 137,747 states). These steps keep
FLE's outcome and its safety rule, and drop its message exchange:

* ``ElectLeader(i)``: a quorum of LOOKING voters that can reach i, in which i's
  vote (epoch, zxid, id) beats every other member's own vote, decides for i;
* ``FollowLeader(i, j)``: a LOOKING server learns that a quorum follows leader j
  (FLE's outofelection path) and decides for j.

Neither is in the shared vocabulary: traces of the implementation replay against
the FLE steps, never against these.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from spec.system import channels as net
from spec.system.constants import FOLLOWING, LEADING, LOOKING, NULL
from spec.system.election.votes import kept_self_vote, own_vote_key, settled
from spec.system.ghost import ELECTION_UNSOUND, breach
from spec.system.params import Params
from spec.system.role_changes import turn_to_leading, turn_to_learning
from spec.system.state import SystemState, election_with, put, state_with


def electorates(s: SystemState, p: Params, i: int) -> list[int]:
    """The quorums (as masks) that could elect i now, smallest first, then by ids."""
    srv = s.servers[i]
    if not (p.coarse_election and p.is_voter(i) and srv.online and srv.state == LOOKING):
        return []
    # i's own vote beats k's (i is a voter: FLE's totalOrderPredicate is the key's order)
    mine = own_vote_key(p, srv, i)
    others = [
        k
        for k in range(p.voters)
        if k != i
        and s.servers[k].online
        and s.servers[k].state == LOOKING
        and not net.link_cut(s.network, p.n, i, k)
        and mine > own_vote_key(p, s.servers[k], k)
    ]
    found = []
    for size in range(len(others) + 1):
        for chosen in combinations(others, size):
            mask = 1 << i
            for k in chosen:
                mask |= 1 << k
            if p.is_quorum(mask):
                found.append(mask)
    return found


def elect_leader(s: SystemState, p: Params, i: int, quorum: int) -> SystemState | None:
    """``ElectLeader(i)`` with electorate ``quorum``: i leads, the others follow it."""
    if quorum not in electorates(s, p, i):
        return None
    return _elected(s, p, i, quorum)


def elect_leader_each(s: SystemState, p: Params, i: int) -> Iterator[tuple[int, SystemState]]:
    """``ElectLeader(i)`` with each electorate that could elect i now, smallest first: the
    electorates found once, not once for each of them as :func:`elect_leader` would."""
    for quorum in electorates(s, p, i):
        yield quorum, _elected(s, p, i, quorum)


def _elected(s: SystemState, p: Params, i: int, quorum: int) -> SystemState:
    """ElectLeader's update: i leads the electorate ``quorum``, whose others follow it."""
    vote = kept_self_vote(p, s.servers[i], i)
    unsound = unsound_electorate(s, p, i, quorum)
    if unsound != NULL:
        s = breach(s, ELECTION_UNSOUND, i, unsound)
    for k in range(p.voters):
        if quorum >> k & 1:
            el = election_with(settled(s.elections[k], p), vote=vote)
            s = state_with(s, elections=put(s.elections, k, el))
            s = turn_to_leading(s, p, k) if k == i else turn_to_learning(s, p, k)
    return s


def unsound_electorate(s: SystemState, p: Params, i: int, quorum: int) -> int:
    """ElectionSafety's check of a coarse election, made apart from :func:`electorates`
    (which picks the quorums) so that a fault there is caught: the first server of
    ``quorum`` that could not have decided for i, or i itself when ``quorum`` is no
    quorum of voters; NULL when the election is sound.

    Each member must be a voter that is up, LOOKING and can reach i, whose own vote
    (epoch, zxid, id) is at most i's, as FLE's termination rule demands.
    """
    if not (quorum >> i & 1 and p.is_quorum(quorum)) or quorum >> p.voters:
        return i
    mine = own_vote_key(p, s.servers[i], i)
    for k in range(p.voters):
        if not quorum >> k & 1:
            continue
        srv = s.servers[k]
        if not (srv.online and srv.state == LOOKING) or net.link_cut(s.network, p.n, i, k):
            return k
        if own_vote_key(p, srv, k) > mine:
            return k
    return NULL


def follow_leader(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FollowLeader(i, j)``: LOOKING i joins leader j, which a quorum has decided for."""
    srv, leader = s.servers[i], s.servers[j]
    if not (p.coarse_election and srv.online and srv.state == LOOKING):
        return None
    if not (leader.online and leader.state == LEADING) or net.link_cut(s.network, p.n, i, j):
        return None
    decided = 0
    for k in range(p.voters):
        other = s.servers[k]
        if other.online and other.state in (LEADING, FOLLOWING) and s.elections[k].vote.leader == j:
            decided |= 1 << k
    if not p.is_quorum(decided):
        return None
    el = election_with(settled(s.elections[i], p), vote=s.elections[j].vote)
    s = state_with(s, elections=put(s.elections, i, el))
    return turn_to_learning(s, p, i)
