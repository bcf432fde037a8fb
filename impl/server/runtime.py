"""The asyncio runtime of one server: it feeds the core events and carries out its effects.

Effects run in order as they come; epochs, truncations and snapshots are synchronous (durable
before the next effect); txn appends are written at once and fsync'ed by a background task
that batches whatever accumulated (group commit) and reports ``LogSynced``. The fsync itself
runs in a helper process (:class:`~impl.storage.syncer.SyncHelper`), so that no thread of
this process competes with the event loop for the GIL when an fsync returns; with the fault
tests' slow disk or sync ledger (``impl.storage.store``) it runs on an executor thread.

With ``[trace]`` in its configuration the server records every step to its own trace file
(``traces/README.md``, ``"source": "process"``), continuing the file after a restart: each
step gets the next Lamport clock, messages carry the clock of the step that sent them, and
the steps of an event are written out before any of its effects is carried out.

A service on top (``frontend``) hears of commits, of the outcomes of the writes it submitted,
of learners' notes and of mode changes; it is told only after the effects of the current
event have all run, so what it feeds back never lands in the middle of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

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
from impl.core.events import Event, LogSynced, Timer, TimerFired, WriteSubmitted
from impl.core.peer import ZabPeer
from impl.core.roles import Phase, Role
from impl.net.peers import PeerNetwork
from impl.server.config import ServerConfig
from impl.storage.store import Store
from impl.storage.syncer import SyncHelper
from impl.trace.clock import LamportClock
from impl.trace.recorder import TraceFile
from impl.trace.writer import header

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


MODES = {Role.LEADING: "leader", Role.FOLLOWING: "follower", Role.OBSERVING: "observer"}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def open_trace(config: ServerConfig) -> TraceFile | None:
    """The server's trace file, continued if it exists (after a restart), or None."""
    if config.trace_file is None:
        return None
    head = header(
        config.cluster,
        source="process",
        run=config.trace_run,
        server=config.sid,
        mutations=tuple(config.switches),
    )
    config.trace_file.parent.mkdir(parents=True, exist_ok=True)
    return TraceFile(config.trace_file, head, resume=True)


class Frontend(Protocol):
    """What the runtime tells a service on top (each call only queues; ``drain`` acts)."""

    def committed(self, e: Deliver) -> None: ...
    def write_done(self, e: WriteResult) -> None: ...
    def note_received(self, e: NoteReceived) -> None: ...
    def mode_changed(self, mode: str) -> None: ...
    def drain(self) -> None: ...


