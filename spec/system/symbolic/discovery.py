"""Phase 1, discovery, over symbolic states (:mod:`spec.system.discovery`)."""

from __future__ import annotations

import z3

from spec.system import constants as c
from spec.system.ghost import STATE_INCONSISTENT
from spec.system.symbolic.common import (
    Step,
    breach,
    broadcast,
    cases,
    close_connection,
    discard,
    has,
    illegal,
    is_leader_of,
    is_learner_of,
    is_quorum,
    mask_and,
    msg,
    one_of,
    processed_zxid,
    put,
    record_established,
    reply,
    send,
    set_leader,
    set_learner,
    set_server,
    taking,
    with_member,
    zxid_lt,
)
from spec.system.symbolic.role_changes import go_looking, leader_shutdown, remove_learner
from spec.system.symbolic.state import SymSystem


def connect_and_follower_send_followerinfo(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``ConnectAndFollowerSendFOLLOWERINFO(i, j)``: learner j connects to leader i."""
    leader, learner = s.servers[i], s.servers[j]
    step.require(leader["state"] == c.LEADING)
    step.require(one_of(learner["state"], (c.FOLLOWING, c.OBSERVING)))
    step.require(s.learners[j]["leader"] == c.NULL)
    step.require(s.votes[j]["leader"] == i)
    step.require(z3.Not(has(s.leaders[i]["learners"], j)))
    ld = s.leaders[i]
    s = set_leader(s, i, ld.replace(learners=with_member(ld["learners"], j)))
    s = set_learner(s, j, s.learners[j].replace(leader=z3.IntVal(i)))
    return send(step, s, j, i, msg(step, c.FOLLOWERINFO, epoch=learner["accepted_epoch"]))


def leader_process_followerinfo(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``LeaderProcessFOLLOWERINFO(i, j)``: leader i takes j's FOLLOWERINFO."""
    p = step.p
    m = taking(step, s, i, j, c.FOLLOWERINFO)
    legal = is_leader_of(s, i, j)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    srv, ld = s.servers[i], s.leaders[i]
    decided = is_quorum(p, ld["connecting"])
    with step.under(z3.And(legal, decided)):  # 2. LEADERINFO already sent
        answered = reply(step, s, i, j, msg(step, c.LEADERINFO, epoch=srv["accepted_epoch"]))
    # 1. still waiting for a quorum
    s = breach(s, STATE_INCONSISTENT, i, j, when=srv["zab_state"] != c.DISCOVERY)
    new_epoch = z3.If(ld["new_epoch"] >= m["epoch"] + 1, ld["new_epoch"], m["epoch"] + 1)
    ld = ld.replace(
        new_epoch=new_epoch,
        connecting=with_member(ld["connecting"], j),
        connecting_live=with_member(ld["connecting_live"], j),
    )
    reached = is_quorum(p, ld["connecting"])
    waiting = discard(step, set_leader(s, i, ld), i, j)
    gathering = z3.And(legal, z3.Not(decided))
    step.require(z3.Not(z3.And(gathering, reached, new_epoch > p.max_epoch)))
    with step.under(z3.And(gathering, reached)):
        t = discard(step, s, i, j)
        targets = mask_and(ld["connecting_live"], ld["learners"])
        t = broadcast(step, t, i, targets, msg(step, c.LEADERINFO, epoch=new_epoch))
        t = set_server(t, i, accepted_epoch=new_epoch)
        # the epoch is decided: the masks and new epoch as the spec keeps them then
        # (spec.system.discovery.epoch_decided)
        decided_ld = ld.replace(
            connecting=step.layout.mask((1 << p.n) - 1),
            connecting_live=step.layout.mask(0),
            new_epoch=z3.IntVal(0),
        )
        proposed = set_leader(t, i, decided_ld)
    return cases([(z3.Not(legal), bad), (decided, answered), (z3.Not(reached), waiting)], proposed)


def follower_process_leaderinfo(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowerProcessLEADERINFO(i, j)``: learner i takes LEADERINFO(e) from leader j."""
    m = taking(step, s, i, j, c.LEADERINFO)
    legal = is_learner_of(s, i, j)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    srv = s.servers[i]
    stale = m["epoch"] < srv["accepted_epoch"]
    left = remove_learner(s, j, i)  # 2.
    left = go_looking(step, close_connection(step, left, i, j), i)
    inconsistent = srv["zab_state"] != c.DISCOVERY
    confused = breach(discard(step, s, i, j), STATE_INCONSISTENT, i, j)
    fresh = m["epoch"] > srv["accepted_epoch"]
    with step.under(z3.And(legal, z3.Not(stale), z3.Not(inconsistent))):
        answer = msg(
            step, c.ACKEPOCH, epoch=srv["current_epoch"], zxid=processed_zxid(srv), fresh=fresh
        )
        accepted = reply(step, s, i, j, answer)
    accepted = set_server(
        accepted, i, accepted_epoch=m["epoch"], zab_state=z3.IntVal(c.SYNCHRONIZATION)
    )
    return cases([(z3.Not(legal), bad), (stale, left), (inconsistent, confused)], accepted)


def leader_process_ackepoch(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``LeaderProcessACKEPOCH(i, j)``: leader i takes j's ACKEPOCH."""
    p = step.p
    m = taking(step, s, i, j, c.ACKEPOCH)
    legal = is_leader_of(s, i, j)
    with step.under(z3.Not(legal)):
        bad = illegal(step, s, i, j, m)
    srv, ld = s.servers[i], s.leaders[i]
    recorded = ld.replace(
        electing=with_member(ld["electing"], j),
        peer_last_zxid=put(ld["peer_last_zxid"], j, m["zxid"]),
    )
    established = is_quorum(p, ld["electing_quorum"])
    known = discard(step, set_leader(s, i, recorded), i, j)  # 1.
    s = breach(s, STATE_INCONSISTENT, i, j, when=srv["zab_state"] != c.DISCOVERY)  # 2.
    not_counted = discard(step, set_leader(s, i, recorded), i, j)
    mine = processed_zxid(srv)
    newer = z3.Or(
        m["epoch"] > srv["current_epoch"],
        z3.And(m["epoch"] == srv["current_epoch"], zxid_lt(mine, m["zxid"])),
    )
    with step.under(z3.And(legal, z3.Not(established), m["fresh"], newer)):
        shut = leader_shutdown(step, s, i)
    ld = recorded.replace(electing_quorum=with_member(ld["electing_quorum"], j))
    counted = discard(step, set_leader(s, i, ld), i, j)
    # established: electing_quorum as the spec keeps it (discovery.epoch_established)
    full = ld.replace(electing_quorum=step.layout.mask((1 << p.n) - 1))
    reached = discard(step, set_leader(s, i, full), i, j)
    with step.under(
        z3.And(
            legal,
            z3.Not(established),
            m["fresh"],
            z3.Not(newer),
            is_quorum(p, ld["electing_quorum"]),
        )
    ):
        done = set_server(
            reached,
            i,
            current_epoch=srv["accepted_epoch"],
            zab_state=z3.IntVal(c.SYNCHRONIZATION),
        )
        done = record_established(step, done, srv["accepted_epoch"], i)
    return cases(
        [
            (z3.Not(legal), bad),
            (established, known),
            (z3.Not(m["fresh"]), not_counted),
            (newer, shut),
            (z3.Not(is_quorum(p, ld["electing_quorum"])), counted),
        ],
        done,
    )


__all__ = [
    "connect_and_follower_send_followerinfo",
    "follower_process_leaderinfo",
    "leader_process_ackepoch",
    "leader_process_followerinfo",
]
