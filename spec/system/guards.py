"""Why an action is disabled: each action's guard as named conditions, checked in order.

The actions themselves return ``None`` when disabled and say nothing more; a replayed trace
that takes a step the spec does not allow needs to know which condition failed. Each entry
of :data:`GUARDS` lists an action's guard as (condition, predicate) pairs, mirroring the
guard at the top of the action's function, in the same order. :func:`why_disabled` returns
the first condition that does not hold. A test checks, over random walks, that an action
is enabled exactly when every condition of its entry holds.

A step that takes a message that cannot arrive where it does is *enabled* in this spec
(it records a breach, see :mod:`spec.system.receive`); its guard is only that the message
is at the head of the channel.
"""

from __future__ import annotations

from collections.abc import Callable

from spec.system import channels as net
from spec.system.constants import (
    ACK,
    ACKEPOCH,
    BROADCAST,
    COMMIT,
    DIFF,
    FOLLOWERINFO,
    FOLLOWING,
    INFORM,
    LEADERINFO,
    LEADING,
    LOOKING,
    MESSAGE_TYPE_NAMES,
    NEWLEADER,
    NULL,
    OBSERVING,
    PROPOSAL,
    SNAP,
    SYNCED,
    SYNCHRONIZATION,
    TRUNC,
    UPTODATE,
)
from spec.system.params import Params
from spec.system.receive import is_leader_of, is_learner_of
from spec.system.state import SystemState
from spec.system.zxid import counter_of

Args = tuple[int, ...]
Condition = Callable[[SystemState, Params, Args], bool]
Guard = tuple[tuple[str, Condition], ...]


def _up(k: int) -> Condition:
    return lambda s, p, a: s.servers[a[k]].online


def _down(k: int) -> Condition:
    return lambda s, p, a: not s.servers[a[k]].online


def _role(k: int, *roles: int) -> Condition:
    return lambda s, p, a: s.servers[a[k]].state in roles


def _fine(s: SystemState, p: Params, a: Args) -> bool:
    return not p.coarse_election


def _head(*types: int) -> tuple[tuple[str, Condition], ...]:
    names = " or ".join(MESSAGE_TYPE_NAMES[t] for t in types)

    def at_head(s: SystemState, p: Params, a: Args) -> bool:
        msg = net.zab_head(s.network, p.n, a[0], a[1])
        return msg is not None and msg[0] in types

    return (
        ("the receiver is up", _up(0)),
        (
            f"{'an' if names[0] in 'AEIOU' else 'a'} {names} from the peer is next on the channel",
            at_head,
        ),
    )


def _in_sync_with(s: SystemState, p: Params, a: Args) -> bool:
    return is_learner_of(s, a[0], a[1]) and s.servers[a[0]].zab_state == SYNCHRONIZATION


def _quorum_serving(s: SystemState, p: Params, a: Args) -> bool:
    i = a[0]
    ld = s.leaders[i]
    serving = 1 << i
    for k in range(p.n):
        if ld.forwarding >> k & 1 and s.servers[k].zab_state == BROADCAST:
            serving |= 1 << k
    return p.is_quorum(serving)


def _new_epoch_within_bound(s: SystemState, p: Params, a: Args) -> bool:
    i, j = a
    ld = s.leaders[i]
    if p.is_quorum(ld.connecting):
        return True
    msg = net.zab_head(s.network, p.n, i, j)
    connecting = ld.connecting | 1 << j
    return not p.is_quorum(connecting) or max(ld.new_epoch, msg.epoch + 1) <= p.max_epoch


def _unsynced(s: SystemState, p: Params, a: Args) -> bool:
    lrn = s.learners[a[0]]
    return bool(lrn.queued) if p.queued_logging else lrn.unacked > 0


#: ``LeaderProcessACK(i, i)``: the leader's own ack, once its log is synced.
OWN_ACK = "LeaderProcessACK(i, i)"

