"""Driving impl's simulator along a system-spec counterexample.

Each step of the counterexample becomes the scheduler's choice (:meth:`impl.sim.world.World.take`):
a receive step delivers the head of its channel, a crash or restart or partition is the
world's own fault, a timeout fires the server's timer, a client request is submitted. The
steps impl records (its ``Observed`` effects, the trace's events) are then matched, in order,
with the counterexample's, and each one's state is compared with the spec's state after that
step, field by field, as replay compares (``zabmc.replay.bindings.system``: the fields a step
determines, :func:`~zabmc.replay.bindings.system.determined`). The first impl step that is not
the counterexample's next one, or that leaves another state, is the departure.

Where the spec is coarser or finer than impl, the rule is written here once:

* ``ElectLeader(i, Q)`` and ``FollowLeader(i, j)`` of ``--coarse-election`` are a run of impl's
  Fast Leader Election: only the election's messages and timers of the servers concerned are
  chosen until they have decided; its steps (``FLE*``) and the vote (rounds are FLE's
  bookkeeping) are not compared;
* without ``zookeeper_timing`` a log write and its ACK are one spec step: impl's
  ``FollowerSyncProcessorLogRequest`` (unless the learner has txns queued for disk in the
  spec's variant, where it is the spec's step too) and a leader's ACK of its own proposal are
  no step, and the driver lets a server's log reach disk when the step it waits for needs it
  (a leader's own right after a request and before it takes a follower's ACK);
* txns the spec's variant has a learner still writing (its SyncRequestProcessor queue in
  ZK-4646 and ZK-4685; the proposals of the sync after the first half of NEWLEADER in ZK-4643
  and ZK-4685) are impl's written log tail, not yet on disk: they are compared as part of
  the history (:func:`with_queue_logged`), and the learner's log must not reach disk in that
  step (a crash loses them in both);
* a step that only sends (``SENDS_ONLY``) may come early in impl: a learner connected to its
  leader when it decides sends FOLLOWERINFO at once, a leader syncs a learner as soon as a
  quorum has acked its epoch; the spec takes these steps later, and the early one is
  matched then;
* without ``zookeeper_timing`` a step that closes connections (a crash, a timeout, a cut
  link) takes every server concerned back to election at once: the driver delivers impl's
  notices of the lost connections right after it, and each server's giving up
  (``ZabTimeout`` of a server the spec has LOOKING) is no further step; a learner impl
  connected early is, in the spec, still connecting: it gets its notice when the spec has
  it give up;
* impl records ``NodeCrash`` with the state the server goes down with: not compared (what
  survives shows at ``NodeStart``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from impl.core.effects import Observed
from impl.core.quorum import Cluster
from impl.core.switches import Switches
from impl.sim.world import Choice, World
from spec.system.bugs import SPLIT_NEWLEADER
from spec.system.constants import LOOKING
from spec.system.state import SystemState, put
from zabmc.replay.bindings import FieldDiff, Mismatch
from zabmc.replay.bindings.system import determined, observed, trace_zxid
from zabmc.replay.trace import STATE_FIELDS, ObservedState, Vote, state_field_text
from zabmc.replay.verdict import Divergence

#: Impl events the driver may take while it looks for one spec step.
BUDGET = 400
#: Steps that only send (the server's observed state stays as it was): impl may take them in
#: the same event as the step before, where the spec takes them later on their own.
SENDS_ONLY = frozenset(
    {
        "ConnectAndFollowerSendFOLLOWERINFO",
        "LeaderSyncFollower",
        # impl wrote the sync's txns in the first half already: the second half only ACKs
        "FollowerProcessNEWLEADERAfterCurrentEpochUpdated",
    }
)
#: Steps that take a message: the receiver is args[0], the sender args[1].
TAKES_MESSAGE = ("LeaderProcess", "FollowerProcess", "ObserverProcess")


@dataclass(frozen=True)
class SpecStep:
    """One step of the counterexample: its action, arguments (spec ids) and the state after."""

    index: int
    action: str
    args: tuple[int, ...]
    label: str
    state: SystemState
    where: str
    """Where it is in the counterexample, for the report."""


@dataclass(frozen=True)
class DriveVerdict:
    """How far impl followed the counterexample, and where it departed."""

    source: str
    switches: tuple[str, ...]
    seed: int
    """The simulator's seed (it draws latencies and disk delays; the driver picks the order)."""
    followed: int
    total: int
    violation: str
    departure: Divergence | None = None

    @property
    def followed_all(self) -> bool:
        return self.departure is None

    def line(self) -> str:
        on = f"{', '.join(self.switches) or 'none'}, seed {self.seed}"
        if self.departure is None:
            return (
                f"{self.source}: impl (switches: {on}) followed all {self.total} steps, "
                f"reproducing {self.violation}"
            )
        d = self.departure
        return (
            f"{self.source}: impl (switches: {on}) departs at step {d.index} of {self.total} "
            f"({d.where}): {d.mismatch.summary}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "counterexample": self.source,
            "switches": list(self.switches),
            "seed": self.seed,
            "verdict": "followed" if self.departure is None else "departs",
            "steps_followed": self.followed,
            "steps": self.total,
            "violation": self.violation,
            "departure": None if self.departure is None else self.departure.to_json(),
        }


