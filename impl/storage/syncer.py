"""Group commit through a helper process (``fsync_helper.py``): the server's event loop asks
it to fsync the log and reads the answer like any other socket, so no thread of the server
holds or waits for its GIL around an fsync.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from impl.storage.fsync_helper import READY
from impl.storage.store import Store

HELPER = Path(__file__).with_name("fsync_helper.py")
START_TIMEOUT = 30.0


class SyncHelperError(OSError):
    """The helper could not make the log durable, or is gone."""


class SyncHelper:
    """One helper process per server; :meth:`sync` is awaited by one task at a time."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the helper and wait until it is ready (so that the first fsync does not wait
        for an interpreter to start); raises :class:`SyncHelperError` if it never is."""
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-S",
            str(HELPER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        try:
            first = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        except TimeoutError:
            first = b""
        if first != READY:
            await self.stop()
            raise SyncHelperError(f"the fsync helper {HELPER} did not start")

    async def sync(self, store: Store) -> int:
        """fsync everything ``store`` appended so far; the last append seq now on disk."""
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        seq, path = store.sync_request()
        if path is None:
            return seq
        process.stdin.write(f"{seq}\t{path.hex()}\n".encode())
        answer = await process.stdout.readline()
        if not answer:
            raise SyncHelperError("the fsync helper exited")
        got, _, error = answer.rstrip(b"\n").partition(b"\t")
        if error:
            raise SyncHelperError(error.decode(errors="replace").removeprefix("ERR "))
        return int(got)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()
