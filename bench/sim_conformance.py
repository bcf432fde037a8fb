"""Conformance of fault-heavy simulator runs: each is recorded and replayed against the system
spec, and the share that conforms is reported (the target is all of them).

Run i is ``draw_schedule(random.Random(i).randint, max_ops=--max-ops)`` for i in
SEED..SEED+N-1 (crashes that keep or lose unsynced writes, restarts, cut, frozen and slow
links, writes at any server; 3 or 5 voters, maybe an observer), recorded by the simulator
and replayed by ``zabmc replay``'s checker. A divergent run prints its seed, and
``--runs 1 --seed I`` replays it alone.

    nice python bench/sim_conformance.py --runs 10000 --jobs 2   # exit 1 if any diverged
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

from machine import describe  # bench/machine.py, beside this script

from impl.sim.faults import draw_schedule
from impl.sim.record import record_schedule
from zabmc.replay.check import replay
from zabmc.replay.merge import load


def run_one(job: tuple[int, int]) -> tuple[int, int, str | None]:
    """Record run ``seed`` and replay it: (seed, events, the problem or None)."""
    seed, max_ops = job
    schedule = draw_schedule(random.Random(seed).randint, max_ops=max_ops)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"sim-{seed}.jsonl"
        recorded = record_schedule(schedule, path, settle_ms=20_000)
        if recorded.violation is not None:
            return seed, recorded.events, f"violation: {recorded.violation}"
        (trace,) = load([str(path)])
        verdict = replay(trace)
    return seed, recorded.events, None if verdict.conforms else verdict.line()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the first run")
    parser.add_argument("--max-ops", type=int, default=25, help="faults and writes per run")
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    args = parser.parse_args()
    jobs = [(seed, args.max_ops) for seed in range(args.seed, args.seed + args.runs)]
    started = time.perf_counter()
    bad: list[tuple[int, str]] = []
    events = 0
    with Pool(args.jobs) as pool:
        for seed, n, problem in pool.imap_unordered(run_one, jobs, chunksize=16):
            events += n
            if problem is not None:
                bad.append((seed, problem))
                print(f"seed {seed}: {problem}", flush=True)
    elapsed = time.perf_counter() - started
    conform = args.runs - len(bad)
    print(f"machine: {describe()}")
    print(
        f"{args.runs} runs (seeds {args.seed}..{args.seed + args.runs - 1}, up to "
        f"{args.max_ops} ops each), {events:,} events, in {elapsed:.0f}s with {args.jobs} "
        f"processes: {conform} conform ({100 * conform / args.runs:.2f}%)"
    )
    if bad:
        print(f"replay one with: python bench/sim_conformance.py --runs 1 --seed {bad[0][0]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
