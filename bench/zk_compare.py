"""The same kazoo workload against real ZooKeeper 3.8 and against our cluster, in one run.

Starts 3 ZooKeeper servers on loopback (Debian's ``apt-get install zookeeper``; fsync on, as
by default), runs the workload, stops them; then the same with 3 of our servers (fsync on).
The workload: C client processes (kazoo, one session each, spread over the servers), each
looping create / setData / getData of its own nodes for S seconds after a warm-up. Prints,
for each cluster, ops/s (all, and writes), latency p50/p99 per operation, the servers' CPU
time per write (all three processes and their children, user + system, over the measured
window), and the ratios.

    python bench/zk_compare.py                        # 8 clients, 10 s, 100-byte values
    python bench/zk_compare.py --clients 16 --seconds 20 --rounds 3   # medians of 3 runs
    python bench/zk_compare.py --only ours --profile  # our servers under cProfile
    python bench/zk_compare.py --pipelined 4x32,8x64 --seconds 8 --rounds 2
                         # pipelined writers: C clients x O outstanding async setData each,
                         # the two systems alternating (ZooKeeper, ours, ZooKeeper, ours, ...)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from machine import describe  # bench/machine.py, beside this script

from impl.server.local import HOST, ClusterLayout, LocalCluster, free_ports, wait_for

JAVA_LIBS = Path("/usr/share/java")
CLASSPATH = [
    "zookeeper.jar",
    "zookeeper-jute.jar",
    "slf4j-api.jar",
    "slf4j-log4j12.jar",
    "log4j-1.2.jar",
    "netty-handler.jar",
    "netty-common.jar",
    "netty-buffer.jar",
    "netty-transport.jar",
    "netty-codec.jar",
    "netty-resolver.jar",
    "netty-transport-native-unix-common.jar",
    "netty-transport-native-epoll.jar",
    "metrics-core.jar",
    "snappy-java.jar",
    "commons-io.jar",
    "commons-cli.jar",
    "jackson-databind.jar",
    "jackson-core.jar",
    "jackson-annotations.jar",
]
OPS = ("create", "set", "get")
WRITES = ("create", "set")


class ZooKeeperCluster:
    """Three ZooKeeper 3.8 servers (QuorumPeerMain) on loopback, one JVM each."""

    def __init__(self, directory: Path, servers: int = 3) -> None:
        self.directory = directory
        ports = free_ports(3 * servers)
        self.ids = list(range(1, servers + 1))
        self.client_ports = dict(zip(self.ids, ports[:servers], strict=True))
        quorum = ports[servers:]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        for sid in self.ids:
            data = directory / f"zk{sid}"
            data.mkdir(parents=True)
            (data / "myid").write_text(f"{sid}\n")
            lines = [
                "tickTime=2000",
                "initLimit=10",
                "syncLimit=5",
                f"dataDir={data}",
                f"clientPortAddress={HOST}",
                f"clientPort={self.client_ports[sid]}",
                "4lw.commands.whitelist=*",
                "admin.enableServer=false",
                "forceSync=yes",
                "maxClientCnxns=0",
            ]
            for n in self.ids:
                peer, election = quorum[2 * (n - 1)], quorum[2 * (n - 1) + 1]
                lines.append(f"server.{n}={HOST}:{peer}:{election}")
            (data / "zoo.cfg").write_text("\n".join(lines) + "\n")

    def start_all(self) -> None:
        classpath = ":".join(
            str(JAVA_LIBS / jar) for jar in CLASSPATH if (JAVA_LIBS / jar).exists()
        )
        for sid in self.ids:
            data = self.directory / f"zk{sid}"
            log = open(data / "server.out", "wb")  # noqa: SIM115 - the child owns it
            self.processes[sid] = subprocess.Popen(
                [
                    "java",
                    "-Xmx512m",
                    f"-Dzookeeper.log.dir={data}",
                    "-Dzookeeper.root.logger=WARN,CONSOLE",
                    "-cp",
                    classpath,
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                    str(data / "zoo.cfg"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()

    def mode(self, sid: int) -> str | None:
        import socket

        try:
            with socket.create_connection((HOST, self.client_ports[sid]), 1) as s:
                s.sendall(b"srvr")
                text = b""
                while chunk := s.recv(4096):
                    text += chunk
        except OSError:
            return None
        for line in text.decode(errors="replace").splitlines():
            if line.startswith("Mode: "):
                return line[6:]
        return None

    def ready(self) -> bool:
        modes = [self.mode(s) for s in self.ids]
        return modes.count("leader") == 1 and modes.count("follower") == len(self.ids) - 1

    def connect_string(self, among: list[int] | None = None) -> str:
        return ",".join(f"{HOST}:{self.client_ports[s]}" for s in among or self.ids)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def session_at(hosts: str, path: str, start: float) -> Any:
    """A started kazoo client with ``path`` made, once the clock reaches ``start``."""
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=hosts, timeout=30, randomize_hosts=False)
    zk.start(timeout=30)
    zk.ensure_path(path)
    while time.time() < start:
        time.sleep(0.005)
    return zk


def client_process(
    hosts: str, index: int, start: float, warmup: float, seconds: float, size: int, results: Any
) -> None:
    prefix = f"/bench/c{index}"
    zk = session_at(hosts, prefix, start)
    value = b"x" * size
    latencies: dict[str, list[float]] = {op: [] for op in OPS}
    errors = 0
    measure_from, end = start + warmup, start + warmup + seconds
    n = 0
    clock = time.perf_counter
    while (now := time.time()) < end:
        keep = now >= measure_from
        path = f"{prefix}/n{n}"
        n += 1
        try:
            t0 = clock()
            zk.create(path, value)
            t1 = clock()
            zk.set(path, value)
            t2 = clock()
            zk.get(path)
            t3 = clock()
        except Exception:  # counted and reported, the run goes on
            errors += 1
            continue
        if keep:
            latencies["create"].append(t1 - t0)
            latencies["set"].append(t2 - t1)
            latencies["get"].append(t3 - t2)
    zk.stop()
    zk.close()
    results.put((latencies, errors))


def pipelined_process(
    hosts: str,
    index: int,
    start: float,
    warmup: float,
    seconds: float,
    size: int,
    results: Any,
    outstanding: int,
) -> None:
    """One session keeping ``outstanding`` async setData requests in flight on its own node
    (a reply goes, a request comes: replies of one session come in order)."""
    from collections import deque

    path = f"/bench/p{index}"
    zk = session_at(hosts, path, start)
    value = b"x" * size
    latencies: dict[str, list[float]] = {op: [] for op in OPS}
    errors = 0
    measure_from, end = start + warmup, start + warmup + seconds
    clock = time.perf_counter
    window: deque[tuple[float, Any]] = deque()
    while (now := time.time()) < end:
        while len(window) < outstanding:
            window.append((clock(), zk.set_async(path, value)))
        sent, result = window.popleft()
        try:
            result.get(timeout=30)
        except Exception:  # counted and reported, the run goes on
            errors += 1
            continue
        if now >= measure_from:
            latencies["set"].append(clock() - sent)
    for _, result in window:
        result.wait(30)
    zk.stop()
    zk.close()
    results.put((latencies, errors))


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time so far of processes ``pids`` (all their threads) and of their
    child processes (a server's fsync helper); a process gone counts 0."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat_fields(int(entry))
            if stat is not None:
                parents[int(entry)] = int(stat[1])
    wanted = set(pids) | {p for p, parent in parents.items() if parent in pids}
    total = 0.0
    for pid in wanted:
        stat = _stat_fields(pid)
        if stat is not None:
            total += (int(stat[11]) + int(stat[12])) / TICKS
    return total


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_in_window(pids: list[int], start: float, seconds: float) -> dict[str, float]:
    """Sampled on a thread: the servers' CPU seconds from ``start`` (wall clock) for
    ``seconds`` (the measured window), filled into the returned dict when it ends."""
    out: dict[str, float] = {}

    def sample() -> None:
        time.sleep(max(0.0, start - time.time()))
        before = cpu_seconds(pids)
        time.sleep(seconds)
        out["cpu"] = cpu_seconds(pids) - before

    threading.Thread(target=sample, daemon=True).start()
    return out


def run_load(
    hosts_per_client: list[str],
    warmup: float,
    seconds: float,
    size: int,
    outstanding: int = 0,
    server_pids: list[int] | None = None,
) -> dict:
    """Every client process at once; ``outstanding`` > 0: pipelined writers, else the
    create/setData/getData loop. With ``server_pids``, also the servers' CPU seconds in the
    measured window."""
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    start = time.time() + 4.0  # every client connected and waiting by then
    cpu = cpu_in_window(server_pids or [], start + warmup, seconds)
    target, extra = (pipelined_process, (outstanding,)) if outstanding else (client_process, ())
    procs = [
        ctx.Process(
            target=target,
            args=(hosts, i, start, warmup, seconds, size, results, *extra),
            daemon=True,
        )
        for i, hosts in enumerate(hosts_per_client)
    ]
    for p in procs:
        p.start()
    merged: dict[str, list[float]] = {op: [] for op in OPS}
    errors = 0
    for _ in procs:
        latencies, errs = results.get(timeout=warmup + seconds + 120)
        errors += errs
        for op in OPS:
            merged[op].extend(latencies[op])
    for p in procs:
        p.join(30)
    out = {"latencies": merged, "errors": errors, "seconds": seconds}
    if server_pids and "cpu" in cpu:
        out["server_cpu"] = cpu["cpu"]
    return out


def spread(connect: Any, ids: list[int], clients: int) -> list[str]:
    """Client i connects to server i mod n first (then the others, in order)."""
    out = []
    for i in range(clients):
        first = ids[i % len(ids)]
        out.append(connect([first] + [s for s in ids if s != first]))
    return out


def measure(cluster: Any, ready: Any, ids: list[int], args: argparse.Namespace) -> dict:
    """Start ``cluster``, wait until ``ready()``, run the workload, stop it."""
    cluster.start_all()
    try:
        wait_for(ready, 90, "a leader and its followers")
        hosts = spread(cluster.connect_string, ids, args.clients)
        outstanding = getattr(args, "outstanding", 0)
        pids = [p.pid for p in cluster.processes.values()]
        return run_load(hosts, args.warmup, args.seconds, args.size, outstanding, pids)
    finally:
        cluster.stop_all()


def run_zookeeper(args: argparse.Namespace, directory: Path) -> dict:
    cluster = ZooKeeperCluster(directory / "zookeeper")
    return measure(cluster, cluster.ready, cluster.ids, args)


def run_ours(args: argparse.Namespace, directory: Path) -> dict:
    layout = ClusterLayout.on_free_ports(3)
    profiles = directory / "profiles" if args.profile else None
    cluster = LocalCluster(layout, directory / "ours", profile_dir=profiles)
    return measure(cluster, cluster.leader, layout.servers, args)


def summarize(result: dict) -> dict[str, float]:
    lat = result["latencies"]
    out: dict[str, float] = {
        "ops": sum(len(lat[op]) for op in OPS) / result["seconds"],
        "writes": sum(len(lat[op]) for op in WRITES) / result["seconds"],
        "errors": result["errors"],
    }
    writes = sum(len(lat[op]) for op in WRITES)
    if "server_cpu" in result and writes:
        out["cpu_ms_per_write"] = 1000 * result["server_cpu"] / writes
    for op in OPS:
        if not lat[op] and result.get("pipelined"):
            continue
        ms = sorted(1000 * x for x in lat[op]) or [float("nan")]
        out[f"{op}_p50"] = ms[len(ms) // 2]
        out[f"{op}_p99"] = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return out


def report(name: str, s: dict[str, float]) -> str:
    cells = "  ".join(
        f"{op} p50 {s[f'{op}_p50']:.2f} p99 {s[f'{op}_p99']:.2f}" for op in OPS if f"{op}_p50" in s
    )
    cpu = f"   server CPU {s['cpu_ms_per_write']:.3f} ms/write" if "cpu_ms_per_write" in s else ""
    return (
        f"  {name:<15} {s['ops']:8,.0f} ops/s  {s['writes']:8,.0f} writes/s   "
        f"latency ms: {cells}   errors {s['errors']:.0f}{cpu}"
    )


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = set.intersection(*(set(r) for r in runs))
    return {key: statistics.median(r[key] for r in runs) for key in runs[0] if key in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=100, help="bytes per node value")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each; medians reported")
    parser.add_argument("--only", choices=["zookeeper", "ours"])
    parser.add_argument("--profile", action="store_true", help="cProfile our servers")
    parser.add_argument(
        "--pipelined",
        metavar="CxO,...",
        help="instead: pipelined setData, C clients x O outstanding each (e.g. 4x32,8x64)",
    )
    args = parser.parse_args()
    if args.pipelined:
        return main_pipelined(args)
    if args.only != "ours" and not (JAVA_LIBS / "zookeeper.jar").exists():
        print("error: ZooKeeper is not installed (apt-get install zookeeper)", file=sys.stderr)
        return 2
    directory = Path(tempfile.mkdtemp(prefix="zk-compare-"))
    runs: dict[str, list[dict[str, float]]] = {"ZooKeeper 3.8": [], "zabmc": []}
    try:
        for _ in range(args.rounds):
            for name, run in (("ZooKeeper 3.8", run_zookeeper), ("zabmc", run_ours)):
                if args.only and (args.only == "ours") != (name == "zabmc"):
                    continue
                round_dir = directory / f"{name.split()[0].lower()}-{len(runs[name])}"
                runs[name].append(summarize(run(args, round_dir)))
    finally:
        if not args.profile:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"machine: {describe()}")
    print(
        f"3 servers on loopback, fsync on; {args.clients} kazoo client processes spread over "
        f"the servers, each looping create/setData/getData of {args.size}-byte values for "
        f"{args.seconds:g}s after {args.warmup:g}s warm-up; medians of {args.rounds} round(s)"
    )
    results = {name: median_of(r) for name, r in runs.items() if r}
    for name, s in results.items():
        print(report(name, s))
    if len(results) == 2:
        zk, ours = results["ZooKeeper 3.8"], results["zabmc"]
        print(
            f"  ratio zabmc/ZooKeeper: writes/s {ours['writes'] / zk['writes']:.2f}, "
            f"all ops/s {ours['ops'] / zk['ops']:.2f}"
        )
    if args.profile:
        print(f"profiles (cProfile, one per server): {directory}/zabmc-*/profiles/")
    return 0


def parse_shapes(text: str) -> list[tuple[int, int]]:
    shapes = []
    for part in text.split(","):
        clients, _, outstanding = part.strip().partition("x")
        if not (clients.isdigit() and outstanding.isdigit()):
            raise SystemExit(f"error: --pipelined: {part!r} is not CxO (e.g. 4x32)")
        shapes.append((int(clients), int(outstanding)))
    return shapes


def main_pipelined(args: argparse.Namespace) -> int:
    """Each shape, each round: ZooKeeper then ours, alternating in one run (a shared, noisy
    machine drifts; alternating keeps each pair close in time)."""
    shapes = parse_shapes(args.pipelined)
    if args.only != "ours" and not (JAVA_LIBS / "zookeeper.jar").exists():
        print("error: ZooKeeper is not installed (apt-get install zookeeper)", file=sys.stderr)
        return 2
    directory = Path(tempfile.mkdtemp(prefix="zk-compare-"))
    systems = (("ZooKeeper 3.8", run_zookeeper), ("zabmc", run_ours))
    runs: dict[tuple[int, int, str], list[dict[str, float]]] = {}
    print(f"machine: {describe()}")
    print(
        f"3 servers on loopback, fsync on; pipelined kazoo clients (async setData of "
        f"{args.size}-byte values on a node of their own), {args.seconds:g}s after "
        f"{args.warmup:g}s warm-up; systems alternating, {args.rounds} round(s)"
    )
    try:
        for r in range(args.rounds):
            for clients, outstanding in shapes:
                for name, run in systems:
                    if args.only and (args.only == "ours") != (name == "zabmc"):
                        continue
                    shape_args = argparse.Namespace(
                        **{**vars(args), "clients": clients, "outstanding": outstanding}
                    )
                    tag = f"{name.split()[0].lower()}-{clients}x{outstanding}-{r}"
                    result = run(shape_args, directory / tag)
                    result["pipelined"] = True
                    s = summarize(result)
                    runs.setdefault((clients, outstanding, name), []).append(s)
                    print(f"round {r + 1} {clients}x{outstanding}" + report(name, s), flush=True)
    finally:
        if not args.profile:
            shutil.rmtree(directory, ignore_errors=True)
    print("medians:")
    for clients, outstanding in shapes:
        got = {
            n: median_of(runs[clients, outstanding, n])
            for n, _ in systems
            if (clients, outstanding, n) in runs
        }
        for name, s in got.items():
            print(f"{clients}x{outstanding}" + report(name, s))
        if len(got) == 2:
            zk, ours = got["ZooKeeper 3.8"], got["zabmc"]
            pairs = list(
                zip(
                    runs[clients, outstanding, "ZooKeeper 3.8"],
                    runs[clients, outstanding, "zabmc"],
                    strict=True,
                )
            )
            each = ", ".join(f"{o['writes'] / z['writes']:.2f}" for z, o in pairs)
            cpu = ""
            if "cpu_ms_per_write" in ours and "cpu_ms_per_write" in zk:
                cpu = (
                    f"; server CPU per write {ours['cpu_ms_per_write']:.3f} vs "
                    f"{zk['cpu_ms_per_write']:.3f} ms"
                )
            print(
                f"{clients}x{outstanding}  ratio zabmc/ZooKeeper writes/s: median "
                f"{ours['writes'] / zk['writes']:.2f} (each round: {each}); set p99 "
                f"{ours['set_p99']:.1f} vs {zk['set_p99']:.1f} ms{cpu}"
            )
    if args.profile:
        print(f"profiles (cProfile, one per server): {directory}/zabmc-*/profiles/")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
