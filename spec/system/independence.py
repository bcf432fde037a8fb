"""Which steps of the system spec are right movers, for the engine's atomic local steps.

See :mod:`zabmc.engine.reduction.movers` for what is declared and what it promises.
The declaration is derived from the shape of the spec, not from its behaviour:

* a step belongs to the server of its first argument, and *involves* every server
  it names (a receipt of a notification only its receiver); a crash or a restart
  involves every server, since it empties or fills channels to all of them
  (:func:`spec.system.channels.isolate`);
* the properties read only ``servers``, ``leaders``, ``learners`` and ``ghost``: the
  invariants and witnesses are memoized on exactly these groups
  (:func:`spec.system.invariants.memoized`), which is only right because they read
  nothing else; each reads only some parts of them (:mod:`spec.system.property_parts`,
  the vocabulary of :meth:`SystemMovers.parts_changed`). A property not in that table
  reads everything, and then no step is invisible and nothing is chained or taken alone.

The right movers are the election steps of a LOOKING server i that change nothing but
i's election record and take (at most) the head of a channel into i: a receipt that
sends no answer (ZooKeeper's WorkerReceiver queueing a notification), and a handling
or a final wait that sends nothing and decides nothing (the vote stays, a notification
is recorded or dropped). This is read off the step itself: the state before and after
differ only there. Such a step reads i's server and election records and the head it
takes. While i is LOOKING and in no leader's cluster, no step that does not name i, and
is not a crash or a restart, writes what it reads or reads what it writes:

* other servers' FLE steps write their own records, and append *behind* the head
  it takes (a LOOKING j notifying i), which commutes with taking the head;
* only a leader's shutdown writes another server's records, and only those of its
  cluster (``leaders[k].learners``), which i can join only by a step of its own
  (``ConnectAndFollowerSendFOLLOWERINFO(k, i)`` needs i FOLLOWING): hence the
  conditions that i is in no cluster and has no Zab message in flight;
* a cut link empties the channel j -> i only by ``PartitionStart`` of i and j, which
  names i; a crash of j empties it too, and involves i.

Whether such a step sends or decides depends only on what it reads, so one that does
neither here does neither after any of those steps: the declaration is stable.

**Persistent steps** (:mod:`zabmc.engine.reduction.persistent`): a LOOKING server i's
main loop taking a notification off its receive queue that changes neither its vote nor
its round, so that it sends nothing (FLEHandleNotmsg recording a vote, or dropping one of
an older round; FLEWaitNewNotmsg dropping a worse vote in the final wait). Such a step
writes only i's election record and reads only that record (the head of its queue, its
vote, round and received votes). Along any path that does not take it:

* i's own WorkerReceiver (FLEReceiveNotmsg of i) appends at the queue's tail, or drops a
  pending timeout signal behind the head, and decides whether to answer by i's round,
  which the step leaves as it is: the two commute;
* nothing else of i is enabled or can become so before the step: FLENotmsgTimeout needs
  an empty queue, FLEWaitNewNotmsg and FLEHandleNotmsg exclude each other by ``waiting``,
  which only i's main loop changes, and i stays LOOKING, since only its own final wait
  decides;
* no step of another server reads i's election record but a leader reading a learner's
  vote (LeaderProcessFOLLOWERINFO), which the step does not change;
* a crash of i overwrites the whole record, so it ends in the same state with or without
  the step; a crash or a restart of another server changes which voters i would notify,
  but the step notifies nobody.

The same main-loop step that *adopts* a vote (a better one of its round, or a later round)
and sends it, without deciding, is declared too, but only where nothing that reads the vote
or is changed by the sending can still happen:

* no crash, restart, partition or timeout is left (each bound used up), every server is
  up and no link is cut: a crash or a cut drops what the step would send, a restart or a
  healed link receives it, and a poll timeout of another server is disabled by it;
* no observer: a voter answers an observer's notification with its current vote;
* no Zab message is in flight to or from i, so i stays LOOKING until its own main loop
  moves (nothing but that loop, blocked on this very notification, changes i's record);
* no server has a round older than i's round after the step, and no notification of an
  older round is queued or in flight anywhere: i's WorkerReceiver answers exactly those,
  with the vote the step changes. Rounds only grow without crashes and timeouts, except
  that a server deciding takes the round of the notification it decides on, which is then
  no older either.

Each of these conditions is needed: without any one of them the definition check
(``tests/system/test_reduction.py``) finds a path of other steps that does not commute.

**A decided server's receipt of a notification** (:func:`decided_receipt`): FLEReceiveNotmsg
of a server i that is FOLLOWING, LEADING or OBSERVING and cannot look again
(:func:`stays_decided`), answering only in BROADCAST (:func:`settled`), declared where no
crash, restart, partition, healing or timeout is left (each bound used up, every server up,
no link cut: :func:`no_fault_left`). Its WorkerReceiver takes the
head of j -> i and answers a LOOKING notification with i's vote, round and state
(ZooKeeper: a late joiner learns the leader so), or drops a decided one. It writes only
those two channels, and reads i's role, vote and round, the head, and the cut links.
Along any path of other steps:

* i stays decided: with no fault left, a server leaves its role only when its leader
  shuts down (a fresher ACKEPOCH in discovery, giving up on NEWLEADER acks) or, as a
  learner in discovery, it rejects LEADERINFO; :func:`stays_decided` excludes each. Were
  it to look, it would queue the notification instead of dropping or answering it;
* its answer stays as it is: in BROADCAST the vote's epoch is set already (UPTODATE, or a
  leader's quorum of NEWLEADER acks), and a decided server's notification carries no
  ghost own vote (:func:`spec.system.election.votes.notification`), which would change
  with its log. So answers are declared in BROADCAST only; a decided notification, which
  is dropped, wherever i stays decided;
* j appends behind the head it takes, and takes the head of i -> j in front of the answer
  appended behind; nothing else takes from or reads those channels but a poll timeout of
  j (it needs nothing in flight to j) and a cut link or a crash (they empty them), all
  faults;
* i's other receipts take other channels; nothing else reads or writes what it writes.

No property reads the network, so the step is invisible. Each condition is needed: the
definition check refutes the declaration with a timeout left (FLENotmsgTimeout of j,
ZabTimeout of i or of its leader), an answer outside BROADCAST (UPTODATE or a leader's
quorum of acks changes it), and without :func:`stays_decided`
(``tests/system/test_election_persistence.py``). For that one it takes a deep state: on
three voters, a leader that took a quorum of ACKEPOCH (currentEpoch 1) crashes and restarts
while the others elect one of them; it follows that leader, in discovery, with a decided
notification on its way to it; its ACKEPOCH, fresher than its leader's epoch, stops the
leader, and it looks (42 steps from the initial state, found by guided random walks of the
unreduced spec, after a search to depth 16 had met no such state).

**Zab receipts**: a learner's receipt of a message from its leader, declared by
:mod:`spec.system.zab_persistence` (some whatever faults are left, others only where none
is), taken alone where each checked property reads nothing it changes or cannot leave its
goal under it (:mod:`spec.system.goal_closure`); and a leader's receipt of a message from
one of its learners that writes only its memory of that learner and the channels between
them, declared by :mod:`spec.system.leader_persistence`, which no property reads. A
leader's receipt, or a learner's LEADERINFO, taken alone counts a level of depth
(:meth:`SystemMovers.counts_depth`).

Its ``progress`` is minus the notifications waiting in receive queues, which each election
step lowers by one (weighed over the notifications it may send to decided servers), minus
the notifications in flight to decided servers (:func:`unanswered_notes`), which a decided
server's receipt lowers, minus the Zab messages in flight, weighed so that a receipt, which
takes one and sends at most acknowledgments, lowers it. With ``zookeeper_timing`` or the
TLA+'s election (``tla_election``; replay only, where a crash keeps the election record)
nothing is declared.
"""

