"""The binding of traces to the system-level spec (``spec/system/``): the one place where a
recorded run of the implementation meets the spec, and where every difference of granularity
between them is defined.

The model is built from the header: its voters and observers, the real Fast Leader Election
(never the coarse one), no bug variant, and every bound lifted (a recorded run is replayed
whole, never cut by a search bound). Myids ``1..N`` are the spec's ids ``0..N-1``; a zxid
``[epoch, counter]`` is the spec's ``epoch << 32 | counter``; roles and phases have the
same order in both.

For each event the binding takes the spec step of the same name with the same arguments,
checks the message it takes against the recorded ``msg``, applies it, and compares the
recorded state with the model's for that server, field by field. The step must not breach
a check the spec makes inside it (``ShouldNotBeTriggered``): a conforming run breaks none.

The model runs with the spec's ``zookeeper_timing`` on (see :class:`spec.system.Params`):
logs reach disk after they are written (a follower ACKs at FollowerSyncProcessorLogRequest,
a leader counts its own ack as LeaderProcessACK(i, i)) and each server notices a fault at
its own ZabTimeout, as in ZooKeeper. Where the implementation, like ZooKeeper, is still
finer or coarser than the spec, the rule is written below once, with why:

* Init: a server whose first event is NodeStart is down until then (``_initial``);
* the election port loses notifications and sends a vote on connect (``_receive_notification``);
* FLENotmsgTimeout is the spec's timeout and re-send (``_notification_timeout``);
* a learner may connect before its leader leads; its FOLLOWERINFO to a server that does not
  lead, or over a cut link, is lost (``_connect``, ``_connect_early_learners``);
* where a leader's sync starts and what a SNAP covers follow the learner's recorded sync
  message (``_sync_follower``);
* a learner's NEWLEADER waiting for disk is taken early, and undone in part if the learner
  gives up first (``SystemReplay._newleader_first``, ``_newleader``, ``_newleader_logged``,
  ``_newleader_unfinished``);
* a log sync the spec already covered is no step (``_log_synced``);
* a crash loses the log tail no step showed on disk (``_node_start``, ``SYNCS_LOG``);
* NodeCrash's state is the one the server goes down with (``_node_crash``);
* which fields are compared: lastCommitted only in BROADCAST, a learner's log from
  NEWLEADER on (``compared``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from functools import cache

from spec.system import channels as net
from spec.system.constants import (
    FOLLOWING,
    LEADING,
    LOOKING,
    MESSAGE_TYPE_NAMES,
    NEWLEADER,
    NULL,
    OBSERVING,
)
from spec.system.election.votes import self_vote
from spec.system.guards import why_disabled
from spec.system.init import initial_state
from spec.system.model import RECEIVE_STEPS, STEPS, SystemModel
from spec.system.params import MAX_IDS, UNBOUNDED, ZK_TLA, Params, unbounded
from spec.system.receive import is_learner_of
from spec.system.role_changes import power_off
from spec.system.state import Notification, Server, SystemState, index_of_zxid, put
from spec.system.synchronization import follower_process_newleader, leader_sync_follower
from spec.system.zxid import COUNTER_BITS, COUNTER_MASK
from zabmc.replay.bindings import FieldDiff, Mismatch
from zabmc.replay.trace import (
    STATE_FIELDS,
    Event,
    Header,
    History,
    ObservedState,
    Vote,
    msg_text,
    state_field_text,
)

#: Bounds high enough never to stop a recorded run.


def params_for(header: Header) -> Params:
    """The spec's constants for a run: its cluster, every bound lifted, FLE as it is."""
    return unbounded(
        len(header.voters),
        len(header.observers),
        zookeeper_timing=True,
        # the implementation takes NEWLEADER as ZkV3_7_0.tla does: every txn of the sync,
        # then currentEpoch, on disk before the ACKs (3.9 logs only the committed ones)
        zk=ZK_TLA,
    )


# --- conversions between the spec's values and the trace's ---------------------------------


def trace_zxid(z: int) -> tuple[int, int]:
    return (z >> COUNTER_BITS, z & COUNTER_MASK)


def spec_zxid(z: tuple[int, int]) -> int:
    return z[0] << COUNTER_BITS | z[1]


def observed(s: SystemState, k: int) -> ObservedState:
    """Server ``k``'s observable state in ``s``, as a trace records it."""
    srv = s.servers[k]
    el = s.elections[k]
    h = srv.history
    vote = el.vote
    return ObservedState(
        srv.state,
        srv.zab_state,
        srv.accepted_epoch,
        srv.current_epoch,
        trace_zxid(h[-1].zxid) if h else (0, 0),
        trace_zxid(h[srv.last_committed - 1].zxid) if srv.last_committed else (0, 0),
        Vote(
            vote.leader + 1 if vote.leader != NULL else 0,
            trace_zxid(vote.zxid),
            vote.epoch,
            el.round,
        ),
        observed_history(h),
    )


