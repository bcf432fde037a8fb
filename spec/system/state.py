"""The variables of the system spec, in named groups, as immutable and hashable values.

Servers are ids ``0 .. n-1`` (reports show ZooKeeper's myids ``s1 .. sn``); voters come
first, then observers. A per-server group is a tuple indexed by id, a set of servers is
a bitmask, a zxid is one int (see :mod:`spec.system.zxid`). What grows with a run (the
logs, a leader's acks per entry, the ghost logs) becomes a :class:`~spec.system.log.Log`
once long: a sequence equal to and hashed as the tuple of its entries, whose append does
not copy it (:mod:`spec.system.log`).
The groups follow ZkV3_7_0.tla: serverVars, electionVars (FastLeaderElection.tla), leaderVars,
followerVars, the network, verifyVars (ghost variables that only invariants read) and
the recorder of bounded events.

What a crash keeps is what ZooKeeper persists: :class:`Server`'s ``history`` (the
transaction log), ``accepted_epoch``, ``current_epoch`` and ``last_snapshot``.
Everything else is volatile. Volatile groups that a role does not use are kept at
their empty value, so that states differing only in dead data are one state; so, under
the coarse election, are a vote's zxid and epoch (spec.system.election.votes.kept_vote)
and a leader's discovery masks once they have done their work
(spec.system.discovery.epoch_decided, epoch_established).
"""

from __future__ import annotations

from collections import deque
from functools import cache
from operator import indexOf, itemgetter, lt
from typing import NamedTuple

from spec.replace import quick_replace
from spec.system.constants import ELECTION, LOOKING, MAX_EPOCHS_RECORDED, NO_SYNC, NULL, SYNCED
from spec.system.log import Entries, search


class Txn(NamedTuple):
    """A transaction in a log: its zxid and the client's value (unique per request)."""

    zxid: int
    value: int


#: A server's transaction log (and the ghost committed log).
History = Entries[Txn]
#: Transactions a learner holds during sync, as long as one sync's.
Txns = tuple[Txn, ...]


class Server(NamedTuple):
    """serverVars of one server."""

    online: bool  # status: ONLINE or OFFLINE
    state: int  # LOOKING / FOLLOWING / LEADING / OBSERVING
    zab_state: int  # ELECTION / DISCOVERY / SYNCHRONIZATION / BROADCAST
    accepted_epoch: int  # f.p, persisted: epoch of the last LEADERINFO accepted
    current_epoch: int  # f.a, persisted: epoch of the last NEWLEADER accepted
    history: History  # the transaction log on disk, persisted
    last_snapshot: int  # entries covered by the latest snapshot, persisted
    last_committed: int  # entries committed (delivered): lastCommitted.index
    last_processed: int  # entries applied to the data tree: lastProcessed.index
    initial_len: int  # length of initialHistory: the log as it was when election ended


class Vote(NamedTuple):
    """A vote: proposed leader, proposed zxid, proposed epoch (Vote.java)."""

    leader: int
    zxid: int
    epoch: int


class Notification(NamedTuple):
    """An FLE notification: the sender's vote, round and state.

    ``own_zxid`` and ``own_epoch`` are ghost fields, not on ZooKeeper's wire: the
    sender's own vote (its last zxid and currentEpoch) when it sent, so that the
    election property can compare the winner with every LOOKING voter's own vote; a
    decided sender's are 0 (never compared, so never kept).
    """

    source: int
    state: int
    round: int  # electionEpoch: the sender's logicalclock
    leader: int
    zxid: int
    epoch: int  # peerEpoch
    own_zxid: int
    own_epoch: int


#: The signal FLENotmsgTimeout puts in the receive queue (FastLeaderElection.tla's NONE).
TIMEOUT_SIGNAL: tuple = ()


class ReceivedVote(NamedTuple):
    """A vote a server holds for a peer in recvset or outofelection."""

    leader: int
    zxid: int
    epoch: int
    round: int
    state: int
    own_zxid: int
    own_epoch: int


NO_VOTE = ReceivedVote(NULL, 0, 0, 0, LOOKING, 0, 0)


class Election(NamedTuple):
    """electionVars of one server (FastLeaderElection.tla)."""

    vote: Vote  # currentVote
    round: int  # logicalclock
    received: tuple[ReceivedVote, ...]  # recvset, one entry per server
    out_of_election: tuple[ReceivedVote, ...]  # outofelection
    queue: tuple  # recvqueue: notifications and timeout signals
    waiting: bool  # waitNotmsg: a quorum agrees, waiting for a better notification


