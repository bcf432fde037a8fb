"""A local cluster on loopback: config files, server processes, and a small client.

Used by ``zabmc cluster up``, the real-process tests and the benchmarks. Every address is on
127.0.0.1; ports are picked free unless given.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impl.trace.recorder import append_crash

HOST = "127.0.0.1"

FAST_TUNING = {
    "tick_ms": 50,
    "sync_limit": 10,
    "init_limit": 40,
    "notify_ms": 100,
    "notify_max_ms": 800,
    "finalize_wait_ms": 50,
}
"""Short timeouts for local clusters in tests: elections and failure detection in ~1 s."""


def free_ports(count: int) -> list[int]:
    """Ports the OS reports free on loopback (all bound at once, so they are distinct)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class ClusterLayout:
    voters: int
    observers: int = 0
    peer_ports: dict[int, int] = field(default_factory=dict)
    client_ports: dict[int, int] = field(default_factory=dict)
    dial: dict[int, dict[int, int]] = field(default_factory=dict)
    """dial[i][j]: the port server i dials to reach server j (a proxy), if not j's own."""
    tuning: dict[str, int] = field(default_factory=dict)
    application: str = "zookeeper"
    service: dict[str, int | str] = field(default_factory=dict)
    """``[service]`` settings (``impl.service.zookeeper.Limits``)."""
    trace_run: str | None = None
    """Record every server's steps, as the run of this name (one trace file per server)."""
    mutations: tuple[str, ...] = ()
    """Bug switches every server is started with (``impl.core.switches``)."""

    @property
    def servers(self) -> list[int]:
        return list(range(1, self.voters + self.observers + 1))

    @classmethod
    def on_free_ports(cls, voters: int, observers: int = 0, **kw: Any) -> ClusterLayout:
        n = voters + observers
        ports = free_ports(2 * n)
        ids = range(1, n + 1)
        return cls(
            voters,
            observers,
            dict(zip(ids, ports[:n], strict=True)),
            dict(zip(ids, ports[n:], strict=True)),
            **kw,
        )

    def config_text(self, sid: int, data_dir: Path, trace_file: Path | None = None) -> str:
        lines = [
            f"id = {sid}",
            f"data_dir = {json.dumps(str(data_dir))}",
            f'application = "{self.application}"',
            f"mutations = {json.dumps(sorted(self.mutations))}",
            "",
        ]
        for s in self.servers:
            lines.append(f"[servers.{s}]")
            lines.append(f'peer = "{HOST}:{self.peer_ports[s]}"')
            lines.append(f'client = "{HOST}:{self.client_ports[s]}"')
            if s > self.voters:
                lines.append("observer = true")
            lines.append("")
        if self.dial.get(sid):
            lines.append("[dial]")
            lines.extend(f'{j} = "{HOST}:{port}"' for j, port in sorted(self.dial[sid].items()))
            lines.append("")
        for table, values in (("tuning", self.tuning), ("service", self.service)):
            if values:
                lines.append(f"[{table}]")
                lines.extend(f"{k} = {json.dumps(v)}" for k, v in sorted(values.items()))
        if self.trace_run is not None and trace_file is not None:
            lines.append("[trace]")
            lines.append(f"file = {json.dumps(str(trace_file))}")
            lines.append(f"run = {json.dumps(self.trace_run)}")
        return "\n".join(lines) + "\n"


