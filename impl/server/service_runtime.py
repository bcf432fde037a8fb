"""The asyncio adapter of the ZooKeeper service: it feeds :class:`ZooKeeperServer` events
from the client port, the runtime and a clock, and carries out its effects.

Events are queued and handled one at a time, in order (``drain``); what the runtime reports
while it runs a core event's effects waits until they are all done.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
from collections import deque

from impl.core.effects import Deliver, NoteReceived, WriteResult
from impl.core.events import NoteToLeader, WriteSubmitted
from impl.server.runtime import LEVELS, ServerRuntime, now_ms
from impl.service.application import ZooKeeperApplication
from impl.service.zookeeper import (
    ClientClosed,
    ClientConnected,
    ClientData,
    CloseClient,
    Committed,
    LeaderNote,
    Log,
    ModeChanged,
    SendToClient,
    ServerEvent,
    SubmitWrite,
    TellLeader,
    Tick,
    WriteDone,
    ZooKeeperServer,
)

MAX_OUTPUT = 64 << 20
"""A client that lets this much of our output pile up unread is cut off."""


class ZooKeeperFrontend:
    def __init__(self, runtime: ServerRuntime, log: logging.Logger) -> None:
        app = runtime.peer.app
        assert isinstance(app, ZooKeeperApplication)
        config = runtime.config
        self.runtime = runtime
        self.log = log
        self.server = ZooKeeperServer(
            config.sid,
            app,
            secret=os.urandom(16),
            new_request_id=runtime.new_request_id,
            now_ms=now_ms(),
            limits=config.limits,
            switches=config.switches,
            environment=(
                ("host.name", platform.node()),
                ("python.version", platform.python_version()),
                ("os.name", platform.system()),
                ("os.arch", platform.machine()),
            ),
        )
        self.transports: dict[int, asyncio.Transport] = {}
        self._events: deque[ServerEvent] = deque()
        self._draining = False
        self._unsent: dict[int, list[bytes]] = {}
        """Replies per connection, written once at the end of this turn of the event loop
        (one syscall for a burst of commits, as peers.py does for peer messages)."""
        self._next_conn = 0
        self._ticker: asyncio.TimerHandle | None = None
        runtime.frontend = self

    def start(self) -> None:
        self._tick()

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        self._flush()
        for transport in self.transports.values():
            transport.close()

    # --- from the client port ---------------------------------------------------------------

    def connected(self, transport: asyncio.Transport) -> int:
        self._next_conn += 1
        cid = self._next_conn
        self.transports[cid] = transport
        host, port = (transport.get_extra_info("peername") or ("?", 0))[:2]
        self.push(ClientConnected(cid, f"/{host}:{port}"))
        return cid

    def received(self, cid: int, data: bytes) -> None:
        self.push(ClientData(cid, data))

    def lost(self, cid: int) -> None:
        if self.transports.pop(cid, None) is not None:
            self.push(ClientClosed(cid))

    # --- from the runtime (the Frontend protocol) -----------------------------------------

    def committed(self, e: Deliver) -> None:
        self._events.append(Committed(e.txn, e.result))

    def write_done(self, e: WriteResult) -> None:
        self._events.append(WriteDone(e.request_id, e.zxid, e.result, e.error))

    def note_received(self, e: NoteReceived) -> None:
        self._events.append(LeaderNote(e.sid, e.payload))

    def mode_changed(self, mode: str) -> None:
        self._events.append(ModeChanged(mode))

    # --- the loop --------------------------------------------------------------------------

    def push(self, event: ServerEvent) -> None:
        self._events.append(event)
        self.drain()

    def drain(self) -> None:
        if self._draining:
            return
        self._draining = True
        try:
            while self._events:
                for effect in self.server.handle(self._events.popleft(), now_ms()):
                    self._run(effect)
        finally:
            self._draining = False

    def _run(self, effect: object) -> None:
        match effect:
            case SendToClient(cid, data):
                if cid in self.transports:
                    if not self._unsent:
                        asyncio.get_running_loop().call_soon(self._flush)
                    self._unsent.setdefault(cid, []).append(data)
            case CloseClient(cid):
                self._flush_one(cid)
                transport = self.transports.pop(cid, None)
                if transport is not None:
                    transport.close()
            case SubmitWrite(request_id, payload):
                self.runtime.feed(WriteSubmitted(request_id, payload))
            case TellLeader(payload):
                self.runtime.feed(NoteToLeader(payload))
            case Log(level, text):
                self.log.log(LEVELS[level], "%s", text)
            case _:
                raise TypeError(f"not a server effect: {effect!r}")

    def _flush(self) -> None:
        for cid in list(self._unsent):
            self._flush_one(cid)

    def _flush_one(self, cid: int) -> None:
        chunks = self._unsent.pop(cid, None)
        transport = self.transports.get(cid)
        if chunks is None or transport is None:
            return
        transport.write(b"".join(chunks))
        if transport.get_write_buffer_size() > MAX_OUTPUT:
            self.log.warning("client connection %d reads too slowly; closing", cid)
            transport.abort()

    def _tick(self) -> None:
        self.push(Tick())
        loop = asyncio.get_running_loop()
        self._ticker = loop.call_later(self.server.limits.tick_ms / 1000, self._tick)