class ServerRuntime(EffectRunner):
    def __init__(
        self,
        config: ServerConfig,
        store: Store,
        log: logging.Logger,
        recorder: Callable[[Observed], None] | None = None,
        app: Application | None = None,
    ) -> None:
        """``app`` is the replicated application (default: :class:`TxnList`); ``recorder``, if
        given, receives every observable step."""
        self.config = config
        self.store = store
        self.log = log
        self.recorder = recorder
        self.trace = open_trace(config)
        self.clock = LamportClock(self.trace.clock if self.trace else 0)
        self._send_clocks: deque[int] = deque()
        self.peer = ZabPeer(
            config.sid,
            config.cluster,
            durable=store.durable,
            app=app,
            tunables=config.tunables,
            record=recorder is not None or self.trace is not None,
            switches=config.switches,
        )
        self.net = PeerNetwork(
            config.sid,
            config.listen,
            {s: a for s, a in config.dial.items() if s != config.sid},
            config.cluster.servers,
            self.feed,
            log,
            on_clock=self._message_clock if self.trace is not None else None,
        )
        self._timers: dict[Timer, asyncio.TimerHandle] = {}
        self._writes: dict[int, asyncio.Future[WriteResult]] = {}
        self._sync_wanted = asyncio.Event()
        self._syncer: asyncio.Task[None] | None = None
        self._helper: SyncHelper | None = None
        if not (store.fsync_delay_s or store.sync_ledger):  # their hooks live in Store.sync
            self._helper = SyncHelper()
        self._request_base = (now_ms() & 0xFFFFFFFF) << 32
        self._next_request = 0
        self.frontend: Frontend | None = None
        self.mode = "looking"
        self._feeding = 0
        self.stopped = asyncio.Event()

    async def start(self) -> None:
        if self._helper is not None:
            await self._helper.start()
        await self.net.start()
        self._syncer = asyncio.create_task(self._sync_loop())
        self._apply(self.peer.start())

    def _message_clock(self, clock: int | None) -> None:
        """Every recording server stamps what it sends; a message without a clock comes from
        a server whose recording ended (a harness ends a run with SIGUSR1 to each server in
        turn). The run is over for this trace too: recording the message's step would take
        a message whose sending no trace holds."""
        if clock is None:
            self.stop_recording()
        else:
            self.clock.receive(clock)

    def stop_recording(self) -> None:
        """End the trace here: a server asked to stop records none of the steps its
        shutdown causes (the run it recorded simply ends)."""
        if self.trace is not None:
            self.trace.close()
            self.trace = None
            self._send_clocks.clear()

    async def stop(self) -> None:
        self.stop_recording()
        for handle in self._timers.values():
            handle.cancel()
        if self._syncer is not None:
            self._syncer.cancel()
        await self.net.stop()
        if self._helper is not None:  # after the network: no event may come in meanwhile
            await self._helper.stop()
        self.store.close()
        self.stopped.set()

    def feed(self, event: Event) -> None:
        self._feeding += 1
        try:
            self._apply(self.peer.handle(event, now_ms()))
        finally:
            self._feeding -= 1
        if self.frontend is not None and not self._feeding:
            p = self.peer
            mode = MODES.get(p.role, "looking") if p.phase == Phase.BROADCAST else "looking"
            if mode != self.mode:
                self.mode = mode
                self.frontend.mode_changed(mode)
            self.frontend.drain()

    def new_request_id(self) -> int:
        """A request id no earlier write of this server (in any incarnation) used."""
        self._next_request += 1
        return self._request_base | self._next_request

    async def write(self, payload: bytes, timeout: float) -> WriteResult:
        """Submit a write here and wait for its outcome."""
        request_id = self.new_request_id()
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self._writes[request_id] = future
        self.feed(WriteSubmitted(request_id, payload))
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return WriteResult(request_id, None, error="timeout: outcome unknown")
        finally:
            self._writes.pop(request_id, None)

    # --- effects ---------------------------------------------------------------------------------

    def _apply(self, effects: list[Effect]) -> None:
        if self.trace is not None:
            self._send_clocks.extend(self.clock.stamp(effects, self.trace.record))
            self.trace.flush()
        self.run(effects)

    def on_send(self, e: Send) -> None:
        clock = self._send_clocks.popleft() if self.trace is not None else None
        self.net.send(e.peer, e.message, clock)

    def on_disconnect(self, e: Disconnect) -> None:
        self.net.disconnect(e.peer)

    def on_append_txns(self, e: AppendTxns) -> None:
        self.store.append(e.txns, e.seq)
        self._sync_wanted.set()

    def on_truncate_log(self, e: TruncateLog) -> None:
        self.store.truncate(e.zxid)

    def on_persist_epochs(self, e: PersistEpochs) -> None:
        self.store.persist_epochs(e.accepted_epoch, e.current_epoch)

    def on_write_snapshot(self, e: WriteSnapshot) -> None:
        self.store.write_snapshot(e.snapshot, e.drop_log_through)

    def on_install_snapshot(self, e: InstallSnapshot) -> None:
        self.store.install(e.snapshot)

    def on_set_timer(self, e: SetTimer) -> None:
        self.on_cancel_timer(CancelTimer(e.timer))
        loop = asyncio.get_running_loop()
        self._timers[e.timer] = loop.call_later(e.delay_ms / 1000, self._fire, e.timer)

    def on_cancel_timer(self, e: CancelTimer) -> None:
        old = self._timers.pop(e.timer, None)
        if old is not None:
            old.cancel()

    def on_deliver(self, e: Deliver) -> None:
        """The application (held by the core) has applied it; the frontend may care."""
        if self.frontend is not None:
            self.frontend.committed(e)

    def on_write_result(self, e: WriteResult) -> None:
        future = self._writes.get(e.request_id)
        if future is not None:
            if not future.done():
                future.set_result(e)
        elif self.frontend is not None:
            self.frontend.write_done(e)

    def on_note_received(self, e: NoteReceived) -> None:
        if self.frontend is not None:
            self.frontend.note_received(e)

    def on_note(self, e: Note) -> None:
        self.log.log(LEVELS[e.level], "%s", e.text)

    def on_observed(self, e: Observed) -> None:
        if self.recorder is not None:
            self.recorder(e)

    def _fire(self, timer: Timer) -> None:
        self._timers.pop(timer, None)
        self.feed(TimerFired(timer))

    async def _sync_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._sync_wanted.wait()
            self._sync_wanted.clear()
            try:
                if self._helper is not None:
                    seq = await self._helper.sync(self.store)
                else:
                    seq = await loop.run_in_executor(None, self.store.sync)
            except OSError as exc:  # nothing appended from now on is acked or counted
                self.log.error("fsync of the txn log failed (%s); no write commits here", exc)
                return
            self.feed(LogSynced(seq))
