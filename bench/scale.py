"""The partitioned search (``zabmc check -j N``): wall time, memory and counts per row.

Each (row, jobs, backend) runs in a fresh process. For each it prints distinct states and
states generated (which must not depend on -j or the backend), wall time, distinct states
a second, the seen set's bytes a state, and peak memory: the driver's max RSS plus the
largest worker's (``RUSAGE_CHILDREN`` gives the largest child), summed for the total a
run can reach (RSS counts the pages a fork shares in every process), and "tree MB": the
peak, sampled every half second, of the process tree's summed PSS (this process and its
workers, shared pages counted once), the figure issue 13's 1.5 GB is about. The
machine's load average at the start is printed, since the 2-core machine this was
written on is shared; CPU s (driver and workers, user and system) is
the work done, which load does not change. A state stays with the partition that found
it and only its fingerprint goes to the owner of that fingerprint: "local" is the share
of a partitioned search's candidates whose fingerprint the finder owns (about 1/N);
"resent" is the fraction of the others that were not sent, since the partition finding
them had sent them in an earlier round; "given" the share of the distinct states that a
partition gave another to even a level's load. "paced" (local
processes, -j 2 and up) is the sum, over the driver's calls, of the slowest worker's CPU
seconds: the wall time the run would take if each worker had a core to itself, barriers
included (with ``--handover``, plus the driver's CPU: the levels before the hand-over are
its own). On a machine shared with other sessions' work the wall time says how much of
the machine a run got, and "paced" what -j N would give on free cores. TLC's times are
from shared/tlc/README.md and issue 13 (TLC 2.18, 2 workers, same
machine kind).

    python bench/scale.py                              # every row, -j 1 and -j 2
    python bench/scale.py --rows protocol-351k --jobs 2 --backend ray
    python bench/scale.py --rows protocol-5k --jobs 0 1 2  # -j 0: bfs.py's one-core search
    python bench/scale.py --rows system-2n --jobs 0 1 2    # per-state cost of -j 1, and -j 2
    python bench/scale.py --rows protocol-351k protocol-351k-reduced --jobs 0  # reduction
    python bench/scale.py --rows system-3911 --depth 26  # a prefix of the ZK-3911 row
    python bench/scale.py --rows readme system-2n --jobs 0 2 --handover 5000  # the default
    python bench/scale.py --rows system-3911 --depth 26 --jobs 2 --handover 5000 --memory 50000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

#: name -> (description, TLC's distinct states, TLC's wall time with 2 workers (s) or None)
ROWS = {
    "protocol-5k": ("protocol 3 T1 X1 E1 R0, view, no symmetry", 5_170, None),
    "protocol-351k": ("protocol 3 T1 X2 E2 R0, view, no symmetry", 351_844, 36.7),
    "protocol-990k": ("protocol 3 T2 X2 E2 R0, view, TLC's symmetry", 989_950, 92.5),
    # The same bounds searched as `zabmc check --spec protocol` does: exact states (no
    # recorder.pc; orbits under symmetry) with persistent steps taken alone. The ratio is
    # to TLC's time on the same bounds; the count is not TLC's, and must be below it.
    "protocol-351k-reduced": ("protocol 3 T1 X2 E2 R0, reduced, no symmetry", 351_844, 36.7),
    "protocol-990k-reduced": ("protocol 3 T2 X2 E2 R0, reduced, symmetry", 989_950, 92.5),
    "system-2n": ("system 2 servers T2, 2 timeouts, a crash, a partition; reduced", None, None),
    "system-3911": ("system fixed, ZK-3911 bounds, from Init; reduced", None, None),
    # the README's `zabmc check --nodes 3 --depth 12`: the CLI's defaults (deadlock check on)
    "readme": ("system 3 servers, the CLI's default bounds, depth 12; reduced", None, None),
}


def build(row: str):  # type: ignore[no-untyped-def]
    """The model and options of a row."""
    from zabmc.engine import CheckOptions

    if row.startswith("protocol"):
        from spec.protocol import Params, ProtocolModel
        from spec.protocol.tlc_compat import TlcCompatModel
        from zabmc.engine import Checker

        bounds = {"protocol-5k": (1, 1, 1), "protocol-351k": (1, 2, 2), "protocol-990k": (2, 2, 2)}
        t, x, e = bounds[row.removesuffix("-reduced")]
        symmetry = row.startswith("protocol-990k")
        if row.endswith("-reduced"):
            reduced = ProtocolModel(Params(3, t, x, e, 0))
            checker = Checker(reduced).deadlock(False).symmetry(symmetry).reduction()
            return reduced, checker.bfs_options()
        model = TlcCompatModel(Params(3, t, x, e, 0), view=True)
        return model, CheckOptions(check_deadlock=False, symmetry=symmetry)
    from spec.system import Params, SystemModel, bug_params
    from zabmc.engine import Checker

    if row == "readme":
        model = SystemModel(Params())
        return model, Checker(model).reduction().depth(12).bfs_options()
    if row == "system-2n":
        params = Params(voters=2, max_txns=2, max_timeouts=2, max_crashes=1, max_partitions=1)
    else:
        params = bug_params("ZK-3911", fixed=True)
    # the system rows search as `zabmc check` does: persistent steps taken alone
    model = SystemModel(params)
    return model, Checker(model).deadlock(False).reduction().bfs_options()


def _time_workers(folder: str) -> None:
    """Make every worker process write, when it ends, the CPU seconds of each call it served."""
    from zabmc.engine import parallel

    serve = parallel._serve

    def timed(conn, factory, index, count, inherited):  # type: ignore[no-untyped-def]
        spent: list[float] = []
        recv, send = conn.recv, conn.send
        started: list = [0.0, None]

        def timed_recv():  # type: ignore[no-untyped-def]
            request = recv()
            started[:] = [time.process_time(), request and request[0]]
            return request

        def timed_send(answer):  # type: ignore[no-untyped-def]
            # "parent" is asked of one worker at a time (a path's steps), the rest of all
            if started[1] != "parent":
                spent.append(time.process_time() - started[0])
            send(answer)

        conn.recv, conn.send = timed_recv, timed_send
        try:
            serve(conn, factory, index, count, inherited)
        finally:
            with open(os.path.join(folder, f"worker-{index}.json"), "w") as out:
                json.dump(spent[1:], out)  # the first answer is the start, not a call

    parallel._serve = timed


def _paced(folder: str, jobs: int) -> float:
    """Per call, the slowest worker's CPU seconds, summed."""
    spent = []
    for k in range(jobs):
        path = os.path.join(folder, f"worker-{k}.json")
        if not os.path.exists(path):  # a search that was never handed over
            continue
        with open(path) as f:
            spent.append(json.load(f))
    shutil.rmtree(folder)
    return sum(max(call) for call in zip(*spent, strict=True)) if spent else 0.0


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc (Linux)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    found += _tree(int(child))
    except OSError:  # ended meanwhile
        pass
    return found


