"""The simulated world: servers running the real core, a network, disks and a virtual clock.

Everything that happens is an entry in one time-ordered queue (message arrivals, timers,
fsyncs, connections); ties are broken by a seeded random draw, so the same seed gives the same
run. Links are TCP-like: one connection per pair of servers, FIFO in each direction; a reset
loses what was in flight and tells both ends. A partition either cuts a link (connections
reset, no new ones) or freezes it (nothing moves until it heals; what was sent then arrives).
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from impl.core.application import Application
from impl.core.effects import (
    AppendTxns,
    CancelTimer,
    Deliver,
    Disconnect,
    Effect,
    EffectRunner,
    InstallSnapshot,
    Note,
    NoteReceived,
    Observed,
    PersistEpochs,
    Send,
    SetTimer,
    TruncateLog,
    WriteResult,
    WriteSnapshot,
)
from impl.core.events import (
    Event,
    LogSynced,
    MessageReceived,
    PeerConnected,
    PeerDisconnected,
    Timer,
    TimerFired,
    WriteSubmitted,
)
from impl.core.messages import Message, Snapshot, Txn
from impl.core.peer import ZabPeer
from impl.core.quorum import Cluster
from impl.core.switches import NONE, Switches
from impl.core.tunables import Tunables
from impl.sim.disk import SimDisk
from impl.trace.recorder import TraceFile

US = 1000
"""Microseconds per millisecond: the virtual clock counts microseconds."""


class Listener(Protocol):
    """What the world reports (the invariant checker implements it)."""

    def started(self, sid: int, peer: ZabPeer) -> None: ...
    def delivered(self, sid: int, txn: Txn) -> None: ...
    def dropped(self, sid: int, txns: list[Txn], epoch: int) -> None: ...
    def observed(self, event: Observed) -> None: ...
    def write_result(self, sid: int, result: WriteResult) -> None: ...
    def snapshot_installed(self, sid: int, snapshot: Snapshot) -> None: ...


@dataclass(frozen=True, slots=True)
class SimOptions:
    latency_us: tuple[int, int] = (100, 1500)
    fsync_us: tuple[int, int] = (300, 12_000)
    connect_us: tuple[int, int] = (1_000, 30_000)
    notify_down_us: tuple[int, int] = (0, 1_000)


@dataclass(frozen=True, slots=True)
class Choice:
    """One thing the world can do next, for a scheduler outside it to pick (:meth:`World.take`).

    ``kind``: ``deliver`` (the head message of the channel ``servers`` = (from, to)),
    ``timer`` (a timer of ``servers[0]`` fires), ``fsync`` (``servers[0]``'s log reaches
    disk), ``connect`` (a connection between the two ``servers`` comes up) or ``notice``
    (``servers[0]`` learns its connection to ``servers[1]`` is gone). ``detail`` names the
    message type or the timer."""

    kind: str
    servers: tuple[int, ...]
    detail: str
    key: int
    """Which queue entry it is (private to the world)."""


@dataclass(slots=True)
class Channel:
    queue: deque[tuple[int, Message]] = field(default_factory=deque)
    token: int = 0
    scheduled: bool = False
    blocked: bool = False


@dataclass(slots=True)
class Link:
    conn: int = 0
    partition: str | None = None
    slow: int = 1
    connecting: bool = False
    pending_notices: int = 0
    deferred: list[int] = field(default_factory=list)
    """Servers to tell about a reset once a frozen link heals."""
    unrecorded: str | None = None
    """``PartitionStart`` or ``PartitionRecover`` of this cut link, which happened while both
    its servers were down: the trace gets it when one of them starts (a step is recorded
    with the state of a running server)."""


@dataclass(slots=True)
class SimServer:
    disk: SimDisk = field(default_factory=SimDisk)
    peer: ZabPeer | None = None
    incarnation: int = 0
    timers: dict[Timer, int] = field(default_factory=dict)
    """The token of each live timer: a queue entry fires only if it carries it."""
    timers_set: int = 0
    """Timers set so far: each gets a token of its own, never one an older entry carries,
    which would let that entry fire the new timer before its delay."""
    sync_pending: bool = False


class World:
    def __init__(
        self,
        cluster: Cluster,
        seed: int,
        *,
        tunables: Tunables | None = None,
        options: SimOptions | None = None,
        listener: Listener | None = None,
        record: bool = True,
        keep_notes: bool = False,
        app: Callable[[], Application] | None = None,
        trace: TraceFile | None = None,
        switches: Switches = NONE,
    ) -> None:
        """``app`` makes each server's application at each start (default: ``TxnList``);
        ``trace`` records every step, in the order they happen (needs ``record``);
        ``switches`` are the bug switches every server's core is built with
        (``impl.core.switches``)."""
        if trace is not None and not record:
            raise ValueError("recording a trace needs record=True")
        self.cluster = cluster
        self.app = app
        self.rng = random.Random(seed)
        self.tunables = tunables or Tunables()
        self.options = options or SimOptions()
        self.listener = listener
        self.record = record
        self.trace = trace
        self.switches = switches
        self.now = 0
        self.notes: list[str] | None = [] if keep_notes else None
        self._queue: list[tuple[int, float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._counter = 0
        self._conn_ids = 0
        self.servers = {sid: SimServer() for sid in cluster.servers}
        ids = cluster.servers
        self.links = {(a, b): Link() for a in ids for b in ids if a < b}
        self.channels = {(a, b): Channel() for a in ids for b in ids if a != b}
        self.events_run = 0
        self._runners = {sid: SimEffects(self, sid) for sid in cluster.servers}
        self.stats: Counter[str] = Counter()
        """How often each durable effect ran (TruncateLog, InstallSnapshot, ...)."""

    # --- the clock -----------------------------------------------------------------------------

    def _at(self, time: int, fn: Callable[..., None], *args: Any) -> None:
        self._counter += 1
        heapq.heappush(self._queue, (time, self.rng.random(), self._counter, fn, args))

    def _draw(self, bounds: tuple[int, int]) -> int:
        return self.rng.randint(*bounds)

    def run_until(self, time: int) -> None:
        while self._queue and self._queue[0][0] <= time:
            when, _, _, fn, args = heapq.heappop(self._queue)
            self.now = when
            self.events_run += 1
            fn(*args)
        self.now = max(self.now, time)

    # --- an external scheduler ------------------------------------------------------------------

    def choices(self) -> list[Choice]:
        """What may happen next, in time order: the live entries of the queue. A scheduler
        outside the world (a model-guided run) picks one with :meth:`take` instead of
        letting the clock decide; a stale entry (a timer re-set, a reset channel, a server
        restarted since) is not offered."""
        live = [
            (when, choice)
            for when, _, key, fn, args in self._queue
            if (choice := self._describe(key, fn, args)) is not None
        ]
        return [choice for _, choice in sorted(live, key=lambda wc: (wc[0], wc[1].key))]

    def take(self, choice: Choice) -> None:
        """Run ``choice`` now, out of the clock's order (the clock does not go back)."""
        found = [n for n, entry in enumerate(self._queue) if entry[2] == choice.key]
        if not found:
            raise ValueError(f"{choice} is not pending")
        when, _, _, fn, args = self._queue[found[0]]
        self._queue[found[0]] = self._queue[-1]
        self._queue.pop()
        heapq.heapify(self._queue)
        self.now = max(self.now, when)
        self.events_run += 1
        fn(*args)

    def _describe(self, key: int, fn: Callable[..., None], args: tuple[Any, ...]) -> Choice | None:
        name = getattr(fn, "__name__", "")
        if name == "_arrive":
            (src, dst), token = args
            channel = self.channels[src, dst]
            if token != channel.token or not channel.queue:
                return None
            return Choice("deliver", (src, dst), type(channel.queue[0][1]).__name__, key)
        if name == "_timer":
            sid, incarnation, timer, token = args
            server = self.servers[sid]
            if server.incarnation != incarnation or server.timers.get(timer) != token:
                return None
            return Choice("timer", (sid,), timer.name, key)
        if name == "_fsync":
            sid, incarnation = args
            server = self.servers[sid]
            if server.incarnation != incarnation or server.peer is None:
                return None
            return Choice("fsync", (sid,), "", key)
        if name == "_connect":
            return Choice("connect", tuple(args), "", key)
        if name == "_notice":
            return Choice("notice", (args[0], args[1]), "", key)
        return None

    # --- servers ---------------------------------------------------------------------------------

    def start(self, sid: int) -> None:
        server = self.servers[sid]
        assert server.peer is None
        server.incarnation += 1
        server.timers.clear()
        server.sync_pending = False
        server.peer = ZabPeer(
            sid,
            self.cluster,
            durable=server.disk.recover(),
            app=self.app() if self.app is not None else None,
            tunables=self.tunables,
            record=self.record,
            switches=self.switches,
        )
        if self.listener is not None:
            self.listener.started(sid, server.peer)
        self._apply(sid, server.peer.start())
        for (a, b), link in self.links.items():
            if link.unrecorded is not None and sid in (a, b):
                self._observe(link.unrecorded, *self._live_first(a, b))
                link.unrecorded = None
        for other in self.cluster.servers:
            if other != sid:
                self._maybe_connect(sid, other, backoff=False)

    def crash(self, sid: int, keep_unsynced: bool) -> None:
        server = self.servers[sid]
        if server.peer is None:
            return
        self._observe("NodeCrash", sid)
        server.peer = None
        server.incarnation += 1
        server.disk.crash(self.rng, keep_unsynced)
        for other in self.cluster.servers:
            if other != sid:
                self._reset(sid, other, initiator=sid)

    def _observe(self, step: str, *args: int) -> None:
        """A step the harness takes (faults), reported with the state of its first server."""
        peer = self.servers[args[0]].peer
        if self.record and peer is not None:
            observed = Observed(step, args, args[0], peer.observed_state())
            if self.trace is not None:
                self.trace.record(observed)
            if self.listener is not None:
                self.listener.observed(observed)

    def alive(self, sid: int) -> bool:
        return self.servers[sid].peer is not None

    def submit(self, sid: int, request_id: int, payload: bytes) -> bool:
        """A client write at ``sid``; False if that server is down."""
        if self.servers[sid].peer is None:
            return False
        self._handle(sid, WriteSubmitted(request_id, payload))
        return True

    def _handle(self, sid: int, event: Event) -> None:
        peer = self.servers[sid].peer
        if peer is not None:
            self._apply(sid, peer.handle(event, self.now // US))

    # --- links -----------------------------------------------------------------------------------

    @staticmethod
    def _pair(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    def partition(self, a: int, b: int, kind: str = "cut") -> None:
        link = self.links[self._pair(a, b)]
        if link.partition is not None:
            return
        link.partition = kind
        if kind == "cut":  # a freeze only delays messages: no partition in the trace's sense
            self._record_link(link, a, b, "PartitionStart")
            self._reset(a, b)

    def _record_link(self, link: Link, a: int, b: int, step: str) -> None:
        if self.servers[a].peer is not None or self.servers[b].peer is not None:
            self._observe(step, *self._live_first(a, b))
        elif link.unrecorded is None:
            link.unrecorded = step
        else:  # cut and healed while both were down: nothing to record
            link.unrecorded = None

    def _live_first(self, a: int, b: int) -> tuple[int, int]:
        """A link's two ends with a running server first: a partition is recorded with the
        state of its first server, and a down server has none (a link has no direction)."""
        return (b, a) if self.servers[a].peer is None else (a, b)

    def heal(self, a: int, b: int) -> None:
        link = self.links[self._pair(a, b)]
        if link.partition is None:
            return
        if link.partition == "cut":
            self._record_link(link, a, b, "PartitionRecover")
        link.partition = None
        for sid in link.deferred:
            self._notice_later(sid, b if sid == a else a, link)
        link.deferred.clear()
        for key in ((a, b), (b, a)):
            channel = self.channels[key]
            if channel.blocked:
                channel.blocked = False
                self._schedule_head(key, self.now)
        self._maybe_connect(a, b, backoff=False)

    def set_slow(self, a: int, b: int, factor: int) -> None:
        self.links[self._pair(a, b)].slow = max(1, factor)

    def _maybe_connect(self, a: int, b: int, *, backoff: bool) -> None:
        link = self.links[self._pair(a, b)]
        if link.conn or link.connecting or link.partition or link.pending_notices:
            return
        if not (self.alive(a) and self.alive(b)):
            return
        link.connecting = True
        delay = self._draw(self.options.connect_us) * (4 if backoff else 1)
        self._at(self.now + delay, self._connect, a, b)

    def _connect(self, a: int, b: int) -> None:
        link = self.links[self._pair(a, b)]
        link.connecting = False
        if link.conn or link.partition or link.pending_notices:
            return
        if not (self.alive(a) and self.alive(b)):
            return
        self._conn_ids += 1
        link.conn = self._conn_ids
        ends = [a, b]
        self.rng.shuffle(ends)
        for sid, other in ((ends[0], ends[1]), (ends[1], ends[0])):
            self._handle(sid, PeerConnected(other))

    def _reset(self, a: int, b: int, initiator: int | None = None) -> None:
        link = self.links[self._pair(a, b)]
        if not link.conn:
            return
        link.conn = 0
        for key in ((a, b), (b, a)):
            channel = self.channels[key]
            channel.queue.clear()
            channel.token += 1
            channel.scheduled = channel.blocked = False
        for sid, other in ((a, b), (b, a)):
            if sid == initiator or not self.alive(sid):
                continue
            if link.partition == "freeze" and initiator is not None:
                link.deferred.append(sid)
            else:
                self._notice_later(sid, other, link)
        self._maybe_connect(a, b, backoff=True)

    def _notice_later(self, sid: int, other: int, link: Link) -> None:
        link.pending_notices += 1
        delay = self._draw(self.options.notify_down_us)
        self._at(self.now + delay, self._notice, sid, other, self.servers[sid].incarnation)

    def _notice(self, sid: int, other: int, incarnation: int) -> None:
        link = self.links[self._pair(sid, other)]
        link.pending_notices -= 1
        if self.servers[sid].incarnation == incarnation:
            self._handle(sid, PeerDisconnected(other))
        self._maybe_connect(sid, other, backoff=True)

    def _send(self, src: int, dst: int, message: Message) -> None:
        link = self.links[self._pair(src, dst)]
        if not link.conn:
            return
        channel = self.channels[src, dst]
        ready = self.now + self._draw(self.options.latency_us) * link.slow
        channel.queue.append((ready, message))
        if not channel.scheduled and not channel.blocked:
            self._schedule_head((src, dst), ready)

    def _schedule_head(self, key: tuple[int, int], ready: int) -> None:
        channel = self.channels[key]
        if not channel.queue:
            channel.scheduled = False
            return
        channel.scheduled = True
        when = max(ready, channel.queue[0][0], self.now)
        self._at(when, self._arrive, key, channel.token)

    def _arrive(self, key: tuple[int, int], token: int) -> None:
        channel = self.channels[key]
        if token != channel.token or not channel.queue:
            return
        channel.scheduled = False
        if self.links[self._pair(*key)].partition == "freeze":
            channel.blocked = True
            return
        _, message = channel.queue.popleft()
        src, dst = key
        self._handle(dst, MessageReceived(src, message))
        if channel.queue and not channel.scheduled and channel.token == token:
            self._schedule_head(key, self.now)

    # --- effects ---------------------------------------------------------------------------------

    def _timer(self, sid: int, incarnation: int, timer: Timer, token: int) -> None:
        server = self.servers[sid]
        if server.incarnation == incarnation and server.timers.get(timer) == token:
            del server.timers[timer]
            self._handle(sid, TimerFired(timer))

    def _fsync(self, sid: int, incarnation: int) -> None:
        server = self.servers[sid]
        if server.incarnation != incarnation or server.peer is None:
            return
        server.sync_pending = False
        seq = server.disk.fsync()
        self._handle(sid, LogSynced(seq))

    def _apply(self, sid: int, effects: list[Effect]) -> None:
        self._runners[sid].run(effects)

    def _report_dropped(self, sid: int, dropped: list[Txn]) -> None:
        """Report the txns a learner dropped that its leader does not have either (those the
        leader holds, uncommitted, it sends again right after)."""
        peer = self.servers[sid].peer
        if not dropped or self.listener is None or peer is None or peer.learner is None:
            return
        leader = self.servers[peer.learner.leader].peer
        skipped = [t for t in dropped if leader is None or not leader.history.contains(t.zxid)]
        if skipped:
            self.listener.dropped(sid, skipped, peer.learner.epoch or 0)


class SimEffects(EffectRunner):
    """Carries out one simulated server's effects in the world."""

    def __init__(self, world: World, sid: int) -> None:
        self.world = world
        self.sid = sid
        self.server = world.servers[sid]

    def on_send(self, e: Send) -> None:
        self.world._send(self.sid, e.peer, e.message)

    def on_disconnect(self, e: Disconnect) -> None:
        self.world._reset(self.sid, e.peer, initiator=self.sid)

    def on_set_timer(self, e: SetTimer) -> None:
        server, world = self.server, self.world
        server.timers_set += 1
        token = server.timers[e.timer] = server.timers_set
        when = world.now + e.delay_ms * US
        world._at(when, world._timer, self.sid, server.incarnation, e.timer, token)

    def on_cancel_timer(self, e: CancelTimer) -> None:
        self.server.timers.pop(e.timer, None)

    def on_append_txns(self, e: AppendTxns) -> None:
        server, world = self.server, self.world
        server.disk.append(e.txns, e.seq)
        if not server.sync_pending:
            server.sync_pending = True
            when = world.now + world._draw(world.options.fsync_us)
            world._at(when, world._fsync, self.sid, server.incarnation)

    def on_truncate_log(self, e: TruncateLog) -> None:
        self.world.stats["TruncateLog"] += 1
        self.world._report_dropped(self.sid, self.server.disk.truncate(e.zxid))

    def on_install_snapshot(self, e: InstallSnapshot) -> None:
        self.world.stats["InstallSnapshot"] += 1
        self.world._report_dropped(self.sid, self.server.disk.install(e.snapshot))
        if self.world.listener is not None:
            self.world.listener.snapshot_installed(self.sid, e.snapshot)

    def on_write_snapshot(self, e: WriteSnapshot) -> None:
        self.world.stats["WriteSnapshot"] += 1
        self.server.disk.write_snapshot(e.snapshot, e.drop_log_through)

    def on_persist_epochs(self, e: PersistEpochs) -> None:
        self.server.disk.accepted_epoch = e.accepted_epoch
        self.server.disk.current_epoch = e.current_epoch

    def on_deliver(self, e: Deliver) -> None:
        if self.world.listener is not None:
            self.world.listener.delivered(self.sid, e.txn)

    def on_write_result(self, e: WriteResult) -> None:
        if self.world.listener is not None:
            self.world.listener.write_result(self.sid, e)

    def on_note_received(self, e: NoteReceived) -> None:
        """No application on top here sends notes."""

    def on_observed(self, e: Observed) -> None:
        if self.world.trace is not None:
            self.world.trace.record(e)
        if self.world.listener is not None:
            self.world.listener.observed(e)

    def on_note(self, e: Note) -> None:
        if self.world.notes is not None:
            self.world.notes.append(
                f"{self.world.now / US:10.3f}ms s{self.sid} {e.level}: {e.text}"
            )