def trace_state(o: Any) -> ObservedState:
    """impl's observed state as the trace format spells it (zxids as (epoch, counter))."""
    z = trace_zxid
    history = tuple((e, c) for e, n in o.history for c in range(1, n + 1))
    v = o.vote
    return ObservedState(
        o.role,
        o.phase,
        o.accepted_epoch,
        o.current_epoch,
        z(o.last_zxid),
        z(o.last_committed),
        Vote(v.leader, z(v.zxid), v.epoch, v.round),
        history,
    )


def with_queue_logged(s: SystemState, bug: str | None, k: int) -> SystemState:
    """``s`` with the txns learner k is writing at the end of its history: its
    SyncRequestProcessor queue (ZK-4646, ZK-4685), or the proposals of the sync after the
    first half of NEWLEADER (ZK-4643). impl writes those txns to its log at once; they reach
    disk later, and a crash before loses them, as it loses the spec's."""
    lrn = s.learners[k]
    queued = lrn.queued
    if bug in SPLIT_NEWLEADER and lrn.nl_received:
        queued = lrn.not_committed + queued
    if not queued:
        return s
    srv = s.servers[k]
    return s._replace(servers=put(s.servers, k, srv._replace(history=srv.history + queued)))


class Collector:
    """The world's listener: keeps the steps impl records, in order."""

    def __init__(self) -> None:
        self.steps: deque[Observed] = deque()

    def observed(self, event: Observed) -> None:
        self.steps.append(event)

    def started(self, sid: int, peer: Any) -> None: ...
    def delivered(self, sid: int, txn: Any) -> None: ...
    def dropped(self, sid: int, txns: Any, epoch: int) -> None: ...
    def write_result(self, sid: int, result: Any) -> None: ...
    def snapshot_installed(self, sid: int, snapshot: Any) -> None: ...


class Departed(Exception):
    def __init__(self, mismatch: Mismatch, server: int, action: str, args: tuple[int, ...]):
        super().__init__(mismatch.summary)
        self.mismatch, self.server, self.action, self.args = mismatch, server, action, args
        self.state: ObservedState | None = None