from __future__ import annotations

from collections.abc import Collection

from mypy_extensions import mypyc_attr

from spec.system import goal_closure
from spec.system.channels import notification_head
from spec.system.constants import (
    ACK,
    ACKEPOCH,
    BROADCAST,
    DISCOVERY,
    FOLLOWERINFO,
    LEADING,
    LOOKING,
    MESSAGE_TYPE_NAMES,
    NULL,
)
from spec.system.election.actions import (
    fle_handle_notmsg,
    fle_receive_notmsg,
    fle_wait_new_notmsg,
)
from spec.system.election.votes import beats, vote_of
from spec.system.frame_conditions import same_but, unchanged
from spec.system.leader_persistence import (
    CONNECT,
    FOLLOW,
    LEADER_RECEIPTS,
    connect,
    follow,
    leader_receipt,
)
from spec.system.params import Params
from spec.system.property_parts import PROPERTY_READS, parts_changed
from spec.system.state import Election, Server, SystemState
from spec.system.zab_persistence import (
    LEARNER_RECEIPTS,
    cannot_stop,
    leader_stays,
    learner_receipt,
)
from spec.system.zab_persistence import no_zab_fault_left as fault_bounds_used_up
from zabmc.engine import Action

#: The state groups every property of the spec reads (see the module's docstring).
PROPERTY_GROUPS = frozenset({"servers", "leaders", "learners", "ghost"})

