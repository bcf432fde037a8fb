"""One seeded fault run: a cluster of real servers, client processes recording a history,
the nemesis; then every fault healed, a final read of every key, and the durability count.

The seed fixes the client mix, the keys, and the nemesis's choices and timings; the servers'
own timing still varies from run to run (real processes), so the history does too.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from impl.server.local import FAST_TUNING, ClusterLayout, wait_for
from zabmc.faultrun.nemesis import Nemesis, ProxiedCluster
from zabmc.faultrun.recorder import HistoryWriter
from zabmc.faultrun.workload import ROOT, ClientProcess, connect, queue, register
from zabmc.lincheck.history import read_history

SERVICE = {"min_session_timeout_ms": 500, "tick_ms": 50}


@dataclass
class RunSummary:
    seed: int
    history: Path
    seconds: float
    operations: dict[str, int]
    """``ok``, ``info`` and ``fail`` counts over the client processes."""
    faults: dict[str, int]
    lost_writes: int
    """Acknowledged writes that the final reads do not show (see :func:`lost_writes`)."""
    acknowledged_writes: int
    mutations: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def hosts_from(cluster: ProxiedCluster, first: int) -> str:
    """The connect string with server ``first`` first (clients try the list in order)."""
    order = [first] + [s for s in cluster.layout.servers if s != first]
    return cluster.connect_string(order)


def fault_run(
    directory: Path,
    seed: int,
    *,
    duration: float,
    faults: tuple[str, ...],
    clients: int = 5,
    registers: int = 3,
    queues: int = 1,
    voters: int = 3,
    mutations: tuple[str, ...] = (),
    op_timeout: float = 3.0,
    session_timeout: float = 3.0,
    pause: float = 0.02,
    quiet: tuple[float, float] = (1.0, 2.5),
    hold: tuple[float, float] = (1.0, 3.0),
    final_wait: float = 60.0,
    fsync_delay_ms: int = 0,
) -> RunSummary:
    """Run the workload for ``duration`` seconds under ``faults`` (``zabmc.faultrun.nemesis``);
    the history is ``directory/history.jsonl``. If no leader is back ``final_wait`` seconds
    after the faults end (a planted bug can leave the cluster stuck), the run ends without the
    final reads, and says so in its notes."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    layout = ClusterLayout.on_free_ports(
        voters, tuning=FAST_TUNING, service=SERVICE, mutations=mutations
    )
    cluster = ProxiedCluster(layout, directory / "cluster", fsync_delay_ms)
    path = directory / "history.jsonl"
    history = HistoryWriter(
        path,
        seed=seed,
        duration_s=duration,
        faults=list(faults),
        clients=clients,
        voters=voters,
        mutations=list(mutations),
        fsync_delay_ms=fsync_delay_ms,
    )
    started = time.monotonic()
    kazoos = []
    notes: list[str] = []
    try:
        cluster.start_all()
        wait_for(cluster.leader, 30, "a leader")
        setup = connect(cluster.connect_string(), session_timeout)
        kazoos.append(setup)
        setup.ensure_path(f"{ROOT}/r")
        setup.ensure_path(f"{ROOT}/q")
        first = ClientProcess(
            0, setup, history, rng, registers=registers, queues=queues, op_timeout=10
        )
        for i in range(registers):
            first.create(register(i), "initial")
        for i in range(queues):
            first.create(queue(i), "queue")
        procs = []
        for p in range(1, clients + 1):
            home = layout.servers[(p - 1) % len(layout.servers)]
            kazoos.append(connect(hosts_from(cluster, home), session_timeout))
            procs.append(
                ClientProcess(
                    p,
                    kazoos[-1],
                    history,
                    random.Random(rng.getrandbits(64)),
                    registers=registers,
                    queues=queues,
                    op_timeout=op_timeout,
                )
            )
        stop = threading.Event()
        nemesis = Nemesis(cluster, history, random.Random(rng.getrandbits(64)), faults, quiet, hold)
        threads = [threading.Thread(target=p.run, args=(stop, pause)) for p in procs]
        threads.append(threading.Thread(target=nemesis.run, args=(stop,)))
        for t in threads:
            t.start()
        stop.wait(duration)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        # every fault healed (the nemesis ended its last one); the final reads
        for sid in layout.servers:
            process = cluster.processes.get(sid)
            if process is None or process.poll() is not None:
                cluster.start(sid)
        for proxy in cluster.proxies.values():
            if proxy.state != "open":
                proxy.cut()
                proxy.heal()
        last = ClientProcess(
            clients + 1, setup, history, rng, registers=registers, queues=queues, op_timeout=10
        )
        try:
            wait_for(cluster.leader, final_wait, "a leader after the faults")
        except TimeoutError as exc:  # a planted bug can leave the cluster stuck
            notes.append(f"no final reads: {exc}")
        else:
            final = connect(cluster.connect_string(), session_timeout)
            kazoos.append(final)
            last.client = final
            for i in range(registers):
                last.sync(register(i))
                last.get(register(i))
            for i in range(queues):
                last.sync(queue(i))
                last.children(queue(i))
        counts = {"ok": 0, "info": 0, "fail": 0}
        for p in [first, *procs, last]:
            for k in counts:
                counts[k] += p.counts[k]
    finally:
        for k in kazoos:
            try:
                k.stop()
                k.close()
            except Exception:  # a client of a dead cluster; nothing to keep
                pass
        history.close()
        cluster.close()
    lost, acked = lost_writes(path, clients + 1)
    return RunSummary(
        seed,
        path,
        time.monotonic() - started,
        counts,
        nemesis.counts,
        lost,
        acked,
        mutations,
        notes,
    )


def lost_writes(path: Path, final_process: int) -> tuple[int, int]:
    """(acknowledged writes the final reads do not show, acknowledged writes): a set or cas
    answered with version v on a key whose final version is below v; a sequential create
    answered with sequence s whose child the final listing lacks. ``final_process`` made the
    final reads (a key it did not read counts nothing)."""
    ops = read_history(path).operations
    final: dict[str, Any] = {
        o.key: o.result
        for o in ops
        if o.process == final_process and o.status == "ok" and o.op in ("get", "children")
    }
    lost = acked = 0
    for o in ops:
        if o.status != "ok" or o.process == final_process or "error" in (o.result or {}):
            continue
        seen = final.get(o.key)
        if seen is None:  # no final read of the key answered: nothing to count against
            continue
        if o.op in ("set", "cas"):
            acked += 1
            if seen.get("version", -1) < o.result["version"]:
                lost += 1
        elif o.op == "create_seq":
            acked += 1
            if o.result["seq"] not in seen.get("seqs", ()):
                lost += 1
    return lost, acked