class Drive:
    """One counterexample's run through the simulator."""

    def __init__(
        self,
        steps: list[SpecStep],
        voters: int,
        observers: int,
        switches: Switches,
        coarse_election: bool,
        zookeeper_timing: bool,
        bug: str | None = None,
        seed: int = 0,
    ) -> None:
        self.steps = steps
        self.seed = seed
        self.bug = bug
        """The spec's variant (some of its steps have another granularity)."""
        self.coarse = coarse_election
        self.timing = zookeeper_timing
        self.collector = Collector()
        ids = tuple(range(1, voters + observers + 1))
        self.world = World(
            Cluster(ids[:voters], ids[voters:]),
            seed,
            listener=self.collector,
            switches=switches,
        )
        self.early: list[Observed] = []
        self.requests = 0
        self.done: list[str] = []

    # --- the walk ------------------------------------------------------------------------------

    def run(self) -> tuple[int, Divergence | None]:
        """Steps followed, and the departure if impl left the counterexample."""
        for sid in self.world.cluster.servers:
            self.world.start(sid)
        self.collector.steps.clear()  # the spec's initial state has every server up
        for step in self.steps[1:]:
            try:
                self._follow(step)
                if not self.timing:  # the spec's step takes the fault's news to all at once
                    while self._choose(self._news):
                        pass
            except Departed as d:
                return max(0, step.index - 1), self._divergence(step, d)
            self.done.append(f"{step.where}: {step.label}")
        return self.steps[-1].index, None

    def _follow(self, step: SpecStep) -> None:
        if step.action in ("ElectLeader", "FollowLeader"):
            self._elect(step)
            return
        want = (step.action, tuple(a + 1 for a in step.args))
        for n, o in enumerate(self.early):
            if (o.step, tuple(o.args)) == want:
                self.early.pop(n)
                self._compare(step, o.server, o.step, tuple(o.args), self._now(o.server))
                return
        act = self._actor(step)
        for _ in range(BUDGET):
            o = self._next_recorded(step)
            if o is not None:
                if (o.step, tuple(o.args)) != want:
                    raise Departed(
                        Mismatch(
                            "disabled",
                            f"impl took {o.step}{tuple(o.args)} where the counterexample "
                            f"takes {step.label}",
                        ),
                        o.server,
                        o.step,
                        tuple(o.args),
                    )
                self._compare(step, o.server, o.step, tuple(o.args), trace_state(o.state))
                return
            if not act():
                break
        raise Departed(
            Mismatch("disabled", f"impl cannot take {step.label}: {self._why_stuck(step)}"),
            self._server(step),
            step.action,
            want[1],
        )

    def _next_recorded(self, step: SpecStep) -> Observed | None:
        """The next step impl recorded that the counterexample has a step for."""
        self._skip_ignorable(step)
        return self.collector.steps.popleft() if self.collector.steps else None

    def _skip_ignorable(self, step: SpecStep) -> None:
        q = self.collector.steps
        want = (step.action, tuple(a + 1 for a in step.args))
        while q:
            o = q[0]
            if (o.step, tuple(o.args)) == want:
                return
            if self._ignorable(o, step):
                q.popleft()
            elif o.step in SENDS_ONLY:
                self.early.append(q.popleft())
            else:
                return

    def _ignorable(self, o: Observed, step: SpecStep) -> bool:
        if self.coarse and o.step.startswith("FLE"):
            return True
        before = self.steps[max(0, self.steps.index(step) - 1)].state
        if not self.timing and (
            (
                o.step == "FollowerSyncProcessorLogRequest"
                and not before.learners[o.server - 1].queued
            )
            or (o.step == "LeaderProcessACK" and o.args[0] == o.args[1])
        ):
            return True
        # a server the spec's step already took out of its role gives up on its own
        if o.step != "ZabTimeout":
            return False
        return LOOKING in (
            before.servers[o.server - 1].state,
            step.state.servers[o.server - 1].state,
        )

    # --- choices --------------------------------------------------------------------------------

    def _server(self, step: SpecStep) -> int:
        if step.action == "ConnectAndFollowerSendFOLLOWERINFO":
            return step.args[1] + 1
        return step.args[0] + 1 if step.args else 0

    def _actor(self, step: SpecStep) -> Callable[[], bool]:
        """What moves impl towards ``step``: one call takes one choice (False: none left)."""
        w = self.world
        name, ids = step.action, tuple(a + 1 for a in step.args)
        if name == "LeaderProcessRequest":
            return self._once(lambda: self._submit(ids[0]))
        if name == "LeaderProcessACK" and not self.timing:  # its own ack first (see above)
            leader, follower = ids
            return lambda: self._choose(
                lambda c: c.kind == "fsync" and c.servers == (leader,),
                lambda c: c.kind == "deliver" and c.servers == (follower, leader),
                lambda c: c.kind == "fsync" and c.servers == (follower,),
            )
        if name == "NodeCrash":
            return self._once(lambda: w.crash(ids[0], keep_unsynced=False))
        if name == "NodeStart":
            return self._once(lambda: w.start(ids[0]))
        if name == "PartitionStart":
            return self._once(lambda: w.partition(ids[0], ids[1]))
        if name == "PartitionRecover":
            return self._once(lambda: w.heal(ids[0], ids[1]))
        if name == "ZabTimeout":
            return lambda: self._choose(
                lambda c: c.kind == "timer" and c.servers == ids and c.detail == "TICK",
                lambda c: c.kind == "notice" and c.servers[0] == ids[0],
            )
        if name == "FollowerSyncProcessorLogRequest":
            return lambda: self._choose(lambda c: c.kind == "fsync" and c.servers == ids)
        if name == "ConnectAndFollowerSendFOLLOWERINFO":
            leader, learner = ids
            return lambda: self._choose(
                lambda c: c.kind == "connect" and set(c.servers) == {leader, learner},
                lambda c: c.kind == "fsync" and c.servers == (learner,),
            )
        if name.startswith(TAKES_MESSAGE):
            receiver, sender = ids
            # the receiver's log may reach disk for this step unless the spec's step leaves
            # some of it off disk (with_queue_logged)
            writing = with_queue_logged(step.state, self.bug, receiver - 1) is not step.state
            pair = {sender, receiver}
            return lambda: self._choose(
                lambda c: c.kind == "deliver" and c.servers == (sender, receiver),
                lambda c: c.kind == "fsync" and c.servers == (sender,),
                lambda c: c.kind == "connect" and set(c.servers) == {sender, receiver},
                lambda c: c.kind == "fsync" and c.servers == (receiver,) and not writing,
                # a FOLLOWERINFO sent before its leader led is taken once the learner
                # answers the leader's ping (impl.core.discovery.lead)
                lambda c: c.kind == "deliver" and c.detail == "Ping" and set(c.servers) == pair,
            )
        return lambda: False

    def _news(self, c: Choice) -> bool:
        """A notice of a lost connection, for a server the spec knows was connected: a
        learner impl connected early (its ConnectAndFollowerSendFOLLOWERINFO not yet the
        spec's step) is, in the spec, still connecting; it learns of the loss when it gives
        up (its ZabTimeout)."""
        if c.kind != "notice":
            return False
        learner, leader = c.servers
        return not any(
            o.step == "ConnectAndFollowerSendFOLLOWERINFO" and tuple(o.args) == (leader, learner)
            for o in self.early
        )

    def _once(self, act: Callable[[], object]) -> Callable[[], bool]:
        done = [False]

        def run() -> bool:
            if done[0]:
                return False
            done[0] = True
            act()
            return True

        return run

    def _submit(self, sid: int) -> None:
        self.requests += 1
        self.world.submit(sid, self.requests, f"v{self.requests}".encode())
        if not self.timing:  # the spec's leader logs the request in the same step
            self._choose(lambda c: c.kind == "fsync" and c.servers == (sid,))

    def _choose(self, *preferences: Callable[[Choice], bool]) -> bool:
        """Take the first pending choice the first preference that has one accepts."""
        pending = self.world.choices()
        for accept in preferences:
            for c in pending:
                if accept(c):
                    self.world.take(c)
                    return True
        return False

    def _elect(self, step: SpecStep) -> None:
        """``ElectLeader(i, Q)`` or ``FollowLeader(i, j)``: impl's FLE among those servers."""
        w = self.world
        if step.action == "ElectLeader":
            leader = step.args[0] + 1
            members = {k + 1 for k in range(len(w.servers)) if step.args[1] >> k & 1}
            deciders = members
        else:
            leader = step.args[1] + 1
            members = {k + 1 for k in range(len(w.servers))}
            deciders = {step.args[0] + 1}

        def outcome() -> set[int] | None:
            """The leaders the deciders follow or are, once none of them is LOOKING."""
            leaders = set()
            for sid in deciders:
                peer = w.servers[sid].peer
                if peer is None or peer.observed_state().role == 0:  # LOOKING
                    return None
                leaders.add(peer.observed_state().vote.leader)
            return leaders

        def decided() -> bool:
            return outcome() == {leader}

        def election(c: Choice) -> bool:
            if not set(c.servers) <= members or not set(c.servers) & deciders:
                return False
            if c.kind == "deliver":
                return c.detail == "Notification"
            if c.kind == "timer":  # a TICK: a server that follows a dead leader gives up
                return True
            return c.kind in ("connect", "notice")

        for _ in range(BUDGET):
            self._check_election_steps(step)
            if outcome() is not None:
                break
            if not self._choose(election):
                break
        self._check_election_steps(step)
        if not decided():
            votes = ", ".join(f"server {sid} {self._role_text(sid)}" for sid in sorted(deciders))
            raise Departed(
                Mismatch(
                    "disabled",
                    f"impl's election does not reach {step.label}: {votes}",
                ),
                min(deciders),
                step.action,
                (leader,),
            )
        for sid in sorted(deciders):
            self._compare(step, sid, step.action, (), self._now(sid))

    def _role_text(self, sid: int) -> str:
        peer = self.world.servers[sid].peer
        if peer is None:
            return "is down"
        o = trace_state(peer.observed_state())
        role = state_field_text("role", o.role)
        return f"{role} for {o.vote.leader}" if role != "LOOKING" else "still LOOKING"

    def _check_election_steps(self, step: SpecStep) -> None:
        self._skip_ignorable(step)
        if self.collector.steps:
            o = self.collector.steps[0]
            raise Departed(
                Mismatch("disabled", f"impl took {o.step}{tuple(o.args)} during {step.label}"),
                o.server,
                o.step,
                tuple(o.args),
            )

    # --- comparing -------------------------------------------------------------------------------

    def _now(self, sid: int) -> ObservedState:
        peer = self.world.servers[sid].peer
        if peer is None:
            raise Departed(
                Mismatch("state", f"server {sid} is down in impl"), sid, "NodeCrash", (sid,)
            )
        return trace_state(peer.observed_state())

    def _compare(
        self, step: SpecStep, sid: int, action: str, args: tuple[int, ...], got: ObservedState
    ) -> None:
        if action == "NodeCrash":
            return  # impl records the state it goes down with; what survives shows at NodeStart
        want = observed(with_queue_logged(step.state, self.bug, sid - 1), sid - 1)
        fields = determined(got.phase, step.state, sid - 1)
        if self.coarse:
            fields = fields - {"vote"}
        diffs = tuple(
            FieldDiff(f, state_field_text(f, r), state_field_text(f, x))
            for f, r, x in zip(STATE_FIELDS, got, want, strict=True)
            if r != x and f in fields
        )
        if diffs:
            d = Departed(
                Mismatch(
                    "state",
                    f"after {step.label} server {sid} differs in "
                    + ", ".join(x.name for x in diffs),
                    fields=diffs,
                ),
                sid,
                action,
                args,
            )
            d.state = got
            raise d

    def _why_stuck(self, step: SpecStep) -> str:
        pending = self.world.choices()
        k = self._server(step) - 1
        if (
            k >= 0
            and with_queue_logged(step.state, self.bug, k) is not step.state
            and any(c.kind == "fsync" and c.servers == (k + 1,) for c in pending)
        ):
            return (
                f"server {k + 1} waits for its log to reach disk first, where the spec's step "
                "leaves the txns of the sync off disk"
            )
        shown = [f"{c.kind} {c.servers} {c.detail}".strip() for c in pending]
        return "pending in impl: " + (", ".join(shown[:8]) or "nothing")

    def _divergence(self, step: SpecStep, d: Departed) -> Divergence:
        sid = d.server if d.server else 1
        got = d.state
        if got is None:
            peer = self.world.servers[sid].peer if sid in self.world.servers else None
            got = trace_state(peer.observed_state()) if peer is not None else None
        want = observed(step.state, sid - 1)
        recorded = {
            f: state_field_text(f, v) for f, v in zip(STATE_FIELDS, got or want, strict=True)
        }
        if got is None:
            recorded = dict.fromkeys(STATE_FIELDS, "(down)")
        return Divergence(
            index=step.index,
            where=step.where,
            server=sid,
            action=d.action,
            args=d.args,
            msg="none",
            mismatch=d.mismatch,
            recorded_state=recorded,
            expected_state={
                f: state_field_text(f, v) for f, v in zip(STATE_FIELDS, want, strict=True)
            },
            enabled=(step.label,),
            previous=tuple(self.done[-5:]),
        )