#: The steps that may be right movers, and what such a step writes.
ELECTION_STEPS = frozenset({"FLEReceiveNotmsg", "FLEHandleNotmsg", "FLEWaitNewNotmsg"})
ELECTION_WRITES = frozenset({"elections", "network"})

#: The persistent steps that count a level of depth (:meth:`SystemMovers.counts_depth`).
COUNTED_RECEIPTS = frozenset({*LEADER_RECEIPTS, CONNECT, FOLLOW, "FollowerProcessLEADERINFO"})

#: Every Zab receipt, a learner's or a leader's (:meth:`SystemMovers.free_step`).
ZAB_RECEIPTS = frozenset({*LEARNER_RECEIPTS, *LEADER_RECEIPTS})

#: Steps that touch every server's channels: a crash empties them, a restart notifies.
EVERYONE = frozenset({"NodeCrash", "NodeStart"})


def _only_election_of(before: SystemState, after: SystemState, i: int, n: int) -> bool:
    """``after`` differs from ``before`` only in i's election record and by the head of
    (at most) one notification channel into i."""
    if (
        after.servers != before.servers
        or after.leaders != before.leaders
        or after.learners != before.learners
        or after.ghost != before.ghost
        or after.recorder != before.recorder
        or after.network.msgs != before.network.msgs
        or after.network.cut != before.network.cut
    ):
        return False
    if not same_but(before.elections, after.elections, i):
        return False
    taken = 0
    for c, (old, new) in enumerate(zip(before.network.notes, after.network.notes, strict=True)):
        if new == old:
            continue
        if c % n != i or new != old[1:]:
            return False
        taken += 1
    return taken <= 1


