"""Phase 1, discovery: FOLLOWERINFO, LEADERINFO, ACKEPOCH (Leader.getEpochToPropose,
Leader.waitForEpochAck, Learner.registerWithLeader), as ZkV3_7_0.tla has them.

Every step that takes a message checks that the message is possible where it
arrives (the receiver's role and connection); an impossible one is a breach
(ShouldNotBeTriggered), never dropped quietly.
"""

from __future__ import annotations

from spec.system import channels as net
from spec.system import messages as m
from spec.system.constants import (
    ACKEPOCH,
    DISCOVERY,
    FOLLOWERINFO,
    FOLLOWING,
    LEADERINFO,
    LEADING,
    NULL,
    OBSERVING,
    SYNCHRONIZATION,
)
from spec.system.election.votes import processed_zxid
from spec.system.ghost import STATE_INCONSISTENT, breach, record_established
from spec.system.params import Params
from spec.system.receive import illegal, is_leader_of, is_learner_of, taking
from spec.system.role_changes import go_looking, leader_shutdown, remove_learner
from spec.system.state import (
    Leader,
    SystemState,
    leader_with,
    learner_with,
    put,
    server_with,
    state_with,
)


def epoch_decided(p: Params, ld: Leader) -> Leader:
    """The leader record once a quorum has connected and the epoch is decided.

    From then on LeaderProcessFOLLOWERINFO only asks whether ``connecting`` is a quorum
    (Leader.getEpochToPropose's ``waitingForNewEpoch``, after which ZooKeeper reads neither
    connectingFollowers nor the epoch being computed): nothing reads which learners
    connected, which of them are still connected, or ``new_epoch`` (now the leader's
    acceptedEpoch). The coarse election keeps them as ``connecting`` = every server (a
    quorum, and a superset of what it was: the masks of a leader only grow until it steps
    down, which the persistence rules rely on), ``connecting_live`` = none and ``new_epoch``
    = 0, so that states that differ only in which learner connected first are one state.
    (The fine-grained election keeps them as ZkV3_7_0.tla does: its runs are compared with
    TLC's and with the implementation's.)
    """
    if not p.coarse_election:
        return ld
    return leader_with(ld, connecting=(1 << p.n) - 1, connecting_live=0, new_epoch=0)


def epoch_established(p: Params, ld: Leader) -> Leader:
    """The leader record once a quorum has acknowledged the epoch (ACKEPOCH).

    From then on only whether ``electing_quorum`` is a quorum is read
    (Leader.waitForEpochAck's ``electionFinished``, after which ZooKeeper reads
    electingFollowers no more): the coarse election keeps it as every server, so that states
    that differ only in which learner's ACKEPOCH counted first are one state. ``electing``
    (the learners whose ACKEPOCH was taken, which LeaderSyncFollower reads) stays.
    """
    if not p.coarse_election:
        return ld
    return leader_with(ld, electing_quorum=(1 << p.n) - 1)


def connect_and_follower_send_followerinfo(
    s: SystemState, p: Params, i: int, j: int
) -> SystemState | None:
    """``ConnectAndFollowerSendFOLLOWERINFO(i, j)``: learner j connects to leader i.

    j decided for i (its vote is for i) and has no connection yet; it sends its
    acceptedEpoch (FOLLOWERINFO, or OBSERVERINFO from an observer).
    """
    leader, learner = s.servers[i], s.servers[j]
    if not (leader.online and learner.online and leader.state == LEADING):
        return None
    if learner.state not in (FOLLOWING, OBSERVING) or s.learners[j].leader != NULL:
        return None
    if s.elections[j].vote.leader != i or s.leaders[i].learners >> j & 1:
        return None
    if net.link_cut(s.network, p.n, i, j):
        return None
    ld = s.leaders[i]
    return state_with(
        s,
        leaders=put(s.leaders, i, leader_with(ld, learners=ld.learners | 1 << j)),
        learners=put(s.learners, j, learner_with(s.learners[j], leader=i)),
        network=net.send(s.network, p.n, j, i, m.follower_info(learner.accepted_epoch)),
    )