class Leader(NamedTuple):
    """leaderVars of one server; all empty unless it leads."""

    learners: int  # mask: learners connected (LearnerHandlers)
    connecting: int  # mask: connectingFollowers (FOLLOWERINFO received); see epoch_decided
    connecting_live: int  # mask: those still connected
    electing: int  # mask: electingFollowers (ACKEPOCH received)
    electing_quorum: int  # mask: those counted towards the quorum (inQuorum); epoch_established
    peer_last_zxid: tuple[int, ...]  # per server: lastZxid from ACKEPOCH, SYNCED once synced
    ackld: int  # mask: newLeaderProposal's acks (ACK of NEWLEADER received)
    ackld_live: int  # mask: connected learners whose first ACK after NEWLEADER was read
    forwarding: int  # mask: learners synced (forwardingFollowers and observingLearners)
    new_epoch: int  # epoch being proposed: max acceptedEpoch received + 1
    acks: Entries[int]  # per log entry: mask of voters that acked it


class Learner(NamedTuple):
    """followerVars of one server (followers and observers); all empty unless it learns."""

    leader: int  # connectInfo.sid: the leader it is connected to, or NULL
    sync_mode: int  # NO_SYNC / SYNC_DIFF / SYNC_TRUNC / SYNC_SNAP
    nl_received: bool  # NEWLEADER has been processed
    not_committed: Txns  # packetsNotCommitted: proposals received during sync
    committed: tuple[int, ...]  # packetsCommitted: zxids committed during sync
    queued: Txns  # SyncRequestProcessor's queue (bug variants only): logged later
    unacked: int = 0  # zookeeper_timing: entries at the end of the log not yet synced and acked
    #: From SNAP to NEWLEADER (ZooKeeper, not ZkV3_7_0.tla): the log still on disk. The
    #: leader's snapshot is only in memory (ZKDatabase.deserializeSnapshot) until NEWLEADER
    #: writes it (Learner.syncWithLeader's takeSnapshot), so a learner that crashes or goes
    #: back to election in between reloads this log (see spec.system.role_changes).
    disk_log: History = ()


class Network(NamedTuple):
    """msgVars and the partition.

    ``msgs[src * n + dst]`` is the FIFO channel of Zab messages from src to dst,
    ``notes[src * n + dst]`` the channel of FLE notifications. ``cut`` has bit
    ``src * n + dst`` set, for both directions, while the link is partitioned.
    """

    msgs: tuple[tuple, ...]
    notes: tuple[tuple, ...]
    cut: int


class ProposalRecord(NamedTuple):
    """A record of proposalMsgsLog: a txn a primary broadcast in an epoch.

    The epoch comes first, so that in the sorted log of records a primary's new proposals
    go at the end, where a log appends without copying.
    """

    epoch: int
    source: int
    zxid: int
    value: int


class Breach(NamedTuple):
    """A check made inside an action that failed (ZkV3_7_0.tla's violatedInvariants).

    ``kind`` is one of :data:`spec.system.ghost.BREACH_NAMES`; ``server`` took the
    step, ``peer`` is the other server involved (or NULL), ``zxid`` the zxid at stake,
    ``message`` the type of the message taken (or NULL).
    """

    kind: int
    server: int
    peer: int
    zxid: int
    message: int = NULL


class Ghost(NamedTuple):
    """verifyVars: what only the invariants read."""

    epoch_leader: tuple[int, ...]  # epoch_leader[e - 1]: mask of servers established for e
    proposals: Entries[ProposalRecord]  # proposalMsgsLog, sorted
    committed: History  # the longest prefix any leader has committed (MSPEC's committedLog)
    breaches: tuple[Breach, ...]


class Recorder(NamedTuple):
    """Counters of bounded events."""

    requests: int = 0
    timeouts: int = 0
    crashes: int = 0
    partitions: int = 0


class SystemState(NamedTuple):
    """One state of the system spec."""

    servers: tuple[Server, ...]
    elections: tuple[Election, ...]
    leaders: tuple[Leader, ...]
    learners: tuple[Learner, ...]
    network: Network
    ghost: Ghost
    recorder: Recorder


@cache  # a value, so one for each n serves every state
def empty_leader(n: int) -> Leader:
    """The leader record of a server that leads no one (one record per ``n``, shared: a
    crash and every return to election put it, and building it cost more than the rest
    of a crash's records)."""
    leader = _EMPTY_LEADERS.get(n)
    if leader is None:
        leader = _EMPTY_LEADERS[n] = Leader(0, 0, 0, 0, 0, (SYNCED,) * n, 0, 0, 0, 0, ())
    return leader


_EMPTY_LEADERS: dict[int, Leader] = {}


EMPTY_LEARNER = Learner(NULL, NO_SYNC, False, (), (), ())