# A Python class though its methods are compiled (docs/compiled.md): a declaration may be
# subclassed, to check that a wrong one is refuted (tests/system/test_reduction.py).
@mypyc_attr(native_class=False)
class SystemMovers:
    """The mover declarations of :class:`spec.system.model.SystemModel` for ``params``."""

    def __init__(self, params: Params, properties: Collection[str]) -> None:
        self.params = params
        self._everyone = frozenset(range(params.n))
        self._properties = frozenset(properties)

    def process(self, action: Action) -> int:
        return action.args[0]

    def involves(self, action: Action) -> Collection[int]:
        if action.name == "FLEReceiveNotmsg":
            # i's records and the channel into i; an answer only appends to the channel
            # into j, behind any notification j's own receipt would take.
            return action.args[:1]
        if action.name in EVERYONE:
            return self._everyone
        if action.name == "ElectLeader":
            i, quorum = action.args
            return frozenset(k for k in self._everyone if k == i or quorum >> k & 1)
        return action.args

    def right_mover(
        self, state: SystemState, action: Action, successor: SystemState
    ) -> frozenset[str] | None:
        p = self.params
        if action.name not in ELECTION_STEPS or p.zookeeper_timing or p.coarse_election:
            return None
        if p.tla_election:  # a crash keeps the election record there: not argued for
            return None
        i = action.args[0]
        if state.servers[i].state != LOOKING or not _only_election_of(state, successor, i, p.n):
            return None
        if any(ld.learners >> i & 1 for ld in state.leaders):
            return None
        if any(state.network.msgs[i * p.n + k] for k in range(p.n)):
            return None
        return ELECTION_WRITES

    def property_reads(self, name: str) -> frozenset[str] | None:
        """The parts of :mod:`spec.system.property_parts` that the spec's own property
        ``name`` reads (None: a property of someone else's, which reads everything)."""
        return PROPERTY_READS.get(name) if name in self._properties else None

    def goal_closed(
        self, name: str, state: SystemState, action: Action, successor: SystemState
    ) -> bool:
        """Whether the spec's own property ``name`` cannot leave its goal under the declared
        persistent step (:mod:`spec.system.goal_closure`)."""
        return name in self._properties and goal_closure.goal_closed(name, state, action, successor)

    def persistent_step(self, state: SystemState) -> tuple[Action, SystemState] | None:
        """The first LOOKING server's main-loop step that changes only its election record
        and neither its vote nor its round (see the module's docstring); else the first
        learner's receipt declared by :mod:`spec.system.zab_persistence`; else a leader's
        receipt, a learner's connection or a LOOKING server's joining an established
        cluster, declared by :mod:`spec.system.leader_persistence`; else the first decided
        server's receipt of a notification (:func:`decided_receipt`), last so that the Zab
        receipts are declared where they were (when it was declared: 377,177 states on the
        fault-free 3-server default; 358,921 with it before them)."""
        p = self.params
        if p.zookeeper_timing or p.tla_election:
            return None
        if not p.coarse_election:
            step = self._election_step(state)
            if step is not None:
                return step
        for i in range(p.n):
            step = learner_receipt(state, p, i)
            if step is not None:
                return step
        for i in range(p.n):
            step = leader_receipt(state, p, i)
            if step is not None:
                return step
        step = connect(state, p) or follow(state, p)
        if step is None and not p.coarse_election:
            step = decided_receipt(state, p)
        return step

    def _election_step(self, state: SystemState) -> tuple[Action, SystemState] | None:
        """The first LOOKING server's main-loop step declared persistent (see the module's
        docstring), or None."""
        p = self.params
        for i, el in enumerate(state.elections):
            if not (el.queue and el.queue[0]):  # nothing queued, or a timeout signal first
                continue
            srv = state.servers[i]
            if not srv.online or srv.state != LOOKING:
                continue
            if el.waiting:
                if beats(p, vote_of(el.queue[0]), el.vote):
                    continue  # a better vote: back to the main loop, not a drop
                name, succ = "FLEWaitNewNotmsg", fle_wait_new_notmsg(state, p, i)
            else:
                if _adopts(p, el) and not no_fault_left(state, p):
                    continue  # it would send its new vote where a fault can still read it
                name, succ = "FLEHandleNotmsg", fle_handle_notmsg(state, p, i)
            if succ is None:
                continue
            if _only_own_record(state, succ, i) or (
                name == "FLEHandleNotmsg" and _adopts_vote_unanswered(state, succ, p, i)
            ):
                return Action(name, (i,)), succ
        return None

    def progress(self, state: SystemState) -> int:
        """Minus the notifications queued at all servers (each weighing more than the
        notifications a handling may send to decided servers), minus those in flight to
        decided servers (:func:`unanswered_notes`), minus the Zab messages in flight
        weighed by their type (:func:`zab_weight`): an election step declared persistent
        takes a notification off its queue (and sends none to a queue), a decided server's
        receipt takes one in flight to it and answers with a lighter one, a learner's receipt
        takes a message from its leader and sends at most acknowledgments, which weigh far
        less; a leader's receipt takes one and answers at most with a lighter message
        (LEADERINFO for FOLLOWERINFO), or reads a learner's first ACK after NEWLEADER
        (``ackld_live``), which outweighs the UPTODATE it answers with; a LOOKING server's
        FollowLeader adds one server that decided, which outweighs everything else. Any measure is
        sound (the cycle proviso); this one only decides which steps are taken alone.

        Computed twice for each step taken alone, so in one pass over each group, the
        weights looked up (``tests/system/test_fast_paths.py`` holds it to the sums as
        written above)."""
        measure = 0
        for ld in state.leaders:
            if ld.learners or ld.ackld_live:  # an idle leader's record counts nothing
                measure += ld.ackld_live.bit_count() << ACKLD_READ_SHIFT
                measure += ld.learners.bit_count() << CONNECTED_SHIFT
        for srv in state.servers:
            if srv.online and srv.state != LOOKING:
                measure += DECIDED
        for el in state.elections:
            if el.queue:
                measure -= len(el.queue) << QUEUED_SHIFT
        weights = ZAB_WEIGHTS
        for channel in state.network.msgs:
            for m in channel:
                measure -= weights[m[0]]
        if self.params.coarse_election:  # no notification is sent: nothing unanswered
            return measure
        return measure - unanswered_notes(state, self.params)

    def free_step(self, action: Action) -> bool:
        """With the fine-grained election, a Zab message's receipt counts no level of depth,
        wherever it is taken: the step that sent the message counted one, so a message
        exchange (sent, then taken and handled) is one level, and a depth bound reaches
        through Zab's phases as far as it reaches through the election. The election's own
        receipts (FLEReceiveNotmsg, the WorkerReceiver queueing a notification) still count
        one: free, they bring so many states into each level that depth 12 took over ten
        minutes. Nor with the coarse election, whose bug hunts count as before. A choice of
        what a depth bound counts, not of soundness."""
        return not self.params.coarse_election and action.name in ZAB_RECEIPTS

    def counts_depth(self, action: Action) -> bool:
        """A leader's receipt, a learner's connection or LEADERINFO, or a LOOKING server's
        joining a leader, taken alone counts a level of depth; the learners' other receipts
        and the election steps none. A choice of search order, not of soundness: the first
        counted a level before they were declared, so a depth bound reaches as far as it
        did; and with them free the coarse ZK-4646 hunt met 990,646 states before its
        violation, counted 886,610 (the free steps bring later states into the levels
        before the violation's); with the joining free the coarse ZK-3911 hunt met 488,999,
        counted 484,132. A step named free (:meth:`free_step`) counts none."""
        return action.name in COUNTED_RECEIPTS and not self.free_step(action)

    def parts_changed(self, before: SystemState, after: SystemState) -> set[str]:
        """The parts of the state that a step changed, in the vocabulary of
        :mod:`spec.system.property_parts`."""
        return parts_changed(before, after)