def leader_process_followerinfo(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``LeaderProcessFOLLOWERINFO(i, j)``: leader i takes j's FOLLOWERINFO.

    1. Still gathering: the proposed epoch becomes max(acceptedEpoch + 1); once a
       quorum of voters (i included) has connected, i persists it as its
       acceptedEpoch and sends LEADERINFO to every learner gathered so far.
       Disabled when that epoch would exceed the bound ``max_epoch``.
    2. Already decided: reply LEADERINFO with the epoch.
    """
    msg = taking(s, p, i, j, FOLLOWERINFO)
    if msg is None:
        return None
    if not is_leader_of(s, i, j):
        return illegal(s, p, i, j, msg)
    srv, ld = s.servers[i], s.leaders[i]
    if p.is_quorum(ld.connecting):  # 2. LEADERINFO already sent
        network = net.reply(s.network, p.n, i, j, m.leader_info(srv.accepted_epoch))
        return state_with(s, network=network)
    # 1. still waiting for a quorum
    if srv.zab_state != DISCOVERY:
        s = breach(s, STATE_INCONSISTENT, i, j)
    new_epoch = max(ld.new_epoch, msg.epoch + 1)
    ld = leader_with(
        ld,
        new_epoch=new_epoch,
        connecting=ld.connecting | 1 << j,
        connecting_live=ld.connecting_live | 1 << j,
    )
    if not p.is_quorum(ld.connecting):
        network = net.discard(s.network, p.n, i, j)
        return state_with(s, leaders=put(s.leaders, i, ld), network=network)
    if new_epoch > p.max_epoch:
        return None
    network = net.discard(s.network, p.n, i, j)
    targets = ld.connecting_live & ld.learners
    network = net.broadcast(network, p.n, i, targets, m.leader_info(new_epoch))
    return state_with(
        s,
        servers=put(s.servers, i, server_with(srv, accepted_epoch=new_epoch)),
        leaders=put(s.leaders, i, epoch_decided(p, ld)),
        network=network,
    )


def follower_process_leaderinfo(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``FollowerProcessLEADERINFO(i, j)``: learner i takes LEADERINFO(e) from leader j.

    1. e >= acceptedEpoch: persist acceptedEpoch = e and reply ACKEPOCH with
       currentEpoch and the last zxid (epoch -1 if e was already accepted); go to
       SYNCHRONIZATION.
    2. e < acceptedEpoch: back to election; j drops i.
    """
    msg = taking(s, p, i, j, LEADERINFO)
    if msg is None:
        return None
    if not is_learner_of(s, i, j):
        return illegal(s, p, i, j, msg)
    srv = s.servers[i]
    if msg.epoch < srv.accepted_epoch:  # 2.
        s = remove_learner(s, j, i)
        s = state_with(s, network=net.close_connection(s.network, p.n, i, j))
        return go_looking(s, p, i)
    if srv.zab_state != DISCOVERY:
        return breach(
            state_with(s, network=net.discard(s.network, p.n, i, j)), STATE_INCONSISTENT, i, j
        )
    fresh = msg.epoch > srv.accepted_epoch
    reply = m.ack_epoch(srv.current_epoch, processed_zxid(srv), fresh)
    srv = server_with(srv, accepted_epoch=msg.epoch, zab_state=SYNCHRONIZATION)
    return state_with(
        s, servers=put(s.servers, i, srv), network=net.reply(s.network, p.n, i, j, reply)
    )


def leader_process_ackepoch(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``LeaderProcessACKEPOCH(i, j)``: leader i takes j's ACKEPOCH.

    1. The epoch is already established: record j's last zxid for syncing.
    2. Not yet: a learner more recent than i (by currentEpoch, then zxid) makes i
       shut down; otherwise j counts (unless it had already accepted the epoch), and
       with a quorum of voters i persists currentEpoch = acceptedEpoch and moves to
       SYNCHRONIZATION: the epoch is established.
    """
    msg = taking(s, p, i, j, ACKEPOCH)
    if msg is None:
        return None
    if not is_leader_of(s, i, j):
        return illegal(s, p, i, j, msg)
    srv, ld = s.servers[i], s.leaders[i]
    recorded = leader_with(
        ld, electing=ld.electing | 1 << j, peer_last_zxid=put(ld.peer_last_zxid, j, msg.zxid)
    )
    network = net.discard(s.network, p.n, i, j)
    if p.is_quorum(ld.electing_quorum):  # 1.
        return state_with(s, leaders=put(s.leaders, i, recorded), network=network)
    if srv.zab_state != DISCOVERY:  # 2.
        s = breach(s, STATE_INCONSISTENT, i, j)
    if not msg.fresh:
        return state_with(s, leaders=put(s.leaders, i, recorded), network=network)
    if (msg.epoch, msg.zxid) > (srv.current_epoch, processed_zxid(srv)):
        return leader_shutdown(s, p, i)
    ld = leader_with(recorded, electing_quorum=ld.electing_quorum | 1 << j)
    s = state_with(s, leaders=put(s.leaders, i, ld), network=network)
    if not p.is_quorum(ld.electing_quorum):
        return s
    srv = server_with(srv, current_epoch=srv.accepted_epoch, zab_state=SYNCHRONIZATION)
    s = state_with(
        s, servers=put(s.servers, i, srv), leaders=put(s.leaders, i, epoch_established(p, ld))
    )
    return record_established(s, srv.accepted_epoch, i)
