"""The client port: JSON lines over TCP, for trying the cluster out and for tests.

Requests and replies, one JSON object per line::

    {"op": "write", "data": "text"}       -> {"ok": true, "zxid": "1:5"}
                                             {"ok": false, "error": "not-ready"}
    {"op": "status"}                      -> {"ok": true, "id": 1, "role": "LEADING", ...}
    {"op": "read", "from": 0}             -> {"ok": true, "entries": [["1:1", "text"], ...]}

Writes may go to any server (followers forward them to the leader); a reply comes once the
write is committed and applied here. Reads are local. A line that is not a request gets an
error reply; the connection stays open.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from impl.core.application import TxnList
from impl.core.zxid import format_zxid
from impl.server.runtime import ServerRuntime

MAX_LINE = 1 << 20
READ_LIMIT = 10_000
WRITE_TIMEOUT = 10.0


class ClientPort:
    def __init__(self, runtime: ServerRuntime) -> None:
        self.runtime = runtime
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        host, port = self.runtime.config.client
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_LINE)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                reply = await self._answer(line)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ValueError, OSError, asyncio.LimitOverrunError):
            pass  # an over-long line or a dropped client: close quietly
        finally:
            writer.close()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError as exc:
            return {"ok": False, "error": f"bad request: not JSON ({exc})"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "bad request: expected an object"}
        op = request.get("op")
        if op == "write":
            data = request.get("data")
            if not isinstance(data, str):
                return {"ok": False, "error": "bad request: 'data' must be a string"}
            timeout = request.get("timeout", WRITE_TIMEOUT)
            result = await self.runtime.write(data.encode(), float(timeout))
            if result.zxid is None:
                return {"ok": False, "error": result.error}
            return {"ok": True, "zxid": format_zxid(result.zxid)}
        if op == "status":
            return {"ok": True, **self.status()}
        if op == "read":
            start = request.get("from", 0)
            if not isinstance(start, int) or start < 0:
                return {"ok": False, "error": "bad request: 'from' must be an index >= 0"}
            app = self.runtime.peer.app
            assert isinstance(app, TxnList)
            entries = app.entries[start : start + READ_LIMIT]
            return {
                "ok": True,
                "entries": [
                    [format_zxid(t.zxid), t.payload.decode(errors="replace")] for t in entries
                ],
            }
        return {"ok": False, "error": f"bad request: unknown op {op!r}"}

    def status(self) -> dict[str, Any]:
        p = self.runtime.peer
        return {
            "id": p.sid,
            "role": p.role.name,
            "phase": p.phase.name,
            "leader": p.leader,
            "accepted_epoch": p.accepted_epoch,
            "current_epoch": p.current_epoch,
            "last_zxid": format_zxid(p.history.last_zxid),
            "committed": format_zxid(p.committed),
            "committed_count": len(p.app.entries) if isinstance(p.app, TxnList) else None,
            "snapshot_zxid": format_zxid(p.history.snapshot_zxid),
            "sync_mode": p.learner.sync_mode if p.learner is not None else None,
        }