def _pss_kb(pid: int) -> int:
    """The proportional set size of ``pid`` (shared pages split among their sharers)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """The peak, over samples every ``every_s`` seconds, of the summed PSS of this process
    and its descendants (the workers): what the whole search holds at once, pages a fork
    shares counted once. None where /proc has no smaps_rollup."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.every_s, self.peak_kb = every_s, 0
        self.available = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            total = sum(_pss_kb(pid) for pid in _tree(os.getpid()))
            self.peak_kb = max(self.peak_kb, total)
            if self._stop.wait(self.every_s):
                return

    def __enter__(self) -> TreeMemory:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.available:
            self._stop.set()
            self._thread.join()

    @property
    def peak_mb(self) -> int | None:
        return round(self.peak_kb / 1024) if self.available else None


def run_row(
    row: str,
    jobs: int,
    backend: str,
    depth: int | None = None,
    handover: int | None = None,
    memory: int | None = None,
) -> dict:
    from zabmc.engine import check_bfs
    from zabmc.engine.parallel import ScaleOptions, check_parallel

    timed = jobs > 1 and backend == "local"
    folder = tempfile.mkdtemp(prefix="zabmc-bench-") if timed else ""
    if timed:
        _time_workers(folder)
    model, options = build(row)
    if depth is not None:
        options.max_depth = depth
    started = time.perf_counter()
    driver_started = time.process_time()
    with TreeMemory() as tree:
        if jobs == 0:  # the one-core search of bfs.py, for comparison
            result = check_bfs(model, options)
        else:
            scale = ScaleOptions(jobs=jobs, backend=backend, handover=handover, memory_bytes=memory)
            result = check_parallel(model, options, scale)
    wall = time.perf_counter() - started
    # with a hand-over the first levels are the driver's own: they count in "paced" too
    driver_s = time.process_time() - driver_started if handover else 0.0
    me, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    own, child = me.ru_maxrss / 1024, children.ru_maxrss / 1024
    cpu = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    return {
        "distinct": result.distinct_states,
        "generated": result.states_generated,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "bytes_per_state": round(result.bytes_per_state, 1),
        "driver_mb": round(own),
        "tree_mb": tree.peak_mb,
        "worker_mb": round(child),
        "ok": result.ok,
        # candidates whose fingerprint the partition that found them owns; None for the
        # one-core search
        "local": None if not result.traffic else round(result.traffic[0] / sum(result.traffic), 3),
        "paced_s": round(_paced(folder, jobs) + driver_s, 1) if timed else None,
        # of the candidates owned by another partition, those not sent again (sent before)
        "skipped": round(result.moves_skipped / result.traffic[1], 3)
        if result.traffic and result.traffic[1]
        else None,
        # frontier states given to another partition to even the load
        "given": round(result.states_given / result.distinct_states, 3) if result.traffic else None,
    }


