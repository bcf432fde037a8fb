"""Role changes shared by many steps: ZkV3_7_0.tla's ZabTurnToLeading/Following,
FollowerShutdown, LeaderShutdown and RemoveLearner, and a server's power cycle.
"""

from __future__ import annotations

from spec.system import channels as net
from spec.system.bugs import ZK_2845
from spec.system.constants import (
    DISCOVERY,
    ELECTION,
    FOLLOWING,
    LEADING,
    LOOKING,
    NO_SYNC,
    NULL,
    OBSERVING,
    SYNCED,
)
from spec.system.election.votes import (
    NOBODY,
    kept_self_vote,
    next_round,
    no_votes,
    notification,
    settled,
)
from spec.system.learner_log import snapshot_only_in_memory
from spec.system.log import log_of
from spec.system.params import Params
from spec.system.state import (
    EMPTY_LEARNER,
    TIMEOUT_SIGNAL,
    Election,
    Leader,
    Learner,
    Recorder,
    Server,
    SystemState,
    empty_leader,
    leader_with,
    members,
    put,
    server_with,
    state_with,
)


def online_voters(s: SystemState, p: Params) -> int:
    """The mask of voters that are up: where notifications go."""
    mask = 0
    for k in range(p.voters):
        if s.servers[k].online:
            mask |= 1 << k
    return mask


def send_own_notification(
    s: SystemState, p: Params, i: int, targets: int | None = None
) -> SystemState:
    """``sendNotifications``: i sends its vote to ``targets`` (default: every voter that is up)."""
    if p.coarse_election:
        return s  # no notifications: elections are single steps
    if targets is None:
        # FastLeaderElection.tla's BroadcastNotmsg sends to every server, up or not
        targets = p.voter_mask if p.tla_election else online_voters(s, p)
    note = notification(p, s.servers[i], s.elections[i], i)
    cuts = not p.tla_election
    return state_with(s, network=net.notify(s.network, p.n, i, targets, note, cuts))


def go_looking(s: SystemState, p: Params, i: int, announce: bool = True) -> SystemState:
    """FastLeaderElection.tla's ``ZabTimeout`` with ``FollowerShutdown``: i goes back to election.

    It forgets its role, starts the next round voting for itself and sends that vote.
    The fix of ZOOKEEPER-2845 clears the in-memory database, which is reloaded from
    disk as at a restart: the zxid i votes with is the last one in its log. With the
    bug i keeps its database, and votes with the last zxid it applied. What i knows
    committed (lastCommitted) is left as it was, as ZkV3_7_0.tla's ZabTimeout leaves it.

    Going back to election is not a crash: the work ZooKeeper finishes on a graceful
    shutdown is done first (:func:`_durable_work_done`). A learner that took SNAP but not
    yet NEWLEADER is the exception: its database is cleared, and reloaded from disk, where
    the leader's snapshot never was (:func:`snapshot_only_in_memory`).
    """
    return back_to_election(s, p, 1 << i, announce)


def back_to_election(s: SystemState, p: Params, group: int, announce: bool = True) -> SystemState:
    """:func:`go_looking` of every server in the mask ``group``, as one update: what each
    writes (its records, and its own vote sent on the channels from it) is its own, and
    what each reads of the others (which voters are up) none of them changes."""
    servers, elections = list(s.servers), list(s.elections)
    leaders, learners = list(s.leaders), list(s.learners)
    idle_leader = empty_leader(p.n)
    queue = () if announce else (TIMEOUT_SIGNAL,)
    looking = members(group)
    for i in looking:
        servers[i], elections[i] = _looking(p, i, servers[i], elections[i], learners[i], queue)
        leaders[i], learners[i] = idle_leader, EMPTY_LEARNER
    s = state_with(
        s,
        servers=tuple(servers),
        elections=tuple(elections),
        leaders=tuple(leaders),
        learners=tuple(learners),
    )
    if announce:
        for i in looking:
            s = send_own_notification(s, p, i)
    return s


def _looking(
    p: Params, i: int, srv: Server, el: Election, lrn: Learner, queue: tuple
) -> tuple[Server, Election]:
    """The server and election records of i once it is back in election (:func:`go_looking`)."""
    if snapshot_only_in_memory(p, lrn) and p.bug != ZK_2845:
        srv = _reloaded_from_disk(srv, lrn)
    else:
        srv = _durable_work_done(srv, lrn, p)
    # the fix of ZK-2845 reloads the database from the log: all of it is processed
    processed = srv.last_processed if p.bug == ZK_2845 else len(srv.history)
    srv = server_with(
        srv, state=LOOKING, zab_state=ELECTION, initial_len=0, last_processed=processed
    )
    empty = no_votes(p)
    vote = kept_self_vote(p, srv, i)
    return srv, Election(vote, next_round(p, el.round), empty, empty, queue, False)


