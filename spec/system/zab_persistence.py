"""Which Zab receipts of the system spec are persistent steps, and why.

A learner i's receipt of the message at the head of the channel from its leader j
(``learners[i].leader == j``) is declared a persistent step
(:mod:`zabmc.engine.reduction.movers`) in two classes. See :mod:`spec.system.property_parts`
for the parts named below and :mod:`spec.system.goal_closure` for what the properties may
see of them.

**Receipts that only ZooKeeper's memory holds, declared whatever faults are left.**
Learner i in SYNCHRONIZATION taking DIFF (its sync mode NONE), a PROPOSAL or an INFORM
(queued in packetsNotCommitted), a COMMIT remembered in packetsCommitted (after DIFF, or
once NEWLEADER is in); and a follower in BROADCAST taking a COMMIT with nothing pending
(ignored). Each writes only i's learner record (the fields ``sync_mode``,
``not_committed``, ``committed``) and takes the head of j -> i; it reads i's server and
learner records and the head. Along a path of other steps:

* nothing but i's own steps writes i's learner record or server record, except i's
  leaving its leader (a crash of i, a crash or timeout or cut link that leaves j without
  a quorum, a timeout of i or j, a cut link between them, and ``leader_shutdown`` in
  general): every one of those empties the channel j -> i (the step is disabled) and
  resets i's learner record (``EMPTY_LEARNER``) without reading the fields the step
  writes, so the step after the receipt ends where it ends without it: it *overwrites* the
  receipt. Two exceptions are kept out by the declaration: a graceful shutdown logs what
  ZK-4643's split NEWLEADER left in packetsNotCommitted (:func:`spec.system.role_changes.
  _durable_work_done`), so a PROPOSAL or INFORM there is not declared; and the
  SyncRequestProcessor's queue is empty (FollowerSyncProcessorLogRequest of i, the one
  other step of i, moves it to the log, which ``last_committed`` of a learner in sync
  reads);
* i's other steps: none is enabled while the queue is empty (i is FOLLOWING or OBSERVING:
  no election step; the receipts of other channels' heads are illegal messages, which a
  leader never sends to another's learner: its learners are its own);
* j and the others append behind the head (commuting with taking it) and never read what
  the receipt writes: a leader reads a learner's record only through the messages it
  receives; Fast Leader Election's answer to a LOOKING server reads i's vote, which stays.

**Receipts that change what a crash keeps, declared where no crash, partition or timeout
is left** (each bound used up) **and j cannot shut down by its own steps**: j has
established its epoch (its ACKEPOCH receipts then only record), or no ACKEPOCH fresher than
j can reach it (:func:`cannot_be_outdated`: none is on its way, no other server's
currentEpoch and log are ahead of j's, and no other leader is or can be elected to sync
one ahead; a fresher ACKEPOCH is the one step that stops j in discovery), and it cannot give up
waiting for NEWLEADER acks (only where NEWLEADER is taken in two steps and the learners
log through the SyncRequestProcessor, ZK-4685 and 3.7, and then only before a quorum has
acked). Learner i in DISCOVERY taking LEADERINFO of an epoch it may accept; in
SYNCHRONIZATION taking NEWLEADER (either half) or UPTODATE; a follower in BROADCAST taking
a PROPOSAL or a COMMIT, an observer an INFORM, each in its branch that breaches nothing.
Then nothing can make i leave j but its own steps: j's cluster only grows, no server
goes down, no link is cut. Each such step writes i's server and learner records (its
election record: the vote's epoch at UPTODATE), takes the head of j -> i and appends
acknowledgments to i -> j. Nothing else writes those records or the channel i -> j, and
j takes from i -> j only messages sent before. Others read of i only its vote and own
vote, in Fast Leader Election's answer to a LOOKING server's notification: where the
step changes either, it is declared only with the coarse election, or where no server
is LOOKING or down (a restart looks) and no notification is on its way to i.

Where the successor shows a breach, a change to another server, a leader's record or the
ghost, nothing is declared. Nothing is declared with ``zookeeper_timing`` (a leader's
shutdown leaves its learners' records for their own timeouts) or the TLA+'s election.

**Why the second class waits for the faults to be used up, even in a larger persistent
set.** A durable receipt r of learner i from leader j is dependent on three crashes: i's (a
crash after r keeps what r wrote to disk, one before it does not), j's and, where i's
leaving would cost j its quorum, the third server's (each sends i back to election keeping
r's effect, and disables r). A persistent set holding r must hold those crashes too, or a
run that takes one of them and never r would have no counterpart. But a crash of j is
dependent on every step of j's cluster that writes something a crash keeps (j's own
LeaderProcessRequest and commits, every learner's durable receipt from j; their effects
stay, while the crash first disables them), and a crash of i on j's receipts of i's
acknowledgments (the acks j counted, and the commits they made, stay). Closing the set
under dependency thus takes in every enabled Zab step of the cluster: no reduction. What
lies between the crashes is what the hunts spend their states on: in the coarse ZK-3911
hunt about two thirds of the states within depth 26 have both crashes used, and each
descends from a crash's state, of which there can be one for each state with a crash left
and each server up there.

A timeout left is no different. r is dependent on the ZabTimeout of i and of j as on
their crashes (each sends i back to election keeping r's effect, and disables r); the
timeouts share one budget, so each timeout enabled, or enabled later by a path of other
steps (a LOOKING server's poll, once its queue is empty), is dependent on those two and
must join the set; j's timeout shuts its cluster down, which keeps every durable step of
the cluster taken before it; and a learner's timeout keeps the acks its leader counted.
The set is again every enabled step of the cluster. The cost, measured by
``bench/before_faults.py`` on three servers with the default bounds (one timeout): the
reduced search meets 3,088,876 states before the timeout happens (2,506,461 of them with
every server decided, 1,676,894 with one still in synchronization and none in discovery,
against 80,819 such states when no timeout is allowed), where the whole search with no
timeout allowed is 367,076 states; and each of those states has the timeout's successors
besides: 3,670,355 distinct ones (``--after``), each the root of a search with no fault
left. Where the timeout leaves every server looking (the leader's, or one that costs the
leader its quorum), that search is a second Fast Leader Election with the first round's
notifications still on their way: 50,426 to 1,822,116 states from each of the five such
roots in a sample of forty.

A different model of a closed connection would not lift this alone. Were a connection
closed by a timeout only marked closed (later sends into it lost, the other end noticing
in a step of its own), a learner's timeout would commute with its leader's sends; but the
shared budget still makes every enabled timeout dependent on every other, the leader's
timeout is still dependent on the leader's own receipts (an ack counted before it stays),
and a follower's on its own durable receipts, so the set is still the cluster's steps. It
would take, besides, a budget per server (which bounds other runs than "one timeout in
all") and connections that deliver what was sent before they closed; and the searches
after the fault, measured above, would stay as they are.

These arguments are checked against the definition on sampled states
(``tests/system/test_zab_persistence.py``): every path of other steps from a declared
state commutes with the receipt or overwrites it, and each condition above is needed. That j
cannot give up waiting for NEWLEADER acks is shown needed on a directed path of ZK-4685 with
four voters: j in sync, re-elected by two of them whose syncs carry a proposal, has read one's
ACK of the proposal as its ACK of NEWLEADER; a fourth joined late and has j's LEADERINFO on
its way. Its receipt takes acceptedEpoch 2; j's reading the other's ACK of the proposal
leaves no quorum that can still ack NEWLEADER (j and the late one), so j gives up and the late
one looks with its acceptedEpoch as it was. With three voters and no observer no such state is
reachable (a connected voter that j has not read from is a quorum with j, so j cannot give
up while one is in discovery or before NEWLEADER, and a second half of NEWLEADER, which only
sends the ack, is overwritten by the shutdown): from the established cluster with ZK-4685,
two txns and a crash (5,639 states) the clause dropped declares 476 LEADERINFO receipts and
595 second halves more, none refuted along paths of six other steps. The rejection of LEADERINFO (an
epoch below acceptedEpoch) is kept out by the check on the successor alone: it removes i from
j's learners and sends i's vote, so the epoch condition cannot be shown needed on its own
(with it dropped, nothing more is declared on the coarse space of three voters, two crashes
and epochs to 3, whose 46,384 states include 16 where a rejection is enabled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spec.system.broadcast import follower_process_commit, follower_process_proposal
from spec.system.constants import (
    ACKEPOCH,
    BROADCAST,
    COMMIT,
    DIFF,
    DISCOVERY,
    FOLLOWING,
    INFORM,
    LEADERINFO,
    LEADING,
    LOOKING,
    NEWLEADER,
    NO_SYNC,
    NULL,
    OBSERVING,
    PROPOSAL,
    SYNC_DIFF,
    SYNCHRONIZATION,
    UPTODATE,
)
from spec.system.discovery import follower_process_leaderinfo
from spec.system.election.votes import processed_zxid, self_vote
from spec.system.frame_conditions import same_but, unchanged
from spec.system.observers import observer_process_inform
from spec.system.params import Params
from spec.system.state import SystemState, last_zxid
from spec.system.synchronization import (
    follower_process_commit_in_sync,
    follower_process_newleader,
    follower_process_newleader_after_current_epoch_updated,
    follower_process_proposal_in_sync,
    follower_process_sync_message,
    follower_process_uptodate,
)
from zabmc.engine import Action

Receipt = Callable[[SystemState, Params, int, int], "SystemState | None"]

#: The receipts that may be declared, by name (the spec's own steps, as in
#: :data:`spec.system.model.RECEIVE_STEPS`).
LEARNER_RECEIPTS: dict[str, Receipt] = {
    "FollowerProcessSyncMessage": follower_process_sync_message,
    "FollowerProcessPROPOSALInSync": follower_process_proposal_in_sync,
    "FollowerProcessCOMMITInSync": follower_process_commit_in_sync,
    "ObserverProcessINFORM": observer_process_inform,
    "FollowerProcessCOMMIT": follower_process_commit,
    "FollowerProcessLEADERINFO": follower_process_leaderinfo,
    "FollowerProcessNEWLEADER": follower_process_newleader,
    "FollowerProcessNEWLEADERAfterCurrentEpochUpdated": (
        follower_process_newleader_after_current_epoch_updated
    ),
    "FollowerProcessUPTODATE": follower_process_uptodate,
    "FollowerProcessPROPOSAL": follower_process_proposal,
}


def no_zab_fault_left(s: SystemState, p: Params) -> bool:
    """No crash, partition or timeout can happen any more: each bound is used up."""
    rec = s.recorder
    return (
        rec.crashes >= p.max_crashes
        and rec.partitions >= p.max_partitions
        and rec.timeouts >= p.max_timeouts
    )


def leader_stays(s: SystemState, p: Params, j: int, i: int) -> bool:
    """Leader j, with i in its cluster, cannot shut down by its own steps: it has
    established its epoch or no fresher ACKEPOCH can reach it (:func:`cannot_be_outdated`),
    and it cannot give up waiting for NEWLEADER acks."""
    return bool(s.leaders[j].learners >> i & 1) and cannot_stop(s, p, j)


def cannot_stop(s: SystemState, p: Params, j: int) -> bool:
    """Leader j cannot shut down by its own steps (:func:`leader_stays`, whoever its
    learners are)."""
    srv, ld = s.servers[j], s.leaders[j]
    if not (srv.online and srv.state == LEADING):
        return False
    if not (p.is_quorum(ld.electing_quorum) or cannot_be_outdated(s, p, j)):
        return False
    return not (p.split_newleader and p.queued_logging and not p.is_quorum(ld.ackld))


def cannot_be_outdated(s: SystemState, p: Params, j: int) -> bool:
    """Leader j in discovery will take no ACKEPOCH fresher than itself (the one step of its
    own that shuts it down there, with no fault left): no ACKEPOCH on its way to j is
    fresher than j's (currentEpoch, last processed zxid), which stay while j is in
    discovery; no other server can send a fresher one, its currentEpoch and log being at
    most j's (each can grow only by a sync with another established leader, and a restart
    processes the whole log, hence the last zxid of its log); and no other leader can be:
    none leads, and the voters that are LOOKING, down, or in discovery and able to reject
    j's LEADERINFO (:func:`may_reject_leaderinfo`: the only way back to election for a
    learner, with no fault left) are no quorum to elect one."""
    srv, n = s.servers[j], p.n
    mine = (srv.current_epoch, processed_zxid(srv))
    free = 0
    for k, other in enumerate(s.servers):
        if k == j:
            continue
        if other.online and other.state == LEADING:
            return False
        if (other.current_epoch, max(processed_zxid(other), last_zxid(other.history))) > mine:
            return False
        looking = not other.online or other.state == LOOKING
        if looking or may_reject_leaderinfo(s, p, j, k):
            free |= 1 << k
        if any(
            msg[0] == ACKEPOCH and (msg.epoch, msg.zxid) > mine for msg in s.network.msgs[k * n + j]
        ):
            return False
    return not p.is_quorum(free & p.voter_mask)


def least_epoch(s: SystemState, p: Params, j: int) -> int:
    """The least epoch leader j's LEADERINFO can carry from here: its acceptedEpoch once a
    quorum has connected (LeaderProcessFOLLOWERINFO's case 2 answers with it), else the
    epoch it proposes so far, which only grows until the quorum decides it (case 1)."""
    ld = s.leaders[j]
    return s.servers[j].accepted_epoch if p.is_quorum(ld.connecting) else ld.new_epoch


def may_reject_leaderinfo(s: SystemState, p: Params, j: int, k: int) -> bool:
    """Learner k, up and in discovery, may yet go back to election by its own steps while
    leader j leads: unless it is j's learner, or decided for j and not yet connected (its
    one step is to connect to j), whose acceptedEpoch is at most :func:`least_epoch` of j:
    then every LEADERINFO it can take from j is at least its acceptedEpoch, which it
    accepts (FollowerProcessLEADERINFO's case 1); its acceptedEpoch changes only there."""
    other = s.servers[k]
    if not (other.online and other.state in (FOLLOWING, OBSERVING)):
        return False
    if other.zab_state != DISCOVERY:
        return False
    leader = s.learners[k].leader
    if leader == NULL:
        leader = s.elections[k].vote.leader
    return leader != j or other.accepted_epoch > least_epoch(s, p, j)


def quiet_election(s: SystemState, p: Params, i: int) -> bool:
    """No server is LOOKING or down, and no notification is on its way to i: nobody will
    ask i for its vote."""
    if any(not srv.online or srv.state == LOOKING for srv in s.servers):
        return False
    notes, n = s.network.notes, p.n
    return not any(notes[k * n + i] for k in range(n))


def _memory_only(s: SystemState, p: Params, i: int, kind: int) -> str | None:
    """The receipt of a message of type ``kind`` by learner i that writes only i's memory
    (the first class of the module's docstring), or None."""
    srv, lrn = s.servers[i], s.learners[i]
    if srv.zab_state == SYNCHRONIZATION:
        if kind == DIFF:
            return "FollowerProcessSyncMessage" if lrn.sync_mode == NO_SYNC else None
        if kind in (PROPOSAL, INFORM):
            if p.split_newleader and lrn.nl_received and lrn.sync_mode != NO_SYNC:
                return None  # a graceful shutdown would log it (_durable_work_done)
            if kind == INFORM:
                return "ObserverProcessINFORM" if srv.state == OBSERVING else None
            return "FollowerProcessPROPOSALInSync"
        if kind == COMMIT and (lrn.sync_mode == SYNC_DIFF or lrn.nl_received):
            return "FollowerProcessCOMMITInSync"
        return None
    nothing_pending = srv.last_committed >= len(srv.history)
    if srv.zab_state == BROADCAST and kind == COMMIT and srv.state == FOLLOWING and nothing_pending:
        return "FollowerProcessCOMMIT"  # ignored
    return None


def _durable(s: SystemState, p: Params, i: int, msg: Any) -> str | None:
    """The receipt of ``msg`` by learner i of the second class of the module's docstring
    (the caller checks the faults and the leader), or None."""
    srv, lrn = s.servers[i], s.learners[i]
    kind = msg[0]
    if srv.zab_state == DISCOVERY:
        if kind == LEADERINFO and msg.epoch >= srv.accepted_epoch:
            return "FollowerProcessLEADERINFO"
        return None
    if srv.zab_state == SYNCHRONIZATION:
        if kind == NEWLEADER:
            if p.split_newleader and lrn.nl_received:
                return "FollowerProcessNEWLEADERAfterCurrentEpochUpdated"
            return "FollowerProcessNEWLEADER"
        return "FollowerProcessUPTODATE" if kind == UPTODATE else None
    if srv.zab_state == BROADCAST:
        if srv.state == FOLLOWING and kind == PROPOSAL:
            return "FollowerProcessPROPOSAL"
        if srv.state == FOLLOWING and kind == COMMIT:
            return "FollowerProcessCOMMIT"
        if srv.state == OBSERVING and kind == INFORM:
            return "ObserverProcessINFORM"
    return None


def _only_memory_changed(before: SystemState, after: SystemState, i: int, j: int, n: int) -> bool:
    """``after`` differs from ``before`` only in i's learner record and by the head of the
    channel j -> i."""
    if not unchanged(
        before, after, "servers", "elections", "leaders", "ghost", "recorder", "notes", "cut"
    ):
        return False
    if any(after.learners[k] is not before.learners[k] for k in range(n) if k != i):
        return False
    return only_channels(before, after, i, j, n, replies=False)


def _only_own_records_changed(
    before: SystemState, after: SystemState, i: int, j: int, n: int
) -> bool:
    """``after`` differs from ``before`` only in i's records (server, learner, election),
    by the head of j -> i, and by messages appended to i -> j."""
    if not unchanged(before, after, "leaders", "ghost", "recorder", "notes", "cut"):
        return False
    if not (
        same_but(before.servers, after.servers, i)
        and same_but(before.elections, after.elections, i)
        and same_but(before.learners, after.learners, i)
    ):
        return False
    return only_channels(before, after, i, j, n, replies=True)


def only_channels(
    before: SystemState, after: SystemState, i: int, j: int, n: int, replies: bool
) -> bool:
    """The Zab channels differ only by the head of j -> i taken and (with ``replies``)
    messages appended to i -> j."""
    old, new = before.network.msgs, after.network.msgs
    if new is old:
        return False
    into, back = j * n + i, i * n + j
    for c, (a, b) in enumerate(zip(old, new, strict=True)):
        if a is b or a == b:
            if c == into:
                return False
            continue
        if c == into:
            if b != a[1:]:
                return False
        elif not (replies and c == back and b[: len(a)] == a):
            return False
    return True


def learner_receipt(s: SystemState, p: Params, i: int) -> tuple[Action, SystemState] | None:
    """Learner i's receipt of the head of the channel from its leader, if it is declared
    persistent here (see the module's docstring)."""
    srv, lrn = s.servers[i], s.learners[i]
    if not srv.online or srv.state not in (FOLLOWING, OBSERVING) or lrn.queued:
        return None
    j, n = lrn.leader, p.n
    if j == NULL:
        return None
    channel = s.network.msgs[j * n + i]
    if not channel:
        return None
    msg = channel[0]
    name = _memory_only(s, p, i, msg[0])
    if name is not None:
        succ = LEARNER_RECEIPTS[name](s, p, i, j)
        if succ is not None and _only_memory_changed(s, succ, i, j, n):
            return Action(name, (i, j)), succ
        return None
    if not (no_zab_fault_left(s, p) and leader_stays(s, p, j, i)):
        return None
    name = _durable(s, p, i, msg)
    if name is None:
        return None
    succ = LEARNER_RECEIPTS[name](s, p, i, j)
    if succ is None or not _only_own_records_changed(s, succ, i, j, n):
        return None
    if not p.coarse_election:
        after = succ.servers[i]
        vote_moved = succ.elections[i] is not s.elections[i] or self_vote(p, after, i) != self_vote(
            p, srv, i
        )
        if vote_moved and not quiet_election(s, p, i):
            return None
    return Action(name, (i, j)), succ


__all__ = [
    "LEARNER_RECEIPTS",
    "cannot_be_outdated",
    "cannot_stop",
    "leader_stays",
    "learner_receipt",
    "least_epoch",
    "may_reject_leaderinfo",
    "no_zab_fault_left",
    "only_channels",
    "quiet_election",
]
