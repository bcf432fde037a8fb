"""The nemesis: faults on a cluster of real server processes, drawn from a seeded generator.

Every peer link runs through a fault-injecting proxy (``impl.net.proxy``), so the network can
be split; client ports are direct. The faults:

``kill``            ``kill -9`` of one server, restarted when the fault ends;
``partition``       one server cut off from the others: its peer links freeze (bytes are
                    held, nothing is delivered, nobody sees a connection close, as in a real
                    network partition), and at the end are cut (their connections close)
                    and heal;
``isolate-leader``  the same, for the server that leads now;
``power-loss``      every server killed at once (``kill -9``) and, as a power loss does, what
                    no fsync covered is dropped from the logs (each server keeps a ledger of
                    its last fsync, ``impl.storage.store.SYNC_LEDGER``); at the end the
                    servers that followed come back first, the one that led two seconds
                    later.

Each fault, and its end, is written to the history as a ``nemesis`` line.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

from impl.net.proxy import FaultyProxy
from impl.server.local import HOST, ClusterLayout, LocalCluster, free_ports
from impl.storage.store import LEDGER_NAME, SLOW_FSYNC, SYNC_LEDGER
from zabmc.faultrun.recorder import HistoryWriter

FAULTS = ("kill", "partition", "isolate-leader", "power-loss")


class ProxiedCluster(LocalCluster):
    """A local cluster whose every peer link runs through a :class:`FaultyProxy`."""

    def __init__(self, layout: ClusterLayout, directory: Path, fsync_delay_ms: int = 0) -> None:
        """``fsync_delay_ms``: every server's disk is that slow to fsync (``SLOW_FSYNC``)."""
        pairs = [(a, b) for a in layout.servers for b in layout.servers if a < b]
        self.proxies: dict[tuple[int, int], FaultyProxy] = {}
        for (a, b), port in zip(pairs, free_ports(len(pairs)), strict=True):
            layout.dial.setdefault(b, {})[a] = port  # b dials a through the proxy
            self.proxies[a, b] = FaultyProxy((HOST, port), (HOST, layout.peer_ports[a])).start()
        env = {SYNC_LEDGER: "1", SLOW_FSYNC: str(fsync_delay_ms)}
        super().__init__(layout, directory, env=env)

    def links_of(self, sid: int) -> list[FaultyProxy]:
        return [p for pair, p in self.proxies.items() if sid in pair]

    def drop_unsynced(self, sid: int) -> int:
        """Cut server ``sid``'s log back to what its last fsync covered (it must be dead);
        the bytes dropped."""
        ledger = self.data_dir(sid) / LEDGER_NAME
        if not ledger.exists():
            return 0
        name, size = ledger.read_text().split()
        segment = Path(name)
        extra = segment.stat().st_size - int(size) if segment.exists() else 0
        if extra > 0:
            with open(segment, "r+b") as f:
                f.truncate(int(size))
        return max(extra, 0)

    def current_leader(self) -> int | None:
        """The server that reports itself leading (whether or not the others agree)."""
        for sid in self.layout.servers:
            status = self.status(sid)
            if (
                status is not None
                and status.get("phase") == "BROADCAST"
                and status["leader"] == sid
            ):
                return sid
        return None

    def close(self) -> None:
        self.stop_all()
        for proxy in self.proxies.values():
            proxy.stop()


class Nemesis:
    """Injects faults of ``kinds`` until stopped: quiet for ``quiet`` seconds (a range), then
    one fault held for ``hold`` seconds, then healed."""

    def __init__(
        self,
        cluster: ProxiedCluster,
        history: HistoryWriter,
        rng: random.Random,
        kinds: tuple[str, ...],
        quiet: tuple[float, float] = (1.0, 2.5),
        hold: tuple[float, float] = (1.0, 3.0),
    ) -> None:
        unknown = set(kinds) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault {sorted(unknown)[0]!r}; choose from {FAULTS}")
        self.cluster = cluster
        self.history = history
        self.rng = rng
        self.kinds = kinds
        self.quiet = quiet
        self.hold = hold
        self.counts: dict[str, int] = dict.fromkeys(kinds, 0)

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.rng.uniform(*self.quiet)):
            if not self.kinds:
                continue
            kind = self.rng.choice(self.kinds)
            undo = self.inject(kind)
            if undo is None:
                continue
            self.counts[kind] += 1
            stop.wait(self.rng.uniform(*self.hold))
            undo()

    def inject(self, kind: str) -> Any:
        """Start fault ``kind``; the function that ends it (None if it could not start)."""
        c, servers = self.cluster, self.cluster.layout.servers
        if kind == "kill":
            sid = self.rng.choice(servers)
            self.history.nemesis("kill", f"server {sid}")
            c.kill(sid, signal.SIGKILL)
            return lambda: self._restart([sid])
        if kind == "power-loss":
            led = c.current_leader()
            for sid in servers:
                process = c.processes.get(sid)
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGKILL)
            for sid in servers:
                c.kill(sid, signal.SIGKILL)  # waits for each
            dropped = sum(c.drop_unsynced(sid) for sid in servers)
            self.history.nemesis("power-loss", f"every server; {dropped} unsynced bytes lost")
            first = [s for s in servers if s != led]
            return lambda: self._restart(first, later=[led] if led is not None else [])
        if kind == "partition":
            sid = self.rng.choice(servers)
        else:
            sid = c.current_leader()
            if sid is None:
                return None
        self.history.nemesis(kind, f"server {sid} cut off")
        links = c.links_of(sid)
        for proxy in links:
            proxy.freeze()
        return lambda: self._heal(links)

    def _restart(self, sids: list[int], later: list[int] | None = None) -> None:
        for sid in sids:
            self.cluster.start(sid)
        self.history.nemesis("restart", ", ".join(f"server {s}" for s in sids))
        if later:
            time.sleep(2.0)
            self._restart(later)

    def _heal(self, links: list[FaultyProxy]) -> None:
        for proxy in links:
            proxy.cut()  # what a frozen link held is lost with its connections
            proxy.heal()
        self.history.nemesis("heal", "every link")