class Client:
    """One JSON-lines connection to a server's client port."""

    def __init__(self, port: int, timeout: float = 15.0) -> None:
        self.port = port
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    def call(self, request: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request and wait for its reply; raises ``OSError`` if the server is gone."""
        try:
            if self._sock is None:
                self._sock = socket.create_connection((HOST, self.port), timeout=2.0)
                self._buffer = b""
            self._sock.settimeout(timeout or self.timeout)
            self._sock.sendall(json.dumps(request).encode() + b"\n")
            while b"\n" not in self._buffer:
                chunk = self._sock.recv(1 << 16)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self._buffer += chunk
        except OSError:
            self.close()
            raise
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class LocalCluster:
    """Server processes of one layout under ``directory`` (configs, data, logs)."""

    def __init__(
        self,
        layout: ClusterLayout,
        directory: Path,
        env: dict[str, str] | None = None,
        profile_dir: Path | None = None,
    ):
        """With ``profile_dir``, each server runs under cProfile and leaves its statistics
        there (``server<id>.prof``) when it stops cleanly."""
        self.layout = layout
        self.directory = directory
        self.env = env
        self.profile_dir = profile_dir
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.clients: dict[int, Client] = {}
        directory.mkdir(parents=True, exist_ok=True)
        for sid in layout.servers:
            text = layout.config_text(sid, self.data_dir(sid), self.trace_path(sid))
            self.config_path(sid).write_text(text)

    def config_path(self, sid: int) -> Path:
        return self.directory / f"server{sid}.toml"

    def trace_path(self, sid: int) -> Path:
        """Server ``sid``'s trace file, when the layout records a run."""
        return self.directory / "trace" / f"server{sid}.jsonl"

    def data_dir(self, sid: int) -> Path:
        return self.directory / f"data{sid}"

    def log_path(self, sid: int) -> Path:
        return self.data_dir(sid) / "server.log"

    def start(self, sid: int) -> None:
        assert sid not in self.processes or self.processes[sid].poll() is not None
        self.data_dir(sid).mkdir(parents=True, exist_ok=True)
        out = open(self.directory / f"server{sid}.out", "ab")  # noqa: SIM115 - the child owns it
        profile: list[str] = []
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            profile = ["-m", "cProfile", "-o", str(self.profile_dir / f"server{sid}.prof")]
        self.processes[sid] = subprocess.Popen(
            [
                sys.executable,
                *profile,
                "-m",
                "impl.server",
                "--config",
                str(self.config_path(sid)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(self.env or {})},
            start_new_session=True,
        )
        out.close()

    def start_all(self) -> None:
        for sid in self.layout.servers:
            self.start(sid)

    def kill(self, sid: int, sig: int = signal.SIGKILL) -> None:
        """Signal server ``sid`` and wait for it to exit. A recorded server killed with
        SIGKILL cannot record its crash: ``NodeCrash`` is appended to its trace here."""
        process = self.processes.get(sid)
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait(timeout=10)
            if sig == signal.SIGKILL and self.layout.trace_run is not None:
                append_crash(self.trace_path(sid))
        self.client(sid).close()

    def stop_all(self) -> None:
        """Stop every server (SIGTERM); a recorded run's traces end first (SIGUSR1 to all)."""
        running = [p for p in self.processes.values() if p.poll() is None]
        if self.layout.trace_run is not None and running:
            for process in running:
                process.send_signal(signal.SIGUSR1)
            time.sleep(0.2)
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for client in self.clients.values():
            client.close()

    def connect_string(self, among: list[int] | None = None) -> str:
        """``host:port,...`` of the client ports, as ZooKeeper clients (kazoo) take them."""
        ports = self.layout.client_ports
        return ",".join(f"{HOST}:{ports[s]}" for s in among or self.layout.servers)

    def client(self, sid: int) -> Client:
        if sid not in self.clients:
            self.clients[sid] = Client(self.layout.client_ports[sid])
        return self.clients[sid]

    def call(self, sid: int, request: dict[str, Any], timeout: float | None = None) -> Any:
        """The reply, or None if the server cannot be reached."""
        try:
            return self.client(sid).call(request, timeout)
        except (OSError, ValueError):
            return None

    def status(self, sid: int) -> dict[str, Any] | None:
        return self.call(sid, {"op": "status"}, timeout=2.0)

    def leader(self, among: list[int] | None = None) -> int | None:
        """The leader every server in ``among`` (default: all) agrees on, in broadcast."""
        seen = set()
        for sid in among or self.layout.servers:
            status = self.status(sid)
            if status is None or status["phase"] != "BROADCAST":
                return None
            seen.add(status["leader"])
        return seen.pop() if len(seen) == 1 else None

    def write(self, sid: int, data: str, timeout: float = 10.0) -> dict[str, Any] | None:
        return self.call(sid, {"op": "write", "data": data, "timeout": timeout}, timeout + 5)

    def entries(self, sid: int) -> list[tuple[str, str]] | None:
        out: list[tuple[str, str]] = []
        while True:
            reply = self.call(sid, {"op": "read", "from": len(out)})
            if reply is None:
                return None
            out.extend((z, d) for z, d in reply["entries"])
            if not reply["entries"]:
                return out


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, poll: float = 0.1) -> Any:
    """Poll until ``predicate`` returns something truthy; raise ``TimeoutError`` naming it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(poll)