def fresh_server(online: bool = True) -> Server:
    """A server that has never run: LOOKING, empty log, epochs 0."""
    return Server(online, LOOKING, ELECTION, 0, 0, (), 0, 0, 0, 0)


def empty_ghost() -> Ghost:
    return Ghost((0,) * MAX_EPOCHS_RECORDED, (), (), ())


# Helpers for the EXCEPT-style updates every action makes.


def put(values: tuple, i: int, value: object) -> tuple:
    """``[values EXCEPT ![i] = value]``."""
    changed = list(values)  # faster than joining two slices around the new value
    changed[i] = value
    return tuple(changed)


# Each group's _replace is generated from its field names (spec.replace): same results as
# NamedTuple's own, about twice as fast.
for _group in (
    Txn,
    Server,
    Vote,
    Notification,
    ReceivedVote,
    Election,
    Leader,
    Learner,
    Network,
    ProposalRecord,
    Breach,
    Ghost,
    Recorder,
    SystemState,
):
    quick_replace(_group)


# The same updates as compiled functions, for the steps the search runs per state: called
# from compiled code, a generated _replace runs in the interpreter (a frame, its keyword
# arguments matched by name), about three times the cost of building the record here
# (``tests/system/test_state_updates.py`` holds each to ``_replace``).

_new = tuple.__new__


def state_with(
    s: SystemState,
    *,
    servers: tuple[Server, ...] | None = None,
    elections: tuple[Election, ...] | None = None,
    leaders: tuple[Leader, ...] | None = None,
    learners: tuple[Learner, ...] | None = None,
    network: Network | None = None,
    ghost: Ghost | None = None,
    recorder: Recorder | None = None,
) -> SystemState:
    """``s._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        SystemState,
        (
            s.servers if servers is None else servers,
            s.elections if elections is None else elections,
            s.leaders if leaders is None else leaders,
            s.learners if learners is None else learners,
            s.network if network is None else network,
            s.ghost if ghost is None else ghost,
            s.recorder if recorder is None else recorder,
        ),
    )


def server_with(
    srv: Server,
    *,
    online: bool | None = None,
    state: int | None = None,
    zab_state: int | None = None,
    accepted_epoch: int | None = None,
    current_epoch: int | None = None,
    history: History | None = None,
    last_snapshot: int | None = None,
    last_committed: int | None = None,
    last_processed: int | None = None,
    initial_len: int | None = None,
) -> Server:
    """``srv._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        Server,
        (
            srv.online if online is None else online,
            srv.state if state is None else state,
            srv.zab_state if zab_state is None else zab_state,
            srv.accepted_epoch if accepted_epoch is None else accepted_epoch,
            srv.current_epoch if current_epoch is None else current_epoch,
            srv.history if history is None else history,
            srv.last_snapshot if last_snapshot is None else last_snapshot,
            srv.last_committed if last_committed is None else last_committed,
            srv.last_processed if last_processed is None else last_processed,
            srv.initial_len if initial_len is None else initial_len,
        ),
    )


def election_with(
    el: Election,
    *,
    vote: Vote | None = None,
    round: int | None = None,
    received: tuple[ReceivedVote, ...] | None = None,
    out_of_election: tuple[ReceivedVote, ...] | None = None,
    queue: tuple | None = None,
    waiting: bool | None = None,
) -> Election:
    """``el._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        Election,
        (
            el.vote if vote is None else vote,
            el.round if round is None else round,
            el.received if received is None else received,
            el.out_of_election if out_of_election is None else out_of_election,
            el.queue if queue is None else queue,
            el.waiting if waiting is None else waiting,
        ),
    )


def leader_with(
    ld: Leader,
    *,
    learners: int | None = None,
    connecting: int | None = None,
    connecting_live: int | None = None,
    electing: int | None = None,
    electing_quorum: int | None = None,
    peer_last_zxid: tuple[int, ...] | None = None,
    ackld: int | None = None,
    ackld_live: int | None = None,
    forwarding: int | None = None,
    new_epoch: int | None = None,
    acks: Entries[int] | None = None,
) -> Leader:
    """``ld._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        Leader,
        (
            ld.learners if learners is None else learners,
            ld.connecting if connecting is None else connecting,
            ld.connecting_live if connecting_live is None else connecting_live,
            ld.electing if electing is None else electing,
            ld.electing_quorum if electing_quorum is None else electing_quorum,
            ld.peer_last_zxid if peer_last_zxid is None else peer_last_zxid,
            ld.ackld if ackld is None else ackld,
            ld.ackld_live if ackld_live is None else ackld_live,
            ld.forwarding if forwarding is None else forwarding,
            ld.new_epoch if new_epoch is None else new_epoch,
            ld.acks if acks is None else acks,
        ),
    )