def same_state(r: ObservedState, s: SystemState, k: int) -> bool:
    """Whether ``r`` is server ``k``'s observable state in ``s``: :func:`observed` without
    building it, for the usual case where they agree (lastCommitted outside BROADCAST
    aside: see NOT_COMMITTED). It runs once per event, so conversions are inlined."""
    srv = s.servers[k]
    h = srv.history
    if (
        r.role != srv.state
        or r.phase != srv.zab_state
        or r.acceptedEpoch != srv.accepted_epoch
        or r.currentEpoch != srv.current_epoch
        or len(r.history) != len(h)
    ):
        return False
    el = s.elections[k]
    vote, rv = el.vote, r.vote
    z = vote.zxid
    if (
        rv.round != el.round
        or rv.epoch != vote.epoch
        or rv.zxid != (z >> COUNTER_BITS, z & COUNTER_MASK)
        or rv.leader != (vote.leader + 1 if vote.leader != NULL else 0)
    ):
        return False
    if r.phase == BROADCAST_PHASE:
        z = h[srv.last_committed - 1].zxid if srv.last_committed else 0
        if r.lastCommitted != (z >> COUNTER_BITS, z & COUNTER_MASK):
            return False
    z = h[-1].zxid if h else 0
    if r.lastZxid != (z >> COUNTER_BITS, z & COUNTER_MASK):
        return False
    return _same_history(r.history, h, k)


def _same_history(recorded: Sequence, h: tuple, k: int) -> bool:
    """``recorded`` is server ``k``'s spec history ``h`` as the trace spells it (the lengths
    are equal). It runs once per event, so it compares only what changed since the pair that
    server k agreed on last: a recorded history read from a trace shares its prefix with
    the one before by construction (:meth:`History.shared`, not looked at); that prefix is
    the spec's when ``h`` keeps the same prefix of the spec's history then (the same tuple,
    or the same entries: :func:`same_entries`). Only the rest is converted and compared, so
    a long history is not converted, copied or compared whole per event."""
    last = _AGREED.get(k)
    same = None
    if last is not None and type(recorded) is History:
        old_recorded, old_h = last
        m = recorded.shared(old_recorded) if type(old_recorded) is History else 0
        # recorded[:m] == old_recorded[:m] == the trace's spelling of old_h[:m]
        if h is old_h and m == len(h):
            same = True
        elif m and (h is old_h or same_entries(h, old_h, m)):
            same = recorded[m:] == tuple([_zxid_pair(t.zxid) for t in h[m:]])
    if same is None:
        same = recorded == observed_history(h)
    if same:
        _AGREED[k] = (recorded, h)
    return same


def same_entries(a: tuple, b: tuple, m: int) -> bool:
    """Whether the first ``m`` entries of ``a`` and ``b`` (both at least that long) are equal.

    A spec step that appends to a log or cuts it builds a new tuple of the same entry
    objects, and tuples compare their items by identity first, so this costs a pointer
    comparison per entry and never looks inside one."""
    return a[:m] == (b if len(b) == m else b[:m])


#: Per server (spec id): the recorded history and the spec's it agreed with last (a fact
#: about two immutable values, so it holds from one replay to the next).
_AGREED: dict[int, tuple[Sequence, tuple]] = {}


def _zxid_pair(zxid: int) -> tuple[int, int]:
    """A zxid as the trace spells it, one tuple per zxid (so histories share their entries)."""
    found = _PAIRS.get(zxid)
    if found is None:
        if len(_PAIRS) > 1 << 16:
            _PAIRS.clear()
        found = _PAIRS[zxid] = (zxid >> COUNTER_BITS, zxid & COUNTER_MASK)
    return found


_PAIRS: dict[int, tuple[int, int]] = {}


def observed_history(h: tuple) -> tuple[tuple[int, int], ...]:
    """A history's zxids as a trace lists them; memoized, as a history tuple is shared by
    every state until a step changes it. A new history mostly extends or cuts one converted
    lately: only the difference is converted (the shared prefix is compared by identity)."""
    found = _HISTORIES.get(id(h))
    if found is not None and found[0] is h:
        return found[1]
    if len(_HISTORIES) > 4096:
        _HISTORIES.clear()
    zxids = None
    n = len(h)
    for prev, prev_zxids in _RECENT:
        k = len(prev)
        if 0 < k <= n and h[k - 1] is prev[-1] and h[:k] == prev:
            zxids = prev_zxids + tuple([_zxid_pair(t.zxid) for t in h[k:]])
            break
        if 0 < n < k and h[-1] is prev[n - 1] and prev[:n] == h:
            zxids = prev_zxids[:n]
            break
    if zxids is None:
        zxids = tuple([_zxid_pair(t.zxid) for t in h])
    _HISTORIES[id(h)] = (h, zxids)
    _RECENT.appendleft((h, zxids))
    return zxids


