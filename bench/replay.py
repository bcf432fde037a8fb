"""Replay speed: events per second that ``zabmc replay`` checks against the system spec.

It records N simulator runs with drawn fault schedules (seeds 0..N-1, as the soak draws
them: crashes, restarts, cut and frozen links, writes; 3 or 5 voters, maybe an observer),
then times, each the median of --repeat rounds:

* read: parsing and checking the trace files (zabmc.replay.merge.load);
* check: replaying the parsed runs against the spec, one process;
* end to end: read and check, one process, and with --jobs processes (the CLI's -j).

    python bench/replay.py                 # 300 runs, 3 rounds, 2 jobs
    python bench/replay.py --runs 100 --jobs 2
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from impl.sim.faults import draw_schedule
from impl.sim.record import record_schedule
from zabmc.replay.check import replay, replay_runs
from zabmc.replay.merge import load, plan


def record(directory: Path, runs: int) -> list[str]:
    paths = []
    for seed in range(runs):
        rng = random.Random(seed)
        schedule = draw_schedule(rng.randint, max_ops=30, horizon_ms=4_000)
        path = directory / f"sim-{seed}.jsonl"
        record_schedule(schedule, path, settle_ms=20_000)
        paths.append(str(path))
    return paths


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="simulator runs to record")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median is shown")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the last row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = record(Path(tmp), args.runs)
        traces = load(paths)
        events = sum(len(t.events) for t in traces)
        verdicts = [replay(t) for t in traces]
        assert all(v.conforms for v in verdicts), [v.line() for v in verdicts if not v.conforms]
        runs = plan(paths)
        rows = {
            "read": lambda: load(paths),
            "check (1 process)": lambda: [replay(t) for t in traces],
            "end to end (1 process)": lambda: list(replay_runs(runs, 1)),
            f"end to end ({args.jobs} processes)": lambda: list(replay_runs(runs, args.jobs)),
        }
        print(f"{len(traces)} runs, {events:,} events, all conform")
        for name, fn in rows.items():
            seconds = statistics.median(timed(fn) for _ in range(args.repeat))
            print(f"  {name:<26} {seconds:6.2f} s  {events / seconds:>10,.0f} events/s")


if __name__ == "__main__":
    main()
