"""Replay speed of one long recorded run against short ones: with trace format v2 a run's
file grows linearly with its steps, and it should replay at the rate of a short run.

It records --short fault-heavy simulator runs (seeds 0..N-1, as bench/sim_conformance.py
draws them) and two runs of the same kind, one of --ref-writes writes and one of --writes:
four writes at the leader every 20 ms of virtual time, with a follower crashed and
restarted every 10 s (it syncs by DIFF, TRUNC or SNAP). Then it prints, for each, the bytes
per event of the files and the events per second that reading and replaying them takes (the
median of --repeat rounds, the rows measured in turn in each round), and the ratios of the
short runs' rate and of the shorter run's to the long run's. The short runs differ from the
long ones in their steps (mostly elections, whose pieces recur from run to run); the run of
--ref-writes is the long one's kind, so the second ratio is what length alone costs.

    nice python bench/replay_long.py                     # 200 short runs, 500 and 12,000 writes
    nice python bench/replay_long.py --writes 3000 6000 12000 24000   # the rate by length
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from machine import describe  # bench/machine.py, beside this script

from impl.sim.faults import draw_schedule
from impl.sim.record import record_schedule, steady_writes_schedule
from zabmc.replay.check import replay
from zabmc.replay.merge import load


def events_in(paths: list[str]) -> int:
    return sum(len(t.events) for t in load(paths))


def seconds(paths: list[str]) -> float:
    """The seconds to read and replay ``paths`` once (all must conform)."""
    start = time.perf_counter()
    verdicts = [replay(t) for t in load(paths)]
    took = time.perf_counter() - start
    assert all(v.conforms for v in verdicts), [v.line() for v in verdicts if not v.conforms]
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=200, help="short runs to record")
    parser.add_argument("--ref-writes", type=int, default=500, help="writes in the shorter run")
    parser.add_argument(
        "--writes",
        type=int,
        nargs="+",
        default=[12_000],
        help="writes in the long run (several: one run each, the last is the long one, so the "
        "rows show whether the rate depends on the length)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        short = []
        for seed in range(args.short):
            path = Path(tmp) / f"sim-{seed}.jsonl"
            record_schedule(draw_schedule(random.Random(seed).randint, max_ops=25), path)
            short.append(str(path))
        rows = {f"{args.short} short runs": short}
        for writes in (args.ref_writes, *args.writes):
            path = Path(tmp) / f"long-{writes}.jsonl"
            record_schedule(steady_writes_schedule(writes), path)
            rows[f"1 run of {writes:,} writes"] = [str(path)]
        print(f"machine: {describe()}")
        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.repeat):
            for name, paths in rows.items():
                times[name].append(seconds(paths))
        rates = {}
        for name, paths in rows.items():
            size = sum(Path(p).stat().st_size for p in paths)
            events = events_in(paths)
            rates[name] = events / statistics.median(times[name])
            print(
                f"  {name:<24} {events:>9,} events  {size / events:6.0f} bytes/event  "
                f"{rates[name]:>9,.0f} events/s"
            )
        short_rate, ref_rate, *_, long_rate = rates.values()
        longest = args.writes[-1]
        print(
            f"  rate ratio: short runs / long run {short_rate / long_rate:.1f}, "
            f"{args.ref_writes:,} writes / {longest:,} writes {ref_rate / long_rate:.1f}"
        )
        for writes, rate in zip(args.writes[:-1], list(rates.values())[2:-1], strict=True):
            print(f"  rate ratio: {writes:,} writes / {longest:,} writes {rate / long_rate:.2f}")


if __name__ == "__main__":
    main()