_HISTORIES: dict[int, tuple[tuple, tuple[tuple[int, int], ...]]] = {}
#: The histories converted last (one per server, about), which a new one most often extends.
_RECENT: deque[tuple[tuple, tuple[tuple[int, int], ...]]] = deque(maxlen=32)


def trace_message(msg: tuple) -> tuple:
    """A spec message (Zab message or FLE notification) as the trace spells it (memoized:
    a message is converted when it is sent and again when it is taken)."""
    found = _MESSAGES.get(msg)
    if found is None:
        if len(_MESSAGES) > 4096:
            _MESSAGES.clear()
        found = _MESSAGES[msg] = _trace_message(msg)
    return found


_MESSAGES: dict[tuple, tuple] = {}


def _trace_message(msg: tuple) -> tuple:
    if type(msg) is Notification:
        return (
            "NOTIFICATION",
            msg.leader + 1 if msg.leader != NULL else 0,
            trace_zxid(msg.zxid),
            msg.epoch,
            msg.round,
            msg.state,
        )
    kind = MESSAGE_TYPE_NAMES[msg[0]]
    if kind in ("FOLLOWERINFO", "LEADERINFO"):
        return (kind, msg.epoch)
    if kind == "ACKEPOCH":
        return (kind, msg.epoch, trace_zxid(msg.zxid))
    if kind in ("NEWLEADER", "UPTODATE"):
        return (kind, msg.zxid >> COUNTER_BITS)
    if kind == "ACK" and not msg.zxid & COUNTER_MASK:  # the ACK of NEWLEADER: one type, as
        return ("ACKLD", msg.zxid >> COUNTER_BITS)  # in ZooKeeper; traces name it apart
    return (kind, trace_zxid(msg.zxid))


#: Myids as the spec's ids: (1,) -> (0,), (2, 1) -> (1, 0); for a link, low id first.
SPEC_ARGS = {
    **{(a,): (a - 1,) for a in range(1, MAX_IDS + 1)},
    **{(a, b): (a - 1, b - 1) for a in range(1, MAX_IDS + 1) for b in range(1, MAX_IDS + 1)},
}
LINK_ARGS = {pair: tuple(sorted(ids)) for pair, ids in SPEC_ARGS.items() if len(pair) == 2}
LINK_STEPS = frozenset({"PartitionStart", "PartitionRecover"})
#: Each step's table from recorded args to the spec's.
ARGS_BY_STEP = {name: LINK_ARGS if name in LINK_STEPS else SPEC_ARGS for name in STEPS}

# --- the replay of one trace -----------------------------------------------------------------

#: Steps that take an FLE notification, and steps that take a Zab message.
TAKES_NOTIFICATION = frozenset({"FLEReceiveNotmsg"})
TAKES_ZAB_MESSAGE = frozenset(name for steps in RECEIVE_STEPS.values() for name, _ in steps)


@cache
def initial_with_down(p: Params, down: tuple[int, ...]) -> SystemState:
    """Init with the servers ``down`` powered off; cached, as runs of one cluster share it
    (a state is immutable)."""
    s = initial_state(p)
    for k in down:
        s = power_off(s, p, k)
    return s