GUARDS: dict[str, Guard] = {
    "FLEReceiveNotmsg": (
        ("the fine-grained election is on", _fine),
        ("the receiver is up", _up(0)),
        (
            "a notification from the peer is on its way",
            lambda s, p, a: net.notification_head(s.network, p.n, a[0], a[1]) is not None,
        ),
    ),
    "FLENotmsgTimeout": (
        ("the fine-grained election is on", _fine),
        ("the server is up", _up(0)),
        ("the server is LOOKING", _role(0, LOOKING)),
        ("its receive queue is empty", lambda s, p, a: not s.elections[a[0]].queue),
        (
            "it is not in its final wait (unless FastLeaderElection.tla's)",
            lambda s, p, a: p.tla_election or not s.elections[a[0]].waiting,
        ),
        ("the timeout budget is not spent", lambda s, p, a: s.recorder.timeouts < p.max_timeouts),
        (
            "no notification is on its way to it (unless zookeeper_timing)",
            lambda s, p, a: p.zookeeper_timing or net.no_notification_for(s.network, p.n, a[0]),
        ),
    ),
    "FLEHandleNotmsg": (
        ("the fine-grained election is on", _fine),
        ("the server is up", _up(0)),
        ("the server is LOOKING", _role(0, LOOKING)),
        ("it is not in its final wait", lambda s, p, a: not s.elections[a[0]].waiting),
        ("its receive queue holds a notification", lambda s, p, a: bool(s.elections[a[0]].queue)),
    ),
    "FLEWaitNewNotmsg": (
        ("the fine-grained election is on", _fine),
        ("the server is up", _up(0)),
        ("the server is LOOKING", _role(0, LOOKING)),
        ("it is in its final wait (a quorum agrees)", lambda s, p, a: s.elections[a[0]].waiting),
    ),
    "NodeCrash": (
        ("the server is up", _up(0)),
        ("the crash budget is not spent", lambda s, p, a: s.recorder.crashes < p.max_crashes),
    ),
    "NodeStart": (("the server is down", _down(0)),),
    "ZabTimeout": (
        ("the server is up", _up(0)),
        ("the server is not LOOKING", _role(0, FOLLOWING, LEADING, OBSERVING)),
        ("the timeout budget is not spent", lambda s, p, a: s.recorder.timeouts < p.max_timeouts),
    ),
    "LeaderProcessRequest": (
        ("the server is up", _up(0)),
        ("the server is LEADING", _role(0, LEADING)),
        ("it is in BROADCAST", lambda s, p, a: s.servers[a[0]].zab_state == BROADCAST),
        ("the request budget is not spent", lambda s, p, a: s.recorder.requests < p.max_txns),
        (
            "a quorum of voters it forwards to is in BROADCAST (unless zookeeper_timing)",
            lambda s, p, a: p.zookeeper_timing or _quorum_serving(s, p, a),
        ),
    ),
    "FollowerSyncProcessorLogRequest": (
        (
            "logging is asynchronous (zookeeper_timing, or a bug variant that queues)",
            lambda s, p, a: p.queued_logging or p.zookeeper_timing,
        ),
        ("the server is up", _up(0)),
        ("it has logged transactions not yet on disk", _unsynced),
        ("it is connected to a leader", lambda s, p, a: s.learners[a[0]].leader >= 0),
    ),
    "PartitionStart": (
        (
            "the partition budget is not spent",
            lambda s, p, a: s.recorder.partitions < p.max_partitions,
        ),
        (
            "both servers are up (unless zookeeper_timing)",
            lambda s, p, a: p.zookeeper_timing or (_up(0)(s, p, a) and _up(1)(s, p, a)),
        ),
        ("the link is not cut", lambda s, p, a: not net.link_cut(s.network, p.n, a[0], a[1])),
    ),
    "PartitionRecover": (
        ("the link is cut", lambda s, p, a: net.link_cut(s.network, p.n, a[0], a[1])),
    ),
    "ConnectAndFollowerSendFOLLOWERINFO": (
        ("the leader is up", _up(0)),
        ("the learner is up", _up(1)),
        ("the leader is LEADING", _role(0, LEADING)),
        ("the learner is FOLLOWING or OBSERVING", _role(1, FOLLOWING, OBSERVING)),
        ("the learner is not yet connected", lambda s, p, a: s.learners[a[1]].leader == NULL),
        ("the learner voted for the leader", lambda s, p, a: s.elections[a[1]].vote.leader == a[0]),
        (
            "the leader has no session with the learner yet",
            lambda s, p, a: not s.leaders[a[0]].learners >> a[1] & 1,
        ),
        ("the link is not cut", lambda s, p, a: not net.link_cut(s.network, p.n, a[0], a[1])),
    ),
    "LeaderSyncFollower": (
        ("the leader is up", _up(0)),
        ("the leader is LEADING", _role(0, LEADING)),
        (
            "its epoch is established (a quorum of ACKEPOCH)",
            lambda s, p, a: p.is_quorum(s.leaders[a[0]].electing_quorum),
        ),
        (
            "it has the learner's ACKEPOCH and a session with it",
            lambda s, p, a: bool((s.leaders[a[0]].electing & s.leaders[a[0]].learners) >> a[1] & 1),
        ),
        (
            "the learner is not yet synchronized",
            lambda s, p, a: s.leaders[a[0]].peer_last_zxid[a[1]] != SYNCED,
        ),
    ),
    "LeaderProcessFOLLOWERINFO": (
        *_head(FOLLOWERINFO),
        ("the new epoch is within the bound max_epoch", _new_epoch_within_bound),
    ),
    "FollowerProcessLEADERINFO": _head(LEADERINFO),
    "LeaderProcessACKEPOCH": _head(ACKEPOCH),
    "FollowerProcessSyncMessage": _head(DIFF, TRUNC, SNAP),
    "FollowerProcessPROPOSALInSync": (
        *_head(PROPOSAL),
        ("the receiver is in SYNCHRONIZATION with the sender as leader", _in_sync_with),
    ),
    "FollowerProcessCOMMITInSync": (
        *_head(COMMIT),
        ("the receiver is in SYNCHRONIZATION with the sender as leader", _in_sync_with),
    ),
    "FollowerProcessPROPOSAL": (
        *_head(PROPOSAL),
        (
            "the receiver is not in SYNCHRONIZATION with the sender (else: ...InSync)",
            lambda s, p, a: not _in_sync_with(s, p, a),
        ),
    ),
    "FollowerProcessCOMMIT": (
        *_head(COMMIT),
        (
            "the receiver is not in SYNCHRONIZATION with the sender (else: ...InSync)",
            lambda s, p, a: not _in_sync_with(s, p, a),
        ),
    ),
    "FollowerProcessNEWLEADER": (
        *_head(NEWLEADER),
        (
            "the first half of NEWLEADER is not done already (bug variants that split it)",
            lambda s, p, a: (
                not (
                    p.split_newleader
                    and is_learner_of(s, a[0], a[1])
                    and s.learners[a[0]].nl_received
                )
            ),
        ),
    ),
    "FollowerProcessNEWLEADERAfterCurrentEpochUpdated": (
        ("a bug variant that splits NEWLEADER is on", lambda s, p, a: p.split_newleader),
        *_head(NEWLEADER),
        ("the receiver is a learner of the sender", lambda s, p, a: is_learner_of(s, a[0], a[1])),
        ("the first half is done", lambda s, p, a: s.learners[a[0]].nl_received),
    ),
    "LeaderProcessACKLD": (
        *_head(ACK),
        (
            "the peer's first ACK after NEWLEADER is not read yet (or, at a server that does "
            "not lead the peer, the ACK is of NEWLEADER)",
            lambda s, p, a: _first_ack_unread(s, p, a),
        ),
    ),
    "FollowerProcessUPTODATE": (
        *_head(UPTODATE),
        (
            "no transaction waits for disk (a learner of the sender)",
            lambda s, p, a: not (is_learner_of(s, a[0], a[1]) and s.learners[a[0]].queued),
        ),
    ),
    "LeaderProcessACK": (
        *_head(ACK),
        (
            "the peer's first ACK after NEWLEADER was read (or, at a server that does not "
            "lead the peer, the ACK is of a proposal)",
            lambda s, p, a: not _first_ack_unread(s, p, a),
        ),
    ),
    OWN_ACK: (
        ("logging is asynchronous (zookeeper_timing)", lambda s, p, a: p.zookeeper_timing),
        ("the server is up", _up(0)),
        ("the server is LEADING", _role(0, LEADING)),
        ("it is in BROADCAST", lambda s, p, a: s.servers[a[0]].zab_state == BROADCAST),
        (
            "it has an uncommitted proposal it has not acked itself",
            lambda s, p, a: any(
                not x >> a[0] & 1 for x in s.leaders[a[0]].acks[s.servers[a[0]].last_committed :]
            ),
        ),
    ),
    "ObserverProcessINFORM": _head(INFORM),
}


def _first_ack_unread(s: SystemState, p: Params, a: Args) -> bool:
    """Whether the ACK next from a[1] to a[0] is LeaderProcessACKLD's to take."""
    i, j = a
    if not is_leader_of(s, i, j):
        msg = net.zab_head(s.network, p.n, i, j)
        return counter_of(msg.zxid) == 0
    return not s.leaders[i].ackld_live >> j & 1


def why_disabled(name: str, s: SystemState, p: Params, args: Args) -> str | None:
    """The first condition of ``name``'s guard that fails in ``s``, or ``None`` if all hold."""
    if name == "LeaderProcessACK" and args[0] == args[1]:
        name = OWN_ACK
    for condition, holds in GUARDS.get(name, ()):
        if not holds(s, p, args):
            return condition
    return None


__all__ = ["GUARDS", "why_disabled"]
