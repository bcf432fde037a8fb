"""The asyncio runtime of one server: it feeds the core events and carries out its effects.

Effects run in order as they come; epochs, truncations and snapshots are synchronous (durable
before the next effect); txn appends are written at once and fsync'ed by a background task
that batches whatever accumulated (group commit) and reports ``LogSynced``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from impl.core.effects import (
    AppendTxns,
    CancelTimer,
    Deliver,
    Disconnect,
    Effect,
    InstallSnapshot,
    Note,
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
from impl.net.peers import PeerNetwork
from impl.server.config import ServerConfig
from impl.storage.store import Store

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


class ServerRuntime:
    def __init__(
        self,
        config: ServerConfig,
        store: Store,
        log: logging.Logger,
        recorder: Callable[[Observed], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.log = log
        self.recorder = recorder
        self.peer = ZabPeer(
            config.sid,
            config.cluster,
            durable=store.durable,
            tunables=config.tunables,
            record=recorder is not None,
        )
        self.net = PeerNetwork(
            config.sid,
            config.listen,
            {s: a for s, a in config.dial.items() if s != config.sid},
            config.cluster.servers,
            self.feed,
            log,
        )
        self._timers: dict[Timer, asyncio.TimerHandle] = {}
        self._writes: dict[int, asyncio.Future[WriteResult]] = {}
        self._sync_wanted = asyncio.Event()
        self._syncer: asyncio.Task[None] | None = None
        self._request_base = (time.time_ns() // 1_000_000 & 0xFFFFFFFF) << 32
        self._next_request = 0
        self.stopped = asyncio.Event()

    async def start(self) -> None:
        await self.net.start()
        self._syncer = asyncio.create_task(self._sync_loop())
        self._apply(self.peer.start())

    async def stop(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        if self._syncer is not None:
            self._syncer.cancel()
        await self.net.stop()
        self.store.close()
        self.stopped.set()

    def feed(self, event: Event) -> None:
        self._apply(self.peer.handle(event))

    async def write(self, payload: bytes, timeout: float) -> WriteResult:
        """Submit a write here and wait for its outcome."""
        self._next_request += 1
        request_id = self._request_base | self._next_request
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
        store = self.store
        for effect in effects:
            kind = type(effect)
            if kind is Send:
                self.net.send(effect.peer, effect.message)
            elif kind is AppendTxns:
                store.append(effect.txns, effect.seq)
                self._sync_wanted.set()
            elif kind is SetTimer:
                old = self._timers.pop(effect.timer, None)
                if old is not None:
                    old.cancel()
                self._timers[effect.timer] = asyncio.get_running_loop().call_later(
                    effect.delay_ms / 1000, self._fire, effect.timer
                )
            elif kind is CancelTimer:
                old = self._timers.pop(effect.timer, None)
                if old is not None:
                    old.cancel()
            elif kind is Deliver:
                pass  # the application (held by the core) has applied it
            elif kind is WriteResult:
                future = self._writes.get(effect.request_id)
                if future is not None and not future.done():
                    future.set_result(effect)
            elif kind is Disconnect:
                self.net.disconnect(effect.peer)
            elif kind is PersistEpochs:
                store.persist_epochs(effect.accepted_epoch, effect.current_epoch)
            elif kind is TruncateLog:
                store.truncate(effect.zxid)
            elif kind is WriteSnapshot:
                store.write_snapshot(effect.snapshot, effect.drop_log_through)
            elif kind is InstallSnapshot:
                store.install(effect.snapshot)
            elif kind is Note:
                level = logging.ERROR if effect.level == "error" else LEVELS[effect.level]
                self.log.log(level, "%s", effect.text)
            elif kind is Observed:
                if self.recorder is not None:
                    self.recorder(effect)
            else:  # pragma: no cover - a new effect type must be handled here
                raise TypeError(f"unknown effect {effect!r}")

    def _fire(self, timer: Timer) -> None:
        self._timers.pop(timer, None)
        self.feed(TimerFired(timer))

    async def _sync_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._sync_wanted.wait()
            self._sync_wanted.clear()
            seq = await loop.run_in_executor(None, self.store.sync)
            self.feed(LogSynced(seq))