class SystemReplay:
    """One trace's walk through the system spec: the model state and the rules that bridge."""

    def __init__(self, header: Header, events: tuple[Event, ...] | list[Event]) -> None:
        self.params = params_for(header)
        self.model = SystemModel(self.params)
        self.state = self._initial(events)
        #: ConnectAndFollowerSendFOLLOWERINFO events recorded before their leader led.
        self.early_connects: list[Event] = []
        #: Learners (myids) whose NEWLEADER the spec took before the recorded step.
        #: Learners (myids) whose NEWLEADER the spec took before the recorded step, with
        #: their currentEpoch before it.
        self.newleader_early: dict[int, int] = {}
        #: Per server (myid): the highest election round it has reached.
        self.rounds = dict.fromkeys(header.servers, 0)
        #: Per server (myid) and election round: its record in the model at its last step
        #: while LOOKING in that round (its own vote in the notifications of the round).
        self.looking: dict[tuple[int, int], Server] = {}
        #: Per server (myid): how many entries of its log are known to be on disk.
        self.durable = dict.fromkeys(header.servers, 0)
        #: For each LeaderSyncFollower event (by file and line), the type of the sync
        #: message its learner took (see _sync_follower).
        self.sync_modes = sync_modes(events)
        #: For each event that closes a learner's connection to its leader after the
        #: learner took NEWLEADER (by file and line): those learners and leaders (myids).
        self.newleader_before = newleader_before_close(events)
        #: Per server (spec id): the last recorded state found equal to the model's, with
        #: what the model's observable state is made of (its server record, vote and round).
        #: Most steps leave both unchanged (an election step changes neither the recorded
        #: state nor the server record), and then they still agree: all are immutable.
        self.agreed: list[tuple[ObservedState, object, object, int] | None] = [None] * len(
            header.servers
        )

    def _initial(self, events: tuple[Event, ...] | list[Event]) -> SystemState:
        """Init, with every server whose first event is ``NodeStart`` down until then.

        The spec's Init has every server up and its first vote sent; a recorded run
        shows each server's boot as ``NodeStart`` instead.
        """
        p = self.params
        first: dict[int, str] = {}
        for e in events:
            first.setdefault(e.server, e.action)
            if len(first) == p.n:
                break
        down = tuple(k for k in range(p.n) if first.get(k + 1) == "NodeStart")
        return initial_with_down(p, down)

    # The step --------------------------------------------------------------------------------

    def step(self, e: Event) -> Mismatch | None:
        """Take event ``e``; ``None`` when it is a step of the spec from the current state."""
        if self.newleader_before:
            for learner, leader in self.newleader_before.get((e.file, e.line), ()):
                self._newleader_first(learner, (learner - 1, leader - 1))
        rule = ADAPTATIONS.get(e.action)
        problem = rule(self, e) if rule is not None else self.take(e)
        if problem is not None:
            return problem
        if e.state.vote.round > self.rounds[e.server]:
            self.rounds[e.server] = e.state.vote.round
        if e.state.role == LOOKING:
            self.looking[e.server, e.state.vote.round] = self.state.servers[e.server - 1]
        if e.action in SYNCS_LOG:
            self._synced(e)
        if self.early_connects:
            return _connect_early_learners(self)
        return None

    def _synced(self, e: Event) -> None:
        """Record how much of the log of the server that took ``e`` is now on disk."""
        k = e.server - 1
        h = self.state.servers[k].history
        if e.action == "LeaderProcessACK":
            if e.args[1] != e.server:
                return  # a follower's ACK: the leader's own log is where it was
            me = 1 << k
            acks = self.state.leaders[k].acks
            x = min(self.durable[e.server], len(acks))
            while x < len(acks) and acks[x] & me:  # its own acks cover a prefix
                x += 1
            self.durable[e.server] = x
        elif e.action == "FollowerProcessSyncMessage" and e.msg is not None and e.msg[0] == "DIFF":
            self.durable[e.server] = min(self.durable[e.server], len(h))
        else:
            self.durable[e.server] = len(h) - self.state.learners[k].unacked

    def take(
        self,
        e: Event,
        compare: bool = True,
        step: Callable[..., SystemState | None] | None = None,
        message_checked: bool = False,
    ) -> Mismatch | None:
        """The spec step named by ``e`` (or ``step``), its message checked (unless the
        caller just did), its result compared."""
        p = self.params
        _, server, name, recorded_args, msg, recorded, _, _, _ = e  # once: read on every event
        args = ARGS_BY_STEP[name][recorded_args]
        if msg is not None and len(args) == 2 and not message_checked:
            if name in TAKES_ZAB_MESSAGE:
                c = args[1] * p.n + args[0]
                channel = self.state.network.msgs[c]
                if channel and channel[0][0] == NEWLEADER and msg[0] != "NEWLEADER":
                    self._newleader_first(e.server, args)
                    channel = self.state.network.msgs[c]
            elif name in TAKES_NOTIFICATION:
                channel = self.state.network.notes[args[1] * p.n + args[0]]
            else:
                channel = ()
            if channel and trace_message(channel[0]) != msg:
                return self._other_message(e, channel[0])
        s = self.state
        fn = step or STEPS[name][0]
        t = fn(s, p, *args)
        if t is None:
            guard = why_disabled(name, s, p, args)
            return Mismatch(
                "disabled",
                f"{e.call} is not enabled in the spec here",
                guard=guard or "(the guard holds, but the step is disabled inside the action)",
            )
        if t.ghost.breaches is not s.ghost.breaches and len(t.ghost.breaches) > len(
            s.ghost.breaches
        ):
            return self._breach(e, t)
        self.state = t
        if compare and name != "NodeCrash":
            k = server - 1
            srv, el = t.servers[k], t.elections[k]
            vote = el.vote
            agreed = self.agreed[k]
            if (
                agreed is not None
                and agreed[0] is recorded
                and agreed[1] is srv
                and agreed[2] is vote
                and agreed[3] == el.round
            ):
                return None  # the same recorded state, the same model values it agreed with
            if same_state(recorded, t, k):
                self.agreed[k] = (recorded, srv, vote, el.round)
                return None
            return self.compare(e, observed(t, k))
        return None

    def _newleader_first(self, server: int, args: tuple[int, ...]) -> None:
        """A learner (myid ``server``) that took NEWLEADER and waits for its log to reach disk.

        ZooKeeper's learner (and the implementation) persists the synced txns, then
        currentEpoch, then ACKs NEWLEADER, and meanwhile goes on taking what the leader
        sends after NEWLEADER; it records FollowerProcessNEWLEADER when the ACK goes out.
        The spec's step does it all at once. So when a learner takes a message that is
        behind NEWLEADER in the spec's channel, or its connection to the leader closes
        before it records the step (:func:`newleader_before_close`), the spec's
        FollowerProcessNEWLEADER is taken first, and the recorded one later only compares
        the state.
        """
        s, p = self.state, self.params
        i, j = args[0], args[1]
        if server in self.newleader_early or not is_learner_of(s, i, j):
            return None
        t = follower_process_newleader(s, p, i, j)
        if t is None or t.ghost.breaches is not s.ghost.breaches:
            return None  # the message check explains it
        self.state = t
        self.newleader_early[server] = s.servers[i].current_epoch
        return None

    def _other_message(self, e: Event, head: tuple) -> Mismatch:
        """The recorded ``msg`` is not the one the spec's step takes (its channel's head)."""
        return Mismatch(
            "message",
            f"{e.call} takes {msg_text(trace_message(head))} in the spec, "
            f"but the run took {msg_text(e.msg)}",
        )

    def _breach(self, e: Event, t: SystemState) -> Mismatch:
        from spec.system.ghost import BREACH_NAMES

        b = t.ghost.breaches[-1]
        what = BREACH_NAMES[b.kind]
        extra = f" at zxid {trace_zxid(b.zxid)[0]}:{trace_zxid(b.zxid)[1]}" if b.zxid else ""
        if b.message != NULL:
            extra += f" on {MESSAGE_TYPE_NAMES[b.message]}"
        return Mismatch("breach", f"{e.call} fails the spec's check {what}{extra}", guard=what)

    def compare_now(self, e: Event) -> Mismatch | None:
        """The recorded state against the model's now, for ``e``'s server: as :meth:`compare`,
        with the usual agreement found by :func:`same_state` (a long history is not
        converted whole)."""
        k = e.server - 1
        if same_state(e.state, self.state, k):
            return None
        return self.compare(e, observed(self.state, k))

    def compare(self, e: Event, expected: ObservedState) -> Mismatch | None:
        """The recorded state against the model's, field by field (see :func:`compared`)."""
        recorded = e.state
        if recorded == expected:
            return None
        diffs = tuple(
            FieldDiff(f, state_field_text(f, r), state_field_text(f, x))
            for f, r, x in zip(STATE_FIELDS, recorded, expected, strict=True)
            if r != x and f in compared(e, self)
        )
        if not diffs:
            return None
        return Mismatch(
            "state",
            f"after {e.call} server {e.server} differs in " + ", ".join(d.name for d in diffs),
            fields=diffs,
        )

    # For reports -----------------------------------------------------------------------------

    def expected_state(self, server: int) -> ObservedState:
        return observed(self.state, server - 1)

    def enabled(self) -> list[str]:
        """The steps the model could take now, with myids as arguments."""
        out = []
        for action, _ in self.model.successors(self.state):
            out.append(f"{action.name}({', '.join(str(a + 1) for a in action.args)})")
        return out