def child_command(
    row: str,
    jobs: int,
    backend: str = "local",
    depth: int | None = None,
    handover: int | None = None,
    memory: int | None = None,
) -> list[str]:
    """The command line that runs one row in a fresh process (:func:`run_row`); it prints
    the figures as its last line (:func:`child_figures`)."""
    return [
        sys.executable,
        __file__,
        "--child",
        row,
        str(jobs),
        backend,
        str(depth or 0),
        str(handover or 0),
        str(memory or 0),
    ]


def child_figures(stdout: str) -> dict:
    """The figures a :func:`child_command` printed."""
    return json.loads(stdout.splitlines()[-1])  # type: ignore[no-any-return]


def run_child(
    row: str,
    jobs: int,
    backend: str = "local",
    depth: int | None = None,
    handover: int | None = None,
    memory: int | None = None,
) -> dict:
    """Run one row in a fresh process and return its figures (:func:`run_row`)."""
    out = subprocess.run(
        child_command(row, jobs, backend, depth, handover, memory),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return child_figures(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", nargs="*", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--backend", default="local", choices=["local", "ray"])
    parser.add_argument(
        "--depth", type=int, help="stop at this depth (a row that breaks an invariant deeper)"
    )
    parser.add_argument(
        "--handover",
        type=int,
        help="with -j 2 and up: one partition in this process until a level holds this many "
        "states (zabmc check's default: 5000)",
    )
    parser.add_argument(
        "--memory",
        type=int,
        metavar="BYTES",
        help="hold at most BYTES of frontier states in memory, the rest spilled to disk "
        "(zabmc check --memory; with --handover too)",
    )
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        row, jobs, backend, depth, handover, memory = args.child
        figures = run_row(
            row, int(jobs), backend, int(depth) or None, int(handover) or None, int(memory) or None
        )
        print(json.dumps(figures))
        return
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    # the rows' processes inherit the environment, so they run the same code (ZABMC_PURE)
    from zabmc.compiled import mode

    print(f"code: {mode().describe()}")
    print(
        f"{'row':<22} {'-j':>3} {'distinct':>10} {'generated':>10} {'wall s':>7} {'TLC s':>6} "
        f"{'ratio':>6} {'CPU s':>6} {'paced':>6} {'states/s':>9} {'B/state':>7} "
        f"{'peak MB<=':>9} {'tree MB':>7} {'local':>6} {'resent':>6} {'given':>6}"
    )
    for row in args.rows:
        _, tlc_distinct, tlc_s = ROWS[row]
        for jobs in args.jobs:
            fig = run_child(row, jobs, args.backend, args.depth, args.handover, args.memory)
            ratio = f"{fig['wall_s'] / tlc_s:6.2f}" if tlc_s else f"{'':>6}"
            if row.endswith("-reduced"):  # exact states, reduced: fewer than TLC stores
                fewer = tlc_distinct is not None and fig["distinct"] < tlc_distinct
                same = f"  {'fewer' if fewer else 'NOT FEWER'} than TLC's {tlc_distinct:,}"
            else:
                same = "" if tlc_distinct in (None, fig["distinct"]) else "  DIFFERS FROM TLC"
            # the largest worker times the workers: an upper bound on the total
            peak = fig["driver_mb"] + (jobs * fig["worker_mb"] if jobs > 1 else 0)
            print(
                f"{row:<22} {jobs:>3} {fig['distinct']:>10,} {fig['generated']:>10,} "
                f"{fig['wall_s']:>7.1f} {tlc_s or '':>6} {ratio} {fig['cpu_s']:>6.1f} "
                f"{fig['paced_s'] or '':>6} "
                f"{fig['distinct'] / max(fig['wall_s'], 0.01):>9,.0f} "
                f"{fig['bytes_per_state']:>7} {peak:>9} {fig['tree_mb'] or '':>7} "
                f"{fig['local'] or '':>6} "
                f"{fig['skipped'] or '':>6} {fig.get('given') or '':>6}{same}",
                flush=True,
            )


if __name__ == "__main__":
    main()