def zab_weight(kind: int) -> int:
    """How much a Zab message of type ``kind`` weighs in :meth:`SystemMovers.progress`: an
    acknowledgment 1, ACKEPOCH more than the acknowledgments a step sends, any other
    message more than that, FOLLOWERINFO most: a receipt declared persistent takes one
    message and answers with acknowledgments, or (LEADERINFO) with one ACKEPOCH, or (a
    leader's FOLLOWERINFO) with one LEADERINFO."""
    if kind == ACK:
        return 1
    if kind == FOLLOWERINFO:
        return 1 << 40
    return 1 << 16 if kind == ACKEPOCH else 1 << 32


#: :func:`zab_weight` of each message type, by type.
ZAB_WEIGHTS = tuple(zab_weight(kind) for kind in range(len(MESSAGE_TYPE_NAMES)))

#: A notification queued at a LOOKING server weighs more than the notifications to decided
#: servers that its handling may send (:func:`unanswered_notes`, at most 2 to each server).
QUEUED_SHIFT = 4

#: A leader's reading of a learner's first ACK after NEWLEADER (``ackld_live``) weighs more
#: than the UPTODATE it may answer with.
ACKLD_READ_SHIFT = 48
#: A learner connected to its leader weighs more than the FOLLOWERINFO it sends.
CONNECTED_SHIFT = 56
#: A server that decided (up and not LOOKING) weighs more than all the rest: FollowLeader
#: (spec.system.leader_persistence.follow) raises the measure by it.
DECIDED_SHIFT = 64
DECIDED = 1 << DECIDED_SHIFT