def compared(e: Event, r: SystemReplay) -> frozenset[str]:
    """The fields of the recorded state that the spec determines at this event."""
    if e.server in r.newleader_early:
        return WAITING_FOR_DISK
    return determined(e.state.phase, r.state, e.server - 1)


def determined(phase: int, s: SystemState, k: int) -> frozenset[str]:
    """The fields of server ``k``'s observed state (in ``phase``) that the spec's state
    ``s`` determines (the rules below)."""
    if phase == BROADCAST_PHASE:
        return ALL_FIELDS
    if s.servers[k].state in (FOLLOWING, OBSERVING) and not s.learners[k].nl_received:
        return BEFORE_NEWLEADER
    return NOT_COMMITTED


ALL_FIELDS = frozenset(STATE_FIELDS)
#: Outside BROADCAST what a server knows committed is bookkeeping: ZooKeeper (and the spec,
#: with ZOOKEEPER-2845's fix) reloads its database from disk when it goes back to election
#: and knows committed only its snapshot; the implementation keeps what it delivered. Both
#: agree again once the server is in BROADCAST, where lastCommitted is what it delivered.
NOT_COMMITTED = ALL_FIELDS - {"lastCommitted"}
#: A learner in sync before NEWLEADER: the spec, as ZkV3_7_0.tla, adds a txn committed
#: after a TRUNC or SNAP to its history at once; ZooKeeper applies it to its in-memory
#: database only, and the implementation queues it; all log them by NEWLEADER.
BEFORE_NEWLEADER = NOT_COMMITTED - {"lastZxid", "history"}
#: A learner whose NEWLEADER the spec took early: its currentEpoch is written once its
#: log is on disk.
WAITING_FOR_DISK = NOT_COMMITTED - {"currentEpoch"}
BROADCAST_PHASE = 3

