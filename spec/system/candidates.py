"""Who may take each step in a state: the servers for which a step's guard can hold.

Next tries every step of every server (and pair of servers), and most guards fail at
their first condition: a server that is down takes no step but NodeStart, one that is
LOOKING no Zab step, a step whose budget is spent is taken by nobody. This module reads
those first conditions once per state, as bitmasks of servers (:class:`Roles`), and gives
for each step a superset of the servers whose guard can hold (the *candidates*). The
search then calls a step only for its candidates; the step still checks its whole guard.

Each selector below names the conditions of its step's guard that it reads (see
:mod:`spec.system.guards`). A selector may only drop servers whose guard fails: it is a
necessary condition, never a sufficient one. ``tests/system/test_candidates.py`` compares
the successors found this way with those of trying every step of every server, on the
states of several bound configurations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from spec.system.constants import BROADCAST, LEADING, LOOKING, NULL, SYNCED
from spec.system.params import Params
from spec.system.state import SystemState


class Roles(NamedTuple):
    """The servers of one state by what they are, as bitmasks; and the budgets left."""

    every: int  # all servers
    up: int  # online
    down: int  # offline
    looking: int  # online and LOOKING
    queued: int  # online and LOOKING, with a receive queue that is not empty
    waiting: int  # online and LOOKING, in its final wait
    leading: int  # online and LEADING
    learning: int  # online and FOLLOWING or OBSERVING
    broadcasting: int  # online, LEADING and in BROADCAST
    unconnected: int  # online, FOLLOWING or OBSERVING, and connected to no leader
    unsynced: int  # a learner that a leader up with an established epoch has yet to sync
    crashes_left: bool
    timeouts_left: bool
    partitions_left: bool
    requests_left: bool
    links_cut: bool  # some link is partitioned


def roles(s: SystemState, p: Params) -> Roles:
    """The :class:`Roles` of state ``s``."""
    up = looking = queued = waiting = leading = learning = 0
    broadcasting = unconnected = unsynced = 0
    for i, srv in enumerate(s.servers):
        if not srv.online:
            continue
        me = 1 << i
        up |= me
        if srv.state == LOOKING:
            looking |= me
            el = s.elections[i]
            if el.queue:
                queued |= me
            if el.waiting:
                waiting |= me
        elif srv.state == LEADING:
            leading |= me
            if srv.zab_state == BROADCAST:
                broadcasting |= me
            ld = s.leaders[i]
            if p.is_quorum(ld.electing_quorum):  # LeaderSyncFollower's guard
                session = ld.electing & ld.learners
                for j, peer in enumerate(ld.peer_last_zxid):
                    if session >> j & 1 and peer != SYNCED:
                        unsynced |= 1 << j
        else:
            learning |= me
            if s.learners[i].leader == NULL:
                unconnected |= me
    every = (1 << p.n) - 1
    rec = s.recorder
    return Roles(
        every,
        up,
        every & ~up,
        looking,
        queued,
        waiting,
        leading,
        learning,
        broadcasting,
        unconnected,
        unsynced,
        rec.crashes < p.max_crashes,
        rec.timeouts < p.max_timeouts,
        rec.partitions < p.max_partitions,
        rec.requests < p.max_txns,
        s.network.cut != 0,
    )


#: Who may take a step of one server: the mask of candidates.
ServerSelector = Callable[[Roles, Params], int]
#: Who may take a step of a pair (i, j): the candidates for i and for j.
PairSelector = Callable[[Roles, Params], tuple[int, int]]

NOBODY = 0


def poll_timeout(r: Roles, p: Params) -> int:
    """FLENotmsgTimeout: the fine-grained election is on, the server is up and LOOKING, its
    receive queue is empty, it is not in its final wait (unless FastLeaderElection.tla's),
    and the timeout budget is not spent."""
    if p.coarse_election or not r.timeouts_left:
        return NOBODY
    idle = r.looking & ~r.queued
    return idle if p.tla_election else idle & ~r.waiting


def handle(r: Roles, p: Params) -> int:
    """FLEHandleNotmsg: the fine-grained election is on, the server is up and LOOKING, not
    in its final wait, and its receive queue is not empty."""
    return NOBODY if p.coarse_election else r.queued & ~r.waiting


def wait(r: Roles, p: Params) -> int:
    """FLEWaitNewNotmsg: the fine-grained election is on, the server is up, LOOKING and in
    its final wait."""
    return NOBODY if p.coarse_election else r.waiting


def crash(r: Roles, p: Params) -> int:
    """NodeCrash: the server is up and the crash budget is not spent."""
    return r.up if r.crashes_left else NOBODY


def start(r: Roles, p: Params) -> int:
    """NodeStart: the server is down."""
    return r.down


def zab_timeout(r: Roles, p: Params) -> int:
    """ZabTimeout: the server is up and not LOOKING, and the timeout budget is not spent."""
    return r.leading | r.learning if r.timeouts_left else NOBODY


def request(r: Roles, p: Params) -> int:
    """LeaderProcessRequest: the server is up, LEADING and in BROADCAST, and the request
    budget is not spent."""
    return r.broadcasting if r.requests_left else NOBODY


def log_request(r: Roles, p: Params) -> int:
    """FollowerSyncProcessorLogRequest: logging is asynchronous and the server is up."""
    return r.up if p.queued_logging or p.zookeeper_timing else NOBODY


def own_ack(r: Roles, p: Params) -> int:
    """LeaderProcessACK(i, i): logging is asynchronous (zookeeper_timing), i is up and
    LEADING."""
    return r.leading if p.zookeeper_timing else NOBODY


def elect(r: Roles, p: Params) -> int:
    """ElectLeader: the coarse election is on, the server is a voter, up and LOOKING."""
    return r.looking & p.voter_mask if p.coarse_election else NOBODY


def follow(r: Roles, p: Params) -> tuple[int, int]:
    """FollowLeader(i, j): the coarse election is on, i is up and LOOKING, j up and
    LEADING."""
    return (r.looking, r.leading) if p.coarse_election else (NOBODY, NOBODY)


def cut(r: Roles, p: Params) -> tuple[int, int]:
    """PartitionStart(i, j): the partition budget is not spent, and both are up (unless
    zookeeper_timing)."""
    if not r.partitions_left:
        return NOBODY, NOBODY
    both = r.every if p.zookeeper_timing else r.up
    return both, both


def heal(r: Roles, p: Params) -> tuple[int, int]:
    """PartitionRecover(i, j): some link is cut (which one, the step checks)."""
    return (r.every, r.every) if r.links_cut else (NOBODY, NOBODY)


def connect(r: Roles, p: Params) -> tuple[int, int]:
    """ConnectAndFollowerSendFOLLOWERINFO(i, j): i is up and LEADING, j up, FOLLOWING or
    OBSERVING and not yet connected."""
    return r.leading, r.unconnected


def sync(r: Roles, p: Params) -> tuple[int, int]:
    """LeaderSyncFollower(i, j): i is up, LEADING, its epoch established; it has j's
    ACKEPOCH and a session with j, and j is not yet synchronized (by i, or another such
    leader: the step checks which)."""
    return r.leading, r.unsynced


__all__ = [
    "PairSelector",
    "Roles",
    "ServerSelector",
    "connect",
    "crash",
    "cut",
    "elect",
    "follow",
    "handle",
    "heal",
    "log_request",
    "own_ack",
    "poll_timeout",
    "request",
    "roles",
    "start",
    "sync",
    "wait",
    "zab_timeout",
]