def learner_with(
    lrn: Learner,
    *,
    leader: int | None = None,
    sync_mode: int | None = None,
    nl_received: bool | None = None,
    not_committed: Txns | None = None,
    committed: tuple[int, ...] | None = None,
    queued: Txns | None = None,
    unacked: int | None = None,
    disk_log: History | None = None,
) -> Learner:
    """``lrn._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        Learner,
        (
            lrn.leader if leader is None else leader,
            lrn.sync_mode if sync_mode is None else sync_mode,
            lrn.nl_received if nl_received is None else nl_received,
            lrn.not_committed if not_committed is None else not_committed,
            lrn.committed if committed is None else committed,
            lrn.queued if queued is None else queued,
            lrn.unacked if unacked is None else unacked,
            lrn.disk_log if disk_log is None else disk_log,
        ),
    )


def network_with(
    net: Network,
    *,
    msgs: tuple[tuple, ...] | None = None,
    notes: tuple[tuple, ...] | None = None,
    cut: int | None = None,
) -> Network:
    """``net._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        Network,
        (
            net.msgs if msgs is None else msgs,
            net.notes if notes is None else notes,
            net.cut if cut is None else cut,
        ),
    )


def ghost_with(
    g: Ghost,
    *,
    epoch_leader: tuple[int, ...] | None = None,
    proposals: Entries[ProposalRecord] | None = None,
    committed: History | None = None,
    breaches: tuple[Breach, ...] | None = None,
) -> Ghost:
    """``g._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        Ghost,
        (
            g.epoch_leader if epoch_leader is None else epoch_leader,
            g.proposals if proposals is None else proposals,
            g.committed if committed is None else committed,
            g.breaches if breaches is None else breaches,
        ),
    )


def recorder_with(
    rec: Recorder,
    *,
    requests: int | None = None,
    timeouts: int | None = None,
    crashes: int | None = None,
    partitions: int | None = None,
) -> Recorder:
    """``rec._replace(...)`` of the fields given (None keeps a field)."""
    return _new(
        Recorder,
        (
            rec.requests if requests is None else requests,
            rec.timeouts if timeouts is None else timeouts,
            rec.crashes if crashes is None else crashes,
            rec.partitions if partitions is None else partitions,
        ),
    )


def members(mask: int) -> list[int]:
    """The servers in a bitmask, in id order."""
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def last_zxid(history: History, length: int | None = None) -> int:
    """The zxid of entry ``length`` (default: the last one), or 0 for none."""
    k = len(history) if length is None else length
    return history[k - 1].zxid if k > 0 else 0


def index_of_zxid(history: History, zxid: int) -> int:
    """The 1-based position of ``zxid`` in ``history``; 0 for zxid 0; ``len + 1`` if absent."""
    if zxid == 0:
        return 0
    if len(history) > LONG_HISTORY and _increasing(history):
        k = search(history, (zxid,))  # a Txn compares as (zxid, value)
        return k + 1 if k < len(history) and history[k].zxid == zxid else len(history) + 1
    try:  # the first entry with that zxid (Txn's field 0), found in C
        return indexOf(map(itemgetter(0), history), zxid) + 1
    except ValueError:
        return len(history) + 1


#: A history longer than this (a long recorded run's) is searched by bisection when its
#: zxids increase, as they do unless a bug left it inconsistent.
LONG_HISTORY = 64


def _increasing(history: History) -> bool:
    """Whether the zxids of ``history`` strictly increase; memoized, as a long history mostly
    extends one seen just before (its prefix compares by identity, in C; only the tail is
    checked)."""
    found = _INCREASING.get(id(history))
    if found is not None and found[0] is history:
        return found[1]
    result = None
    for prev, prev_result in _INCREASING_RECENT:
        n = len(prev)
        if n <= len(history) and history[n - 1] is prev[-1] and history[:n] == prev:
            tail = [t.zxid for t in history[n - 1 :]]
            result = prev_result and all(map(lt, tail, tail[1:]))
            break
    if result is None:
        zxids = [t.zxid for t in history]
        result = all(map(lt, zxids, zxids[1:]))
    if len(_INCREASING) > 256:  # few: each holds a whole long log (a replayed run's)
        _INCREASING.clear()
    _INCREASING[id(history)] = (history, result)
    _INCREASING_RECENT.appendleft((history, result))
    return result


_INCREASING: dict[int, tuple[History, bool]] = {}
_INCREASING_RECENT: deque[tuple[History, bool]] = deque(maxlen=8)


def index_at_or_below(history: History, zxid: int) -> int:
    """ZkV3_7_0.tla's ``IndexOfZxid``: the last position whose zxid is at most ``zxid``."""
    k = 0
    for txn in history:
        if txn.zxid > zxid:
            break
        k += 1
    return k
