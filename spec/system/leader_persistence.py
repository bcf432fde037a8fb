"""Which of a leader's Zab receipts are persistent steps, and why.

A leader i's receipt of the message at the head of the channel from its learner j
(``leaders[i].learners`` has j) is declared a persistent step
(:mod:`zabmc.engine.reduction.movers`) where it writes nothing but i's *memory* of j and
the channels between them: the parts ``leaders.others`` and ``network`` of
:mod:`spec.system.property_parts`, which no property reads. So no property's value moves
with it, and no goal closure is needed. The declared receipts:

* **FOLLOWERINFO once the epoch is decided** (LeaderProcessFOLLOWERINFO's case 2: a
  quorum has connected): i answers LEADERINFO with its acceptedEpoch. It writes only the
  channels (the head of j -> i taken, LEADERINFO appended to i -> j).
* **An ignored ACK** (LeaderProcessACK of an ACK with counter 0, a NEWLEADER ack that came
  after j's first ACK was read): the head of j -> i is dropped, nothing else.
* **ACKEPOCH that records** (LeaderProcessACKEPOCH's case 1, the epoch established; or
  case 2 with j's epoch already accepted, ``fresh`` false): i records j's last zxid and j
  in ``electing``; ``electing_quorum`` stays.
* **ACKLD once a quorum has acked NEWLEADER** (LeaderProcessACKLD's case 1): i records j's
  first ACK (``ackld``, ``ackld_live``) and answers UPTODATE.
* **A late ACK** (LeaderProcessACK of a txn i has committed already): i records j's ack.

The last three are declared only where no crash, partition or timeout is left (each bound
used up); the first two whatever faults are left.

What they read: i's leader record (whether a quorum connected, acked the epoch or acked
NEWLEADER; the acks; i's epoch and committed log), the head of j -> i. Along every path of
other steps from the declaring state:

* j -> i is written by j only, and j appends behind the head; i -> j by i only. i takes
  from j -> i only in these steps (each message type has one receipt at a leader);
* i's leader record is written by i's other receipts and steps, each of which ORs a bit
  for its own learner k into the masks, records k's zxid, or appends an entry and its
  acks (LeaderProcessRequest), and by the commits and the establishment that the others'
  receipts make: none clears a bit or a field the declared receipt reads, and none turns
  the condition the receipt is in (quorum connected, epoch established, NEWLEADER acked by
  a quorum, the txn committed) false, since each only grows (under the coarse election the
  decision of the epoch and its establishment set ``connecting`` and ``electing_quorum`` to
  every server, a superset, and clear ``connecting_live`` and ``new_epoch``, which no
  declared receipt reads: spec.system.discovery.epoch_decided). ACKEPOCH with ``fresh`` false
  is the one exception, in discovery: a fresher ACKEPOCH of another learner shuts i down;
  a receipt that only records commutes with establishing the epoch without j (the last
  zxid and the ``electing`` bit are recorded in either case 1 or 2), and i's shutdown
  overwrites it;
* i's shutdown (a fresher ACKEPOCH, giving up waiting for NEWLEADER acks, a timeout, a cut
  link or a crash that costs i its quorum) resets i's leader record and empties every
  channel between i and its cluster (``clean_input``), j's included; a crash of i does
  the same. It reads nothing the receipt wrote, so it *overwrites* the receipt;
* j leaving i while i keeps its quorum (a crash, a timeout or a cut link of j; a learner
  rejecting LEADERINFO) removes j's handler (:func:`spec.system.role_changes.remove_learner`)
  and empties both channels between them, but keeps the bits j set in ``electing``,
  ``ackld`` and the acks: with the receipt they are set, without it not. So the receipts
  that set them are declared only where no crash, partition or timeout is left; the
  rejection of LEADERINFO is j's own step in discovery, when j has sent no ACKEPOCH or ACK
  yet. The receipts that write only channels are overwritten by the closing of both.

**A learner's connection** (ConnectAndFollowerSendFOLLOWERINFO(i, j): j, which decided for
i, joins i's ``learners``, takes i as its leader and sends FOLLOWERINFO) is declared where
no crash, partition or timeout is left and i cannot shut down by its own steps
(:func:`spec.system.zab_persistence.cannot_stop`: established, or no fresher ACKEPOCH can
reach it, and no giving up on NEWLEADER acks). It reads i's role and ``learners``, j's
role, leader and vote, and the link; it writes ``leaders.learners`` of i,
``learners.leader`` of j and appends to j -> i. Nothing else writes j's records while j
waits to connect (j's election record is settled; only a fault or i's shutdown moves j,
and neither can happen), i's other steps only OR other learners into its masks or read
them (LeaderProcessFOLLOWERINFO, ACKLD broadcast to ``connecting_live`` and
``ackld_live``, which j is not in; giving up on NEWLEADER acks, which reads ``learners``,
is excluded), and only i takes from j -> i, behind which nothing of j is. The properties
that read ``leaders.learners`` and ``learners.leader``, PrimaryIntegrity and
ProcessConsistency, check every learner connected to its leader: one more can add a
violation, never repair one, so they are goal-closed under it
(:mod:`spec.system.goal_closure`). Without "i cannot stop", a fresher ACKEPOCH shuts i down
and sends j back to election only if j is connected: the definition check refutes it. Its
last clause alone is needed too: in ZK-4685's hunt from the established cluster a leader in
sync reads its one connected follower's ACK of a proposal as the ACK of NEWLEADER and, with j
not yet connected, no quorum can still ack: it gives up, and j, following it unconnected, can
no longer connect; connected first, j would have counted, and i would not give up
(LeaderProcessACKLD refutes it).

**A LOOKING server's joining an established cluster** (FollowLeader(k, j) of the coarse
election: k, LOOKING, learns that a quorum follows leader j and decides for j) is declared
where no crash, partition or timeout is left, j serves (BROADCAST: serving, j has a
quorum's ACKEPOCH and NEWLEADER acks and cannot shut down by its own steps,
:func:`spec.system.zab_persistence.cannot_stop`; k takes j's vote, which the coarse election
keeps as its leader alone, :func:`spec.system.election.votes.kept_vote`, so no later step of
j changes what k copies), and the servers that are or may become
LOOKING (:func:`may_look`) are no quorum of voters (:func:`stays_decided`). With no fault
left a server goes back to election only by a leader's shutdown (j cannot shut down; any
other leader may, taking its learners along), or by rejecting j's LEADERINFO in discovery
(:func:`spec.system.zab_persistence.may_reject_leaderinfo`); a down server may restart and
look. So no quorum of LOOKING voters can ever form: no ElectLeader is or becomes enabled
with k in its electorate, which is the one step that reads k's being LOOKING and that k's
joining would disable. The step reads j's role and the servers that decided for j (a quorum
of them, :func:`bound` ones, which stay), and the link between k and j; it writes only k's
server record (FOLLOWING or OBSERVING, DISCOVERY) and election record (j's vote, settled).
Nothing else writes those while k looks (its faults are used up; its one other step,
ElectLeader, cannot happen), and what others read of them only grows with k's decision:
another LOOKING server's FollowLeader counts k among j's, which keeps it enabled; j's steps
read k only once it connects. Of what the properties read it changes only k's role
(``roles``): the properties that read roles read those of leaders (Leadership,
LeaderLogCompleteness, MonotonicRead, LeaderEstablished), of learners connected to their
leader (PrimaryIntegrity, ProcessConsistency: k connects only later), which stay, or check
every learner (Agreement, FollowerDelivers, ObserverDelivers), where one more can add a
violation or a witness, never take one away: goal-closed (:mod:`spec.system.goal_closure`).
Declared with the coarse election only (FLE's answers read a LOOKING server's vote).
Without any of the three conditions the definition check refutes the declaration
(``tests/system/test_leader_persistence.py``): without "no fault left" a crash of j or its
follower; without "j serves" a leader in sync that gives up on NEWLEADER acks (ZK-4685's
hunt from the established cluster: it reads its one follower's ACK of a proposal as the ACK
of NEWLEADER), which sends its cluster back to election, disables k's joining and leaves k,
had it joined, following it; without :func:`stays_decided` a learner in discovery that
rejects j's LEADERINFO and takes j's decided quorum away. Where no leader can give up on
NEWLEADER acks (neither ZK-4685 nor 3.7), dropping "j serves" was not refuted: not on the
tests' coarse ZK-3911 space (every state, paths of six other steps), nor from the
established cluster with a crash, where a leader in discovery can be stopped only by a
fresher ACKEPOCH.

Where the successor shows a breach, a change to a server, an election record, a learner's
record, ``leaders.learners`` or the ghost, nothing is declared; nor with ``zookeeper_timing``
(a leader's receipts then wait for its own log) or the TLA+'s election.

These arguments are checked against the definition on sampled states
(``tests/system/test_leader_persistence.py``), and each condition is shown needed there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spec.system import zab_persistence
from spec.system.broadcast import leader_process_ack
from spec.system.constants import (
    ACK,
    ACKEPOCH,
    BROADCAST,
    DISCOVERY,
    FOLLOWERINFO,
    FOLLOWING,
    LEADING,
    LOOKING,
    NULL,
    OBSERVING,
)
from spec.system.discovery import (
    connect_and_follower_send_followerinfo,
    leader_process_ackepoch,
    leader_process_followerinfo,
)
from spec.system.election.coarse import follow_leader
from spec.system.frame_conditions import unchanged
from spec.system.learner_log import last_committed
from spec.system.params import Params
from spec.system.state import SystemState
from spec.system.synchronization import leader_process_ackld
from spec.system.zab_persistence import no_zab_fault_left, only_channels
from spec.system.zxid import counter_of
from zabmc.engine import Action

Receipt = Callable[[SystemState, Params, int, int], "SystemState | None"]

#: A learner's connection to its leader, declared where no fault is left (see above).
CONNECT = "ConnectAndFollowerSendFOLLOWERINFO"
#: A LOOKING server's joining an established cluster (coarse election; see above).
FOLLOW = "FollowLeader"

#: The receipts that may be declared, by name (the spec's own steps).
LEADER_RECEIPTS: dict[str, Receipt] = {
    "LeaderProcessFOLLOWERINFO": leader_process_followerinfo,
    "LeaderProcessACKEPOCH": leader_process_ackepoch,
    "LeaderProcessACKLD": leader_process_ackld,
    "LeaderProcessACK": leader_process_ack,
}


def _declared(s: SystemState, p: Params, i: int, j: int, msg: Any) -> tuple[str, bool] | None:
    """The receipt of ``msg`` from j by leader i of the module's docstring, and whether it
    is declared only with no fault left; or None."""
    ld, srv = s.leaders[i], s.servers[i]
    kind = msg[0]
    if kind == FOLLOWERINFO:
        return ("LeaderProcessFOLLOWERINFO", False) if p.is_quorum(ld.connecting) else None
    if kind == ACKEPOCH:
        if p.is_quorum(ld.electing_quorum) or not msg.fresh:
            return "LeaderProcessACKEPOCH", True
        return None
    if kind != ACK:
        return None
    if not ld.ackld_live >> j & 1:
        if p.is_quorum(ld.ackld) and leader_silent(s, p, i):
            return "LeaderProcessACKLD", True
        return None
    if counter_of(msg.zxid) == 0:
        return "LeaderProcessACK", False
    h = srv.history
    done = last_committed(srv, s.learners[i])
    if done and msg.zxid <= h[done - 1].zxid:
        return "LeaderProcessACK", True
    return None


def leader_silent(s: SystemState, p: Params, i: int) -> bool:
    """Leader i will send nothing more to the learners it forwards to: no client request is
    left (each would be proposed to them) and its whole log is committed (an ACK that
    commits sends COMMIT to them)."""
    srv = s.servers[i]
    return s.recorder.requests >= p.max_txns and last_committed(srv, s.learners[i]) >= len(
        srv.history
    )


def _only_memory_of(before: SystemState, after: SystemState, i: int, j: int, n: int) -> bool:
    """``after`` differs from ``before`` only in i's leader record (not its learners) and by
    the head of j -> i taken and messages appended to i -> j."""
    if not unchanged(
        before, after, "servers", "elections", "learners", "ghost", "recorder", "notes", "cut"
    ):
        return False
    old, new = before.leaders, after.leaders
    if any(new[k] is not old[k] for k in range(n) if k != i):
        return False
    if new[i].learners != old[i].learners:
        return False
    return only_channels(before, after, i, j, n, replies=True)


def _only_connected(before: SystemState, after: SystemState, i: int, j: int, n: int) -> bool:
    """``after`` differs from ``before`` only by j in leader i's ``learners``, i as j's
    leader, and messages appended to j -> i."""
    if not unchanged(before, after, "servers", "elections", "ghost", "recorder", "notes", "cut"):
        return False
    lo, ln = before.leaders, after.leaders
    if any(ln[k] is not lo[k] for k in range(n) if k != i):
        return False
    if ln[i] != lo[i]._replace(learners=lo[i].learners | 1 << j):
        return False
    ro, rn = before.learners, after.learners
    if any(rn[k] is not ro[k] for k in range(n) if k != j) or rn[j] != ro[j]._replace(leader=i):
        return False
    into = j * n + i
    for c, (a, b) in enumerate(zip(before.network.msgs, after.network.msgs, strict=True)):
        if c == into:
            if b[: len(a)] != a or len(b) != len(a) + 1:
                return False
        elif a is not b and a != b:
            return False
    return True


def connect(s: SystemState, p: Params) -> tuple[Action, SystemState] | None:
    """The first learner's connection to the leader it decided for
    (ConnectAndFollowerSendFOLLOWERINFO), where it is declared persistent: no crash,
    partition or timeout is left and the leader cannot shut down by its own steps (see the
    module's docstring)."""
    fault_checked = False
    for j, lrn in enumerate(s.learners):
        srv = s.servers[j]
        if lrn.leader != NULL or not srv.online or srv.state not in (FOLLOWING, OBSERVING):
            continue
        i = s.elections[j].vote.leader
        if i in (NULL, j):
            continue
        if not fault_checked:
            if not no_zab_fault_left(s, p):
                return None
            fault_checked = True
        if not zab_persistence.cannot_stop(s, p, i):
            continue
        succ = connect_and_follower_send_followerinfo(s, p, i, j)
        if succ is not None and _only_connected(s, succ, i, j, p.n):
            return Action(CONNECT, (i, j)), succ
    return None


def bound(s: SystemState, p: Params, j: int) -> int:
    """The servers (a mask) that stay with leader j while it cannot stop and no fault is
    left: j, and those that decided for j (connected to it or not) and are past discovery
    or cannot reject its LEADERINFO (:func:`spec.system.zab_persistence.may_reject_leaderinfo`)."""
    mask = 1 << j
    for k, srv in enumerate(s.servers):
        if k == j or not (srv.online and srv.state in (FOLLOWING, OBSERVING)):
            continue
        leader = s.learners[k].leader
        if leader == NULL:
            leader = s.elections[k].vote.leader
        if leader == j and not zab_persistence.may_reject_leaderinfo(s, p, j, k):
            mask |= 1 << k
    return mask


def may_look(s: SystemState, p: Params, j: int) -> int:
    """The servers (a mask) that are LOOKING or may become so while leader j cannot stop and
    no fault is left: every server that :func:`bound` does not hold to j."""
    return ((1 << p.n) - 1) & ~bound(s, p, j)


def _only_decided(before: SystemState, after: SystemState, k: int, n: int) -> bool:
    """``after`` differs from ``before`` only in k's server and election records, k now
    following or observing in discovery with its log and delivered entries as they were."""
    if not unchanged(before, after, "leaders", "ghost", "recorder", "network"):
        return False
    if after.learners != before.learners:  # turn_to_learning writes k's empty record anew
        return False
    for group in ("servers", "elections"):
        old, new = getattr(before, group), getattr(after, group)
        if any(new[m] is not old[m] for m in range(n) if m != k):
            return False
    a, b = before.servers[k], after.servers[k]
    return (
        a.state == LOOKING
        and b.state in (FOLLOWING, OBSERVING)
        and b.zab_state == DISCOVERY
        and (a.history, a.last_committed) == (b.history, b.last_committed)
    )


def follow(s: SystemState, p: Params) -> tuple[Action, SystemState] | None:
    """The first LOOKING server's FollowLeader, where it is declared persistent: the coarse
    election, no crash, partition or timeout left, its leader serves, and the servers that
    may look are no quorum (see the module's docstring)."""
    if not p.coarse_election or not no_zab_fault_left(s, p):
        return None
    for k, srv in enumerate(s.servers):
        if not (srv.online and srv.state == LOOKING):
            continue
        for j in range(p.n):
            if j == k or not serves(s, j):
                continue
            succ = follow_leader(s, p, k, j)
            if succ is None or not stays_decided(s, p, j):
                continue
            if _only_decided(s, succ, k, p.n):
                return Action(FOLLOW, (k, j)), succ
    return None


def serves(s: SystemState, j: int) -> bool:
    """Leader j serves (BROADCAST): it has a quorum's ACKEPOCH and NEWLEADER acks, so with
    no fault left it cannot shut down by its own steps
    (:func:`spec.system.zab_persistence.cannot_stop`). (Its vote, which a server that
    follows it takes, no step rewrites: the coarse election keeps only its leader.)"""
    return s.servers[j].zab_state == BROADCAST


def stays_decided(s: SystemState, p: Params, j: int) -> bool:
    """The servers that may look while j leads (:func:`may_look`) are no quorum of voters, so
    no ElectLeader can ever be enabled with a LOOKING server in its electorate; and those
    that stay with j (:func:`bound`) and decided for it are a quorum, so FollowLeader stays
    enabled (with three voters the first implies the second)."""
    if p.is_quorum(may_look(s, p, j) & p.voter_mask):
        return False
    return p.is_quorum(_decided_for(s, p, j) & bound(s, p, j))


def _decided_for(s: SystemState, p: Params, j: int) -> int:
    """The voters (a mask) that count for j in FollowLeader: up, LEADING or FOLLOWING, with
    their vote for j."""
    mask = 0
    for k in range(p.voters):
        srv = s.servers[k]
        if srv.online and srv.state in (LEADING, FOLLOWING) and s.elections[k].vote.leader == j:
            mask |= 1 << k
    return mask


def leader_receipt(s: SystemState, p: Params, i: int) -> tuple[Action, SystemState] | None:
    """Leader i's receipt of the head of the channel from one of its learners, the first
    by learner id declared persistent here (see the module's docstring), or None."""
    srv, n = s.servers[i], p.n
    if not srv.online or srv.state != LEADING:
        return None
    learners = s.leaders[i].learners
    quiet: bool | None = None
    for j in range(n):
        if j == i or not learners >> j & 1:
            continue
        channel = s.network.msgs[j * n + i]
        if not channel:
            continue
        found = _declared(s, p, i, j, channel[0])
        if found is None:
            continue
        name, needs_quiet = found
        if needs_quiet:
            if quiet is None:
                quiet = no_zab_fault_left(s, p)
            if not quiet:
                continue
        succ = LEADER_RECEIPTS[name](s, p, i, j)
        if succ is not None and _only_memory_of(s, succ, i, j, n):
            return Action(name, (i, j)), succ
    return None


__all__ = [
    "CONNECT",
    "FOLLOW",
    "LEADER_RECEIPTS",
    "bound",
    "connect",
    "follow",
    "leader_receipt",
    "leader_silent",
    "may_look",
    "serves",
    "stays_decided",
]
