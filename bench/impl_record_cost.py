"""What recording the observable steps costs, measured in the simulator.

A 3-server simulated cluster takes W writes (no faults, no checker) in these ways, alternating
for R rounds (the median of each is printed, with its ratio to the floor):

* no step calls: ``Context.step`` replaced by a no-op (as if the core had no step calls);
* recording off: the default (the core is built with ``record=False``);
* recording on: an ``Observed`` effect per step, with the state and the message taken;
* recording to a file: as on, each step written as a trace line (``impl.trace``), with
  F writes (``--file-writes``, fewer: every event carries the server's whole history, as the
  format asks, so a file's size grows with the square of the run's length), against
  recording off with the same F writes;
* with ``--baseline DIR``: recording off in another checkout (e.g. the code before the steps
  carried their message: ``git archive main | tar -x -C /tmp/before``), in a subprocess.

    python bench/impl_record_cost.py                       # 20000 writes, 5 rounds
    python bench/impl_record_cost.py --baseline /tmp/before
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe  # bench/machine.py, beside this script

from impl.core.context import Context
from impl.core.quorum import Cluster
from impl.sim.world import US, World
from impl.trace.recorder import TraceFile
from impl.trace.writer import header

CLUSTER = Cluster((1, 2, 3))


def workload(writes: int, record: bool, trace: TraceFile | None = None) -> float:
    world = World(CLUSTER, seed=1, record=record, trace=trace)
    for sid in (1, 2, 3):
        world.start(sid)
    world.run_until(1000 * US)
    started = time.perf_counter()
    for n in range(writes):
        world.submit(1 + n % 3, n + 1, b"x" * 50)
        if n % 20 == 0:
            world.run_until(world.now + 2 * US)
    world.run_until(world.now + 2000 * US)
    if trace is not None:
        trace.close()
    elapsed = time.perf_counter() - started
    peer = world.servers[1].peer
    assert peer is not None and peer.committed & 0xFFFFFFFF == writes
    return elapsed


def to_file(writes: int, folder: Path) -> float:
    head = header(CLUSTER, source="simulator", run="bench", seed=1)
    return workload(writes, record=True, trace=TraceFile(folder / "bench.jsonl", head))


def baseline(writes: int, tree: Path) -> float:
    """Recording off, in the checkout at ``tree`` (this function's source runs there)."""
    code = (
        "import sys, time\n"
        "from impl.core.quorum import Cluster\n"
        "from impl.sim.world import US, World\n"
        f"world = World(Cluster((1, 2, 3)), seed=1, record=False)\n"
        "for sid in (1, 2, 3): world.start(sid)\n"
        "world.run_until(1000 * US)\n"
        "started = time.perf_counter()\n"
        f"for n in range({writes}):\n"
        "    world.submit(1 + n % 3, n + 1, b'x' * 50)\n"
        "    if n % 20 == 0: world.run_until(world.now + 2 * US)\n"
        "world.run_until(world.now + 2000 * US)\n"
        "print(time.perf_counter() - started)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=True
    )
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--file-writes", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, help="a checkout to compare recording off with")
    args = parser.parse_args()
    names = ["no step calls", "recording off", "recording on"]
    if args.baseline:
        names.append("baseline, off")
    times: dict[str, list[float]] = {name: [] for name in names}
    small_off: list[float] = []
    small_file: list[float] = []
    real_step = Context.step
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            Context.step = lambda self, name, *args, **kw: None  # type: ignore[method-assign]
            times["no step calls"].append(workload(args.writes, record=False))
            Context.step = real_step  # type: ignore[method-assign]
            times["recording off"].append(workload(args.writes, record=False))
            times["recording on"].append(workload(args.writes, record=True))
            if args.baseline:
                times["baseline, off"].append(baseline(args.writes, args.baseline))
            small_off.append(workload(args.file_writes, record=False))
            small_file.append(to_file(args.file_writes, Path(folder)))
    floor = statistics.median(times["no step calls"])
    print(f"machine: {describe()}")
    print(f"{args.writes} writes through a simulated 3-server cluster, median of {args.rounds}:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<20} {median:6.2f}s  ({median / floor:.2f}x the floor)")
    off, on = statistics.median(small_off), statistics.median(small_file)
    print(
        f"{args.file_writes} writes: recording off {off:.2f}s, "
        f"to a file {on:.2f}s ({on / off:.1f}x)"
    )


if __name__ == "__main__":
    main()