#: Events that do not map one-to-one onto a spec step, by action name.
ADAPTATIONS: dict[str, Callable[[SystemReplay, Event], Mismatch | None]] = {}


def _newleader_logged(r: SystemReplay, e: Event) -> None:
    """A learner that took NEWLEADER and wrote the synced txns to its log, but went down or
    gave up before they reached disk and before it wrote currentEpoch and ACKed.

    ZooKeeper's learner (and the implementation) takes NEWLEADER in that order; the spec
    takes it in one step, which the trace never recorded. When the recorded log is the
    spec's log followed by the proposals of the sync, the spec's log gets them (not on
    disk: a crash may still lose them, see _node_start).
    """
    k = e.server - 1
    s = r.state
    srv, lrn = s.servers[k], s.learners[k]
    if not lrn.not_committed or lrn.nl_received or srv.state not in (FOLLOWING, OBSERVING):
        return
    logged = srv.history + lrn.not_committed
    if len(e.state.history) > len(srv.history) and observed_history(logged) == e.state.history:
        srv = srv._replace(history=logged)
        lrn = lrn._replace(not_committed=())
        r.state = s._replace(servers=put(s.servers, k, srv), learners=put(s.learners, k, lrn))


def _newleader_unfinished(r: SystemReplay, e: Event) -> None:
    """A learner whose NEWLEADER the spec took early gives up or goes down before the
    implementation finished it: it never wrote currentEpoch (nor ACKed), so the spec's
    write of currentEpoch is undone. The txns were written (not on disk, see _node_start)."""
    before = r.newleader_early.pop(e.server, None)
    if before is not None:
        k = e.server - 1
        srv = r.state.servers[k]._replace(current_epoch=before)
        r.state = r.state._replace(servers=put(r.state.servers, k, srv))


def _zab_timeout(r: SystemReplay, e: Event) -> Mismatch | None:
    """A learner may give up with its NEWLEADER half done (see _newleader_logged and
    _newleader_unfinished)."""
    _newleader_logged(r, e)
    _newleader_unfinished(r, e)
    return r.take(e)


ADAPTATIONS["ZabTimeout"] = _zab_timeout


def _node_crash(r: SystemReplay, e: Event) -> Mismatch | None:
    """``NodeCrash``'s state is the one the server goes down with: compare it before.
    A learner may go down with its NEWLEADER half done (see _newleader_logged and
    _newleader_unfinished)."""
    _newleader_logged(r, e)
    _newleader_unfinished(r, e)
    problem = r.compare_now(e)
    return problem or r.take(e, compare=False)


ADAPTATIONS["NodeCrash"] = _node_crash

#: Steps after which (part of) the server's log is known to be on disk: it was read from
#: disk, acked (which follows an fsync), or rewritten durably (TRUNC and SNAP are fsync'ed).
SYNCS_LOG = frozenset(
    {
        "NodeStart",
        "FollowerSyncProcessorLogRequest",
        "FollowerProcessNEWLEADER",
        "FollowerProcessSyncMessage",
        "LeaderProcessACK",
    }
)


def _node_start(r: SystemReplay, e: Event) -> Mismatch | None:
    """A crash loses the end of the log that had not reached disk.

    The spec writes a log synchronously, so what a server logged survives its crash. In
    ZooKeeper (and the implementation) appends are synced later, and a crash loses what
    was not yet synced. A server restarting with a shorter log is accepted when the log it
    lost is a tail that no step showed on disk (acked by it, or synced before NEWLEADER's
    ACK); the spec's log is cut to the recorded one before the restart.
    """
    k = e.server - 1
    s = r.state
    srv = s.servers[k]
    recorded = e.state.history
    n = len(recorded)
    lost_tail = not srv.online and r.durable[e.server] <= n < len(srv.history)
    if lost_tail and observed_history(srv.history[:n]) == recorded:
        srv = srv._replace(history=srv.history[:n], last_snapshot=min(srv.last_snapshot, n))
        r.state = s._replace(servers=put(s.servers, k, srv))
    return r.take(e)


ADAPTATIONS["NodeStart"] = _node_start


def _newleader(r: SystemReplay, e: Event) -> Mismatch | None:
    """A FollowerProcessNEWLEADER the spec already took (see SystemReplay._newleader_first)."""
    if e.server in r.newleader_early:
        del r.newleader_early[e.server]
        return r.compare_now(e)
    return r.take(e)


