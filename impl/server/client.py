"""The client port. The first byte a client sends picks the protocol:

* ``{``: JSON lines, for trying the cluster out and for tests. One object per line::

    {"op": "status"}                      -> {"ok": true, "id": 1, "role": "LEADING", ...}
    {"op": "write", "data": "text"}       -> {"ok": true, "zxid": "1:5"}        (txnlist only)
                                             {"ok": false, "error": "not-ready"}
    {"op": "read", "from": 0}             -> {"ok": true, "entries": [["1:1", "text"], ...]}

  Writes may go to any server (followers forward them to the leader); a reply comes once the
  write is committed and applied here. Reads are local. A line that is not a request gets an
  error reply; the connection stays open.
* anything else: ZooKeeper's client protocol and its four-letter words, handled by the
  ZooKeeper service (:mod:`impl.server.service_runtime`) when the server runs it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from impl.core.application import TxnList
from impl.core.zxid import format_zxid
from impl.server.runtime import ServerRuntime
from impl.server.service_runtime import ZooKeeperFrontend

MAX_LINE = 1 << 20
READ_LIMIT = 10_000
WRITE_TIMEOUT = 10.0


class ClientPort:
    def __init__(self, runtime: ServerRuntime, zookeeper: ZooKeeperFrontend | None) -> None:
        self.runtime = runtime
        self.zookeeper = zookeeper
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        host, port = self.runtime.config.client
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: ClientProtocol(self), host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError as exc:
            return {"ok": False, "error": f"bad request: not JSON ({exc})"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "bad request: expected an object"}
        op = request.get("op")
        if op == "status":
            return {"ok": True, **self.status()}
        app = self.runtime.peer.app
        if op in ("write", "read") and not isinstance(app, TxnList):
            return {"ok": False, "error": f"bad request: {op!r} needs application txnlist"}
        if op == "write":
            data = request.get("data")
            if not isinstance(data, str):
                return {"ok": False, "error": "bad request: 'data' must be a string"}
            timeout = request.get("timeout", WRITE_TIMEOUT)
            result = await self.runtime.write(data.encode(), float(timeout))
            if result.zxid is None:
                return {"ok": False, "error": result.error}
            return {"ok": True, "zxid": format_zxid(result.zxid)}
        if op == "read":
            start = request.get("from", 0)
            if not isinstance(start, int) or start < 0:
                return {"ok": False, "error": "bad request: 'from' must be an index >= 0"}
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
            "application": self.runtime.config.application,
        }


class ClientProtocol(asyncio.Protocol):
    """One client connection; its first byte decides who reads the rest."""

    def __init__(self, port: ClientPort) -> None:
        self.port = port
        self.transport: asyncio.Transport | None = None
        self.zk_conn: int | None = None
        self.lines: asyncio.Queue[bytes | None] | None = None
        self.json_task: asyncio.Task[None] | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.zk_conn is not None:
            assert self.port.zookeeper is not None
            self.port.zookeeper.received(self.zk_conn, data)
        elif self.lines is not None:
            self._json_data(data)
        elif data[:1] == b"{":
            self.lines = asyncio.Queue()
            self.json_task = asyncio.ensure_future(self._json_loop())
            self._json_data(data)
        elif self.port.zookeeper is not None:
            assert self.transport is not None
            self.zk_conn = self.port.zookeeper.connected(self.transport)
            self.port.zookeeper.received(self.zk_conn, data)
        else:
            self.port.runtime.log.warning(
                "closing a client connection: this server runs the txnlist application, "
                "which speaks JSON lines only"
            )
            assert self.transport is not None
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.zk_conn is not None and self.port.zookeeper is not None:
            self.port.zookeeper.lost(self.zk_conn)
        if self.lines is not None:
            self.lines.put_nowait(None)

    def _json_data(self, data: bytes) -> None:
        assert self.lines is not None and self.transport is not None
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self.lines.put_nowait(line)
        if len(self.buffer) > MAX_LINE:  # an over-long line: close quietly
            self.lines.put_nowait(None)
            self.transport.close()

    async def _json_loop(self) -> None:
        assert self.lines is not None and self.transport is not None
        while (line := await self.lines.get()) is not None:
            reply = await self.port.answer(line)
            if self.transport.is_closing():
                return
            self.transport.write(json.dumps(reply).encode() + b"\n")
