"""Role changes over symbolic states, as :mod:`spec.system.role_changes` has them for the
supported configuration (coarse election, no crashes, no observers, ZkV3_7_0.tla's timing):
ZabTurnToLeading/Following, going back to election, RemoveLearner, LeaderShutdown and a
learner leaving its leader.
"""

from __future__ import annotations

import z3

from spec.system import constants as c
from spec.system.bugs import ZK_2845
from spec.system.symbolic.common import (
    Step,
    branch,
    clean_input,
    close_connection,
    has,
    is_quorum,
    mask_minus,
    processed_zxid,
    put,
    set_leader,
    set_learner,
    with_member,
)
from spec.system.symbolic.state import SYNCED_ZXID, ZERO, SymSystem, vote
from zabmc.symbolic.values import SRecord, SSeq, ite


def self_vote(srv: SRecord, i: int) -> SRecord:
    """The vote a server starts a round with: itself, its last processed zxid, its epoch."""
    return vote(i, processed_zxid(srv), srv["current_epoch"])


def kept_vote(leader: int) -> SRecord:
    """The vote an election record keeps when it votes for ``leader``: zxid and epoch at 0,
    as the coarse election keeps them (spec.system.election.votes.kept_vote)."""
    return vote(leader, ZERO, 0)


def go_looking(step: Step, s: SymSystem, i: int) -> SymSystem:
    """i goes back to election (FollowerShutdown): with the fix of ZK-2845 its database is
    reloaded from its log; it votes for itself. (No queued work: the configuration has none.)
    Between SNAP and NEWLEADER the log on disk is the learner's ``disk_log``, and what it
    knows committed its own snapshot (ZOOKEEPER-3642's full shutdown, as
    spec.system.learner_log.snapshot_only_in_memory)."""
    srv, lrn = s.servers[i], s.learners[i]
    if step.p.bug != ZK_2845:
        in_memory = z3.And(lrn["sync_mode"] == c.SYNC_SNAP, z3.Not(lrn["nl_received"]))
        history = ite(in_memory, lrn["disk_log"], srv["history"])
        srv = srv.replace(
            history=history,
            last_processed=history.length,
            last_committed=z3.If(in_memory, srv["last_snapshot"], srv["last_committed"]),
        )
    srv = srv.replace(
        state=z3.IntVal(c.LOOKING), zab_state=z3.IntVal(c.ELECTION), initial_len=z3.IntVal(0)
    )
    lay = step.layout
    return s._replace(
        servers=put(s.servers, i, srv),
        votes=put(s.votes, i, kept_vote(i)),
        leaders=put(s.leaders, i, lay.empty_leader()),
        learners=put(s.learners, i, lay.empty_learner()),
    )


def turn_to_leading(step: Step, s: SymSystem, i: int) -> SymSystem:
    """``ZabTurnToLeading``: i leads, counting itself in every quorum it gathers."""
    srv = s.servers[i]
    lay = step.layout
    me = lay.mask(1 << i)
    h = srv["history"]
    leader = lay.empty_leader().replace(
        learners=me,
        connecting=me,
        connecting_live=me,
        electing=me,
        electing_quorum=me,
        ackld=me,
        ackld_live=me,
        new_epoch=srv["accepted_epoch"] + 1,
        acks=SSeq(h.length, (me,) * h.capacity),
    )
    srv = srv.replace(
        state=z3.IntVal(c.LEADING), zab_state=z3.IntVal(c.DISCOVERY), initial_len=h.length
    )
    return set_leader(s._replace(servers=put(s.servers, i, srv)), i, leader)


def turn_to_learning(step: Step, s: SymSystem, i: int) -> SymSystem:
    """``ZabTurnToFollowing``: i follows (every server votes in the configuration)."""
    srv = s.servers[i]
    srv = srv.replace(
        state=z3.IntVal(c.FOLLOWING),
        zab_state=z3.IntVal(c.DISCOVERY),
        initial_len=srv["history"].length,
    )
    return set_learner(s._replace(servers=put(s.servers, i, srv)), i, step.layout.empty_learner())


def remove_learner(s: SymSystem, i: int, j: int) -> SymSystem:
    """``RemoveLearner(i, j)``: leader i drops its LearnerHandler for j."""
    ld = s.leaders[i]
    ld = ld.replace(
        learners=with_member(ld["learners"], j, False),
        forwarding=with_member(ld["forwarding"], j, False),
        connecting_live=with_member(ld["connecting_live"], j, False),
        ackld_live=with_member(ld["ackld_live"], j, False),
        peer_last_zxid=put(ld["peer_last_zxid"], j, SYNCED_ZXID),
    )
    return set_leader(s, i, ld)


def leader_shutdown(step: Step, s: SymSystem, i: int) -> SymSystem:
    """``LeaderShutdown(i)``: i and every learner connected to it go back to election; the
    Zab messages into any of them are lost."""
    cluster = with_member(s.leaders[i]["learners"], i)
    s = clean_input(step, s, cluster)
    for k in range(step.layout.servers):
        s = branch(has(cluster, k), go_looking(step, s, k), s)
    return s


def learner_leaves(step: Step, s: SymSystem, j: int) -> SymSystem:
    """Learner j loses its leader: the leader drops j, or shuts down when the voters left
    are no quorum; j goes back to election."""
    leader = s.learners[j]["leader"]
    result = go_looking(step, s, j)  # no leader (NullPoint)
    for k in range(step.layout.servers):
        if k == j:
            continue
        rest = mask_minus(s.leaders[k]["learners"], step.layout.mask(1 << j))
        shutdown = leader_shutdown(step, s, k)
        dropped = remove_learner(s, k, j)
        dropped = go_looking(step, close_connection(step, dropped, k, j), j)
        result = branch(leader == k, branch(is_quorum(step.p, rest), dropped, shutdown), result)
    return result


__all__ = ["go_looking", "kept_vote", "leader_shutdown", "learner_leaves", "self_vote"]