ADAPTATIONS["FollowerProcessNEWLEADER"] = _newleader


def _log_synced(r: SystemReplay, e: Event) -> Mismatch | None:
    """The spec syncs a follower's whole log in one step; ZooKeeper's SyncRequestProcessor
    (and the implementation) may sync it in several writes, each acked as it completes. A
    write the spec's sync already covered is no spec step: only the state is compared."""
    k = e.server - 1
    if r.state.servers[k].online and r.state.learners[k].unacked == 0:
        return r.compare_now(e)
    return r.take(e)


ADAPTATIONS["FollowerSyncProcessorLogRequest"] = _log_synced


def _receive_notification(r: SystemReplay, e: Event) -> Mismatch | None:
    """The election port is not the spec's reliable FIFO.

    The spec sends a notification only to voters that are up, over a channel that loses
    nothing. ZooKeeper's QuorumCnxManager (and the implementation) send a server's current
    vote whenever a connection comes up, and lose what a reset connection had in flight.
    So when the recorded notification is in the spec's channel, the ones before it are
    lost; when it is not, it is one sent on connect, and is put at the head of the channel
    (it must be of a round the sender has reached, and the sender must be up). The same
    holds for an answer the spec does not send: the spec's voter answers an observer only
    while the observer is LOOKING, where ZooKeeper answers every one. FLE's safety
    never relies on notifications arriving, so this hides no safety property.
    """
    if e.msg is None:
        return r.take(e)
    s, p = r.state, r.params
    i, j = e.args[0] - 1, e.args[1] - 1
    c = j * p.n + i
    channel = s.network.notes[c]
    for k, note in enumerate(channel):
        if trace_message(note) == e.msg:
            if k:
                notes = (*s.network.notes[:c], channel[k:], *s.network.notes[c + 1 :])
                r.state = s._replace(network=s.network._replace(notes=notes))
            return r.take(e, message_checked=True)
    sender = s.servers[j]
    _, leader, zxid, epoch, round_, state = e.msg
    reached = r.rounds.get(j + 1, 0)
    if not sender.online or round_ > reached:
        return Mismatch(
            "message",
            f"{e.call} takes {msg_text(e.msg)}, which server {j + 1} has not sent "
            f"(it is {'up' if sender.online else 'down'}, and reached round {reached})",
        )
    if state == LOOKING:
        # sent while LOOKING in that round, perhaps arriving once the sender leads or
        # follows: with the own vote it had then (a leader's currentEpoch moves on)
        sender = r.looking.get((j + 1, round_), sender)
    own = self_vote(p, sender, j)
    note = Notification(
        j,
        state,
        round_,
        leader - 1 if leader else NULL,
        spec_zxid(zxid),
        epoch,
        own.zxid,
        own.epoch,
    )
    notes = (*s.network.notes[:c], (note, *channel), *s.network.notes[c + 1 :])
    r.state = s._replace(network=s.network._replace(notes=notes))
    return r.take(e)


ADAPTATIONS["FLEReceiveNotmsg"] = _receive_notification


def sync_modes(events: tuple[Event, ...] | list[Event]) -> dict[tuple[str, int], tuple]:
    """Each LeaderSyncFollower(i, j) paired with the sync message j took next from i."""
    pending: dict[tuple[int, int], tuple[str, int]] = {}
    modes: dict[tuple[str, int], tuple] = {}
    for e in events:
        if e.action == "LeaderSyncFollower":
            pending[e.args[0], e.args[1]] = (e.file, e.line)
        elif e.action == "FollowerProcessSyncMessage" and e.msg is not None:
            key = pending.pop((e.args[1], e.args[0]), None)
            if key is not None:
                modes[key] = e.msg
    return modes


def newleader_before_close(
    events: tuple[Event, ...] | list[Event],
) -> dict[tuple[str, int], list[tuple[int, int]]]:
    """Each event that closes the connection between a learner and its leader (a cut link,
    the leader's crash, the leader going back to election), paired with the learners whose
    next step after it is FollowerProcessNEWLEADER from that leader, and the leader.

    Such a learner took NEWLEADER before the close (a closed connection loses what it had in
    flight) and was waiting for its log to reach disk; ZooKeeper's learner then writes
    currentEpoch all the same (it read NEWLEADER off the socket), and so does the
    implementation. The spec takes FollowerProcessNEWLEADER before the close.
    """
    closes: dict[int, list[Event]] = {}  # per learner: closing events since its last step
    role: dict[int, int] = {}
    found: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for e in events:
        was, role[e.server] = role.get(e.server), e.state.role
        closing = e.action in ("PartitionStart", "NodeCrash") or (
            was == LEADING and e.state.role == LOOKING
        )
        if e.action == "FollowerProcessNEWLEADER" and e.server in closes:
            learner, leader = e.args[0], e.args[1]
            for c in closes[e.server]:
                ends = set(c.args) if c.action == "PartitionStart" else {c.server}
                if ends == {learner, leader} or ends == {leader}:
                    found.setdefault((c.file, c.line), []).append((learner, leader))
                    break
        closes.pop(e.server, None)
        if closing:
            for k in role:
                if k != e.server:
                    closes.setdefault(k, []).append(e)
    return found