def unanswered_notes(s: SystemState, p: Params) -> int:
    """The notifications in flight to decided servers (up, not LOOKING), a LOOKING one
    weighing 2, a decided one 1: a decided server's receipt (:func:`decided_receipt`) takes
    one and answers a LOOKING one with one decided notification at most."""
    if p.coarse_election:
        return 0
    n, notes, weight = p.n, s.network.notes, 0
    for i, srv in enumerate(s.servers):
        if srv.online and srv.state != LOOKING:
            for j in range(n):
                for note in notes[j * n + i]:
                    weight += 2 if note.state == LOOKING else 1
    return weight


def decided_receipt(s: SystemState, p: Params) -> tuple[Action, SystemState] | None:
    """The first decided server's receipt of a notification (FLEReceiveNotmsg of a server
    that is not LOOKING) declared persistent, or None (see the module's docstring)."""
    if not no_fault_left(s, p):
        return None
    n = p.n
    for i, srv in enumerate(s.servers):
        if srv.state == LOOKING or not stays_decided(s, p, i):
            continue
        for j in range(n):
            if notification_head(s.network, n, i, j) is None:
                continue
            succ = fle_receive_notmsg(s, p, i, j)
            if succ is None or not _only_notes_of(s, succ, n, i, j):
                continue
            answered = succ.network.notes[i * n + j] is not s.network.notes[i * n + j]
            if answered and not settled(srv):
                continue  # its answer would still change with its vote's epoch
            return Action("FLEReceiveNotmsg", (i, j)), succ
    return None


def stays_decided(s: SystemState, p: Params, i: int) -> bool:
    """Decided server i cannot go back to LOOKING by anyone's steps, with no fault left: a
    leader that cannot stop (:func:`spec.system.zab_persistence.cannot_stop`: established,
    or no fresher ACKEPOCH can reach it, and no giving up on NEWLEADER acks), or a learner
    of such a leader past discovery (where it could reject LEADERINFO and look)."""
    srv = s.servers[i]
    if srv.state == LEADING:
        return cannot_stop(s, p, i)
    j = s.learners[i].leader
    return j != NULL and srv.zab_state != DISCOVERY and leader_stays(s, p, j, i)


def settled(srv: Server) -> bool:
    """A decided server's vote, round and state, all its answer to a notification says (its
    own vote is not sent once decided: :func:`spec.system.election.votes.notification`), no
    longer change while it stays decided: it is in BROADCAST, where the vote's epoch is set
    (UPTODATE, or a quorum of NEWLEADER acks at a leader)."""
    return srv.zab_state == BROADCAST