def _reloaded_from_disk(srv: Server, lrn: Learner) -> Server:
    """ZOOKEEPER-3642's fix (ZooKeeper 3.6.3, 3.7.0 on): a learner that leaves its leader
    before it has written the snapshot of a SNAP sync fully shuts its ZooKeeperServer down
    (Learner.shutdown passes ``syncMode == SNAP`` to ZooKeeperServer.shutdown(boolean),
    which then calls ZKDatabase.clear instead of fastForwardDataBase). Its next vote
    reloads the database from disk (QuorumPeer.getLastLoggedZxid, ZKDatabase.loadDataBase),
    as at a restart: the log it had before SNAP, and its own last snapshot committed.
    """
    n = len(lrn.disk_log)
    return server_with(
        srv, history=lrn.disk_log, last_processed=n, last_committed=srv.last_snapshot
    )


def _durable_work_done(srv: Server, lrn: Learner, p: Params) -> Server:
    """What a learner that leaves its leader without crashing still writes to its log.

    * The SyncRequestProcessor's queue: a graceful shutdown of the learner's
      ZooKeeperServer shuts the processor down, which flushes what it has queued to
      the log before the thread ends (SyncRequestProcessor.shutdown and flush). The
      ACKs it would send go to a closed connection and are lost.
    * A half-handled NEWLEADER (ZK-4643's split: currentEpoch persisted, the txns of
      the sync not yet): one thread runs Learner.syncWithLeader from setCurrentEpoch
      to logRequest, and nothing interrupts it in between, so it logs them too.

    Only a crash (:func:`power_off`) loses that work.
    """
    history = srv.history + lrn.queued
    if p.split_newleader and lrn.nl_received and lrn.sync_mode != NO_SYNC:
        history += lrn.not_committed  # the second half of NEWLEADER still to come
    if len(history) == len(srv.history):
        return srv
    return server_with(srv, history=history)


def turn_to_leading(s: SystemState, p: Params, i: int) -> SystemState:
    """``ZabTurnToLeading``: i leads, counting itself in every quorum it gathers."""
    srv = s.servers[i]
    me = 1 << i
    leader = Leader(
        learners=me,
        connecting=me,
        connecting_live=me,
        electing=me,
        electing_quorum=me,
        peer_last_zxid=(SYNCED,) * p.n,
        ackld=me,
        ackld_live=me,
        forwarding=0,
        new_epoch=srv.accepted_epoch + 1,
        acks=log_of((me,) * len(srv.history)),
    )
    return state_with(
        s,
        servers=put(
            s.servers,
            i,
            server_with(srv, state=LEADING, zab_state=DISCOVERY, initial_len=len(srv.history)),
        ),
        elections=put(s.elections, i, settled(s.elections[i], p)),
        leaders=put(s.leaders, i, leader),
    )


def turn_to_learning(s: SystemState, p: Params, i: int) -> SystemState:
    """``ZabTurnToFollowing``: i follows (a voter) or observes (an observer)."""
    srv = s.servers[i]
    role = FOLLOWING if p.is_voter(i) else OBSERVING
    return state_with(
        s,
        servers=put(
            s.servers,
            i,
            server_with(srv, state=role, zab_state=DISCOVERY, initial_len=len(srv.history)),
        ),
        elections=put(s.elections, i, settled(s.elections[i], p)),
        learners=put(s.learners, i, EMPTY_LEARNER),
    )


def remove_learner(s: SystemState, i: int, j: int) -> SystemState:
    """``RemoveLearner(i, j)``: leader i drops its LearnerHandler for j."""
    ld = s.leaders[i]
    keep = ~(1 << j)
    ld = leader_with(
        ld,
        learners=ld.learners & keep,
        forwarding=ld.forwarding & keep,
        connecting_live=ld.connecting_live & keep,
        ackld_live=ld.ackld_live & keep,
        peer_last_zxid=put(ld.peer_last_zxid, j, SYNCED),
    )
    return state_with(s, leaders=put(s.leaders, i, ld))


def drop_session(s: SystemState, p: Params, i: int, j: int) -> SystemState:
    """The connection between leader i and learner j closes: i drops j (if it still has a
    session with it); j notices later, at its own ZabTimeout (``zookeeper_timing``)."""
    if s.servers[i].state == LEADING and s.leaders[i].learners >> j & 1:
        s = remove_learner(s, i, j)
    return state_with(s, network=net.close_connection(s.network, p.n, i, j))


