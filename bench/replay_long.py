"""Replay speed of one long recorded run against short ones: with trace format v2 a run's
file grows linearly with its steps, and it replays at the rate of a short run.

It records --short fault-heavy simulator runs (seeds 0..N-1, as bench/sim_conformance.py
draws them) and one long run: --writes writes at the leader, four every 20 ms of virtual
time, with a follower crashed and restarted every 10 s (it syncs by DIFF, TRUNC or SNAP).
Then it prints, for each, the bytes per event of the files and the events per second that
reading and replaying them takes (the median of --repeat rounds, the two measured in turn).

    nice python bench/replay_long.py                     # 200 short runs, 12,000 writes
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from machine import describe  # bench/machine.py, beside this script

from impl.sim.faults import Schedule, draw_schedule
from impl.sim.record import parse_op, record_schedule
from zabmc.replay.check import replay
from zabmc.replay.merge import load


def long_schedule(writes: int) -> Schedule:
    ops = []
    at = 100
    for k in range(0, writes, 4):
        ops.append(f"{at},write-leader,0,0,{min(4, writes - k)}")
        at += 20
    for t in range(5_000, at, 10_000):
        ops += [f"{t},crash,{1 + t // 10_000 % 3}", f"{t + 3_000},restart,{1 + t // 10_000 % 3}"]
    ops.sort(key=lambda text: int(text.split(",")[0]))
    return Schedule(7, 3, 0, tuple(parse_op(op) for op in ops), 500, 1, 1)


def rate(paths: list[str], repeat: int) -> tuple[int, float]:
    """Events, and the median seconds to read and replay ``paths``."""
    events = sum(len(t.events) for t in load(paths))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        verdicts = [replay(t) for t in load(paths)]
        times.append(time.perf_counter() - start)
        assert all(v.conforms for v in verdicts), [v.line() for v in verdicts if not v.conforms]
    return events, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=200, help="short runs to record")
    parser.add_argument("--writes", type=int, default=12_000, help="writes in the long run")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        short = []
        for seed in range(args.short):
            path = Path(tmp) / f"sim-{seed}.jsonl"
            record_schedule(draw_schedule(random.Random(seed).randint, max_ops=25), path)
            short.append(str(path))
        long = Path(tmp) / "long.jsonl"
        record_schedule(long_schedule(args.writes), long)
        print(f"machine: {describe()}")
        rows = {f"{args.short} short runs": short, f"1 run of {args.writes:,} writes": [str(long)]}
        for name, paths in rows.items():
            size = sum(Path(p).stat().st_size for p in paths)
            events, seconds = rate(paths, args.repeat)
            print(
                f"  {name:<24} {events:>9,} events  {size / events:6.0f} bytes/event  "
                f"{events / seconds:>9,.0f} events/s"
            )


if __name__ == "__main__":
    main()