def _only_notes_of(before: SystemState, after: SystemState, n: int, i: int, j: int) -> bool:
    """``after`` differs from ``before`` only by the head of the notification channel j -> i
    taken and (at most) a notification appended to i -> j."""
    if (
        not unchanged(
            before,
            after,
            "servers",
            "elections",
            "leaders",
            "learners",
            "ghost",
            "recorder",
            "msgs",
        )
        or after.network.cut != before.network.cut
    ):
        return False
    old, new = before.network.notes, after.network.notes
    into, back = j * n + i, i * n + j
    for c, (a, b) in enumerate(zip(old, new, strict=True)):
        if c == into:
            if b != a[1:]:
                return False
        elif c == back:
            if b[: len(a)] != a or len(b) > len(a) + 1:
                return False
        elif b is not a and b != a:
            return False
    return True


def _adopts(p: Params, el: Election) -> bool:
    """The LOOKING notification at the head of the queue makes the main loop change its
    vote or its round (FLEHandleNotmsg's case 2): a later round, or a better vote of its own;
    such a step is persistent only by :func:`_adopts_vote_unanswered`."""
    n = el.queue[0]
    if n.state != LOOKING:
        return False
    return n.round > el.round or (n.round == el.round and beats(p, vote_of(n), el.vote))


def _adopts_vote_unanswered(before: SystemState, after: SystemState, p: Params, i: int) -> bool:
    """i's main loop adopts a vote of its round or a later one and sends it, still LOOKING,
    where nothing can read that vote or be changed by the sending (see the module's
    docstring)."""
    old, new = before.elections[i], after.elections[i]
    if new.round < old.round or after.servers is not before.servers:
        return False
    return (
        no_fault_left(before, p)
        and not p.observers
        and no_zab_message_at(before, p, i)
        and no_older_round(before, i, new.round)
        and _only_own_record_and_notifications(before, after, p.n, i)
    )


def no_fault_left(s: SystemState, p: Params) -> bool:
    """No crash, restart, partition, healing or timeout (FLE's poll or Zab's) can happen."""
    return fault_bounds_used_up(s, p) and not s.network.cut and all(srv.online for srv in s.servers)


def no_zab_message_at(s: SystemState, p: Params, i: int) -> bool:
    """No Zab message is in flight to or from i (one could move i out of the election)."""
    msgs, n = s.network.msgs, p.n
    return not any(msgs[k * n + i] or msgs[i * n + k] for k in range(n) if k != i)


def no_older_round(s: SystemState, i: int, least: int) -> bool:
    """No server but i has a round older than ``least``, and no notification of an older
    round is queued at another server or in flight: i's WorkerReceiver, which answers
    exactly those with i's vote, will not meet one."""
    for k, el in enumerate(s.elections):
        if k != i and (el.round < least or any(note and note.round < least for note in el.queue)):
            return False
    return not any(note.round < least for channel in s.network.notes for note in channel)


def _only_own_record_and_notifications(
    before: SystemState, after: SystemState, n: int, i: int
) -> bool:
    """``after`` differs from ``before`` only in i's election record and by notifications
    appended to channels from i."""
    notes = before.network.notes
    return (
        unchanged(before, after, "leaders", "learners", "ghost", "recorder", "msgs", "cut")
        and all(after.elections[k] is before.elections[k] for k in range(n) if k != i)
        and all(
            new == old or (c // n == i and new[: len(old)] == old)
            for c, (old, new) in enumerate(zip(notes, after.network.notes, strict=True))
        )
    )


def _only_own_record(before: SystemState, after: SystemState, i: int) -> bool:
    """``after`` differs from ``before`` only in i's election record, with i's vote and
    round as they were."""
    old, new = before.elections[i], after.elections[i]
    return (
        new.vote == old.vote
        and new.round == old.round
        and after.network is before.network
        and after._replace(elections=before.elections) == before
    )


__all__ = ["ELECTION_STEPS", "PROPERTY_GROUPS", "SystemMovers"]