def leader_shutdown(s: SystemState, p: Params, i: int, crashed: int = NULL) -> SystemState:
    """``LeaderShutdown(i)``: i and every learner connected to it go back to election.

    Their connections close, so the Zab messages between them are lost. ``crashed``
    (if any) is going down instead; the caller powers it off.
    """
    if p.zookeeper_timing:  # only i steps down; its learners notice the closed connections
        network = s.network
        for k in members(s.leaders[i].learners & ~(1 << i)):
            network = net.close_connection(network, p.n, i, k)
        s = state_with(s, network=network)
        return s if i == crashed else go_looking(s, p, i)
    cluster = s.leaders[i].learners | 1 << i
    s = state_with(s, network=net.clean_input(s.network, p.n, cluster))
    if p.tla_election:
        # ZabTimeoutInCluster: the crashed server too; a timeout queued, nothing sent
        return back_to_election(s, p, cluster, announce=False)
    if crashed != NULL:
        cluster &= ~(1 << crashed)
    return back_to_election(s, p, cluster)


def learner_leaves(s: SystemState, p: Params, j: int, crashed: bool = False) -> SystemState:
    """Learner j loses its leader (timeout, cut link or crash).

    The leader drops j, or shuts down when the voters left are no quorum
    (ZkV3_7_0.tla's follower branch of PartitionStart and NodeCrash). j goes back to
    election unless it ``crashed``.
    """
    leader = s.learners[j].leader
    # ZkV3_7_0.tla's crash of a learner is its FollowerShutdown first (a vote sent)
    crashed = crashed and not p.tla_election
    if leader == NULL:
        return s if crashed else go_looking(s, p, j)
    if p.zookeeper_timing:  # the leader drops j, and steps down later if it lost its quorum
        s = drop_session(s, p, leader, j)
        return s if crashed else go_looking(s, p, j)
    if not p.is_quorum(s.leaders[leader].learners & ~(1 << j)):
        return leader_shutdown(s, p, leader, crashed=j if crashed else NULL)
    s = remove_learner(s, leader, j)
    s = state_with(s, network=net.close_connection(s.network, p.n, leader, j))
    return s if crashed else go_looking(s, p, j)


#: The volatile state of a server that is down.
OFF_ELECTION_ROUND = 0


def power_off(s: SystemState, p: Params, i: int, recorder: Recorder | None = None) -> SystemState:
    """i stops: only its log, epochs and snapshot survive; its channels are emptied. A
    crash's count goes in ``recorder`` (None: the recorder stays), in the same update.

    A learner between SNAP and NEWLEADER has not written the leader's snapshot: its
    log on disk is the one it had before (:func:`snapshot_only_in_memory`).
    """
    srv = s.servers[i]
    if snapshot_only_in_memory(p, s.learners[i]):
        srv = server_with(srv, history=s.learners[i].disk_log)
    srv = server_with(
        srv,
        online=False,
        state=LOOKING,
        zab_state=ELECTION,
        last_committed=0,
        last_processed=0,
        initial_len=0,
    )
    # ZkV3_7_0.tla's crash keeps the election as it was, and its mail
    el = s.elections[i] if p.tla_election else _off_election(p)
    return state_with(
        s,
        servers=put(s.servers, i, srv),
        elections=put(s.elections, i, el),
        leaders=put(s.leaders, i, empty_leader(p.n)),
        learners=put(s.learners, i, EMPTY_LEARNER),
        network=net.isolate(s.network, p.n, i, notes=not p.tla_election),
        recorder=s.recorder if recorder is None else recorder,
    )


def _off_election(p: Params) -> Election:
    """The election record of a server that is down (one per number of servers and kind of
    election, shared)."""
    which = (p.n, p.coarse_election)
    el = _OFF_ELECTIONS.get(which)
    if el is None:
        empty = no_votes(p)
        el = Election(NOBODY, OFF_ELECTION_ROUND, empty, empty, (), False)
        _OFF_ELECTIONS[which] = el
    return el


_OFF_ELECTIONS: dict[tuple[int, bool], Election] = {}


def power_on(s: SystemState, p: Params, i: int) -> SystemState:
    """i restarts from disk: it replays its log, knows its snapshot committed, and looks."""
    srv = s.servers[i]
    srv = server_with(
        srv,
        online=True,
        state=LOOKING,
        zab_state=ELECTION,
        last_committed=srv.last_snapshot,
        last_processed=len(srv.history),
        initial_len=0,
    )
    if p.tla_election:  # ZkV3_7_0.tla's NodeStart resumes the election it left
        return state_with(s, servers=put(s.servers, i, srv))
    vote = kept_self_vote(p, srv, i)
    empty = no_votes(p)
    el = Election(vote, next_round(p, 0), empty, empty, (), False)
    s = state_with(s, servers=put(s.servers, i, srv), elections=put(s.elections, i, el))
    return send_own_notification(s, p, i)