def _sync_follower(r: SystemReplay, e: Event) -> Mismatch | None:
    """Where the leader's log starts for a sync is ZooKeeper's choice, not the protocol's.

    The spec syncs from the entry after the leader's snapshot (ZkV3_7_0.tla's
    minCommittedLog); ZooKeeper also syncs from its transaction log on disk
    (txnLogSyncEnabled), and the implementation from what it keeps in memory, which
    depends on its snapshot policy, not recorded in a trace. So the learner's recorded sync
    message says which: a DIFF or TRUNC is a sync from the whole log, a SNAP one from no
    log at all, and the zxid a SNAP covers (the implementation snapshots what it has
    committed and sends the rest of its log as proposals and commits). The spec still
    decides DIFF or TRUNC, the zxid and the txns sent.
    """
    msg = r.sync_modes.get((e.file, e.line))
    if msg is None:
        return r.take(e)
    log_from = 1 if msg[0] in ("DIFF", "TRUNC") else UNBOUNDED
    h = r.state.servers[e.args[0] - 1].history
    snap_upto = index_of_zxid(h, spec_zxid(msg[1])) if msg[0] == "SNAP" else None

    def sync(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
        return leader_sync_follower(s, p, i, j, log_from=log_from, snap_upto=snap_upto)

    return r.take(e, step=sync)


ADAPTATIONS["LeaderSyncFollower"] = _sync_follower


def _notification_timeout(r: SystemReplay, e: Event) -> Mismatch | None:
    """The spec splits a poll that times out: FLENotmsgTimeout puts a timeout signal in the
    receive queue, FLEHandleNotmsg takes it and sends the vote again (FastLeaderElection.tla).
    The implementation sends at once, so its FLENotmsgTimeout is both spec steps."""
    problem = r.take(e, compare=False)
    if problem is not None:
        return problem
    return r.take(e._replace(action="FLEHandleNotmsg"))


ADAPTATIONS["FLENotmsgTimeout"] = _notification_timeout


def _connect(r: SystemReplay, e: Event) -> Mismatch | None:
    """A learner may connect before its leader has decided.

    In ZooKeeper a learner's connection is accepted only once its leader leads (Leader.lead
    starts the LearnerCnxAcceptor; the learner retries until then), which is the spec's
    guard. The implementation reuses the election's connection, so a learner that decides
    first sends FOLLOWERINFO at once and the leader keeps it until it leads. Such an event
    is held, and taken as the spec step right after the step that makes the leader lead.
    """
    leader = r.state.servers[e.args[0] - 1]
    cut = net.link_cut(r.state.network, r.params.n, e.args[0] - 1, e.args[1] - 1)
    if leader.online and leader.state == LOOKING and not cut:
        problem = r.compare_now(e)
        if problem is None:
            r.early_connects.append(e)
        return problem
    if cut or not (leader.online and leader.state == LEADING):
        # The learner decided for a server that went on to follow another, went down, or
        # is cut off: ZooKeeper's connection would fail, the implementation's FOLLOWERINFO
        # is lost or ignored. The learner waits for its ZabTimeout; the spec has no step.
        return r.compare_now(e)
    return r.take(e)


ADAPTATIONS["ConnectAndFollowerSendFOLLOWERINFO"] = _connect


def _connect_early_learners(r: SystemReplay) -> Mismatch | None:
    """Take the held connections whose leader now leads; drop those of learners that left."""
    waiting = []
    for e in r.early_connects:
        i, j = e.args[0] - 1, e.args[1] - 1
        s = r.state
        if s.servers[j].state not in (FOLLOWING, OBSERVING) or s.elections[j].vote.leader != i:
            continue  # the learner gave up on this leader; its FOLLOWERINFO went with it
        leader = s.servers[i]
        if leader.online and leader.state == LOOKING:
            waiting.append(e)
            continue
        cut = net.link_cut(s.network, r.params.n, i, j)
        if cut or not (leader.online and leader.state == LEADING):
            continue  # the leader went down, follows another or is cut off: it is lost
        problem = r.take(e, compare=False)
        if problem is not None:
            return problem
    r.early_connects = waiting
    return None


__all__ = ["SystemReplay", "observed", "params_for", "trace_message"]
