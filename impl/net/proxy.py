"""A fault-injecting TCP proxy for loopback tests: forwards one address to another and can cut
the link (close every connection, refuse new ones), freeze it (accept and hold bytes, forward
nothing) and heal it. Runs on its own event loop thread so blocking tests can drive it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

Address = tuple[str, int]


class FaultyProxy:
    def __init__(self, listen: Address, target: Address) -> None:
        self.listen = listen
        self.target = target
        self.state = "open"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._flowing = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    def start(self) -> FaultyProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def cut(self) -> None:
        self._call(self._set("cut"))

    def freeze(self) -> None:
        self._call(self._set("frozen"))

    def heal(self) -> None:
        self._call(self._set("open"))

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _start(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, *self.listen)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()

    async def _set(self, state: str) -> None:
        self.state = state
        if state == "open":
            self._flowing.set()
        else:
            self._flowing.clear()
        if state == "cut":
            for writer in list(self._writers):
                writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.state == "cut":
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(1 << 16):
                await self._flowing.wait()
                if writer.is_closing():
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
