"""The most any 2-way partitioning of a search can gain on this machine.

Runs the one-core search of a ``bench/scale.py`` row (``-j 1``: one partition in its own
process) once alone, then two copies of it side by side, two processes started together.
Two processes on the two cores slow each other (shared caches, memory bandwidth, turbo,
whatever else the machine runs), so the pair's wall time is what two perfectly balanced
partitions with no extra work and no barriers would take for twice the work:

    ceiling = 2 * alone / side_by_side

(``side_by_side``: the slower copy's wall time). A ``-j 2`` run's speed-up over ``-j 1``
can at best reach it; 2.0 would mean the cores do not slow each other at all. Each run's
CPU seconds are printed too: on a machine shared with other work, a copy's CPU time shows
how much of the slow-down is contention in the cores (CPU seconds up) rather than waiting
for a core (wall up, CPU not). Print the load with any figure.

    python bench/parallel_ceiling.py --rows system-3911 --depth 30
    python bench/parallel_ceiling.py --rows system-3911 protocol-351k --repeat 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import ROWS, child_command, child_figures, run_child


def side_by_side(row: str, jobs: int, depth: int | None, copies: int = 2) -> list[dict]:
    """Run ``copies`` copies of a row's search at once, each in a fresh process."""
    procs = [
        subprocess.Popen(
            child_command(row, jobs, depth=depth),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(copies)
    ]
    figures = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a copy of {row} failed ({proc.returncode}): {err.strip()}")
        figures.append(child_figures(out))
    return figures


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(row: str, jobs: int, depth: int | None) -> dict:
    """One round: the row alone, then two copies side by side."""
    print(f"{row}: alone (load {_load()})", flush=True)
    alone = run_child(row, jobs, depth=depth)
    print(f"{row}: two side by side (load {_load()})", flush=True)
    pair = side_by_side(row, jobs, depth)
    if any(p["distinct"] != alone["distinct"] for p in pair):
        raise RuntimeError(f"{row}: the copies' counts differ from the run alone")
    slower = max(p["wall_s"] for p in pair)
    return {
        "row": row,
        "distinct": alone["distinct"],
        "alone": alone,
        "pair": pair,
        "ceiling": 2 * alone["wall_s"] / slower,
        "cpu_ratio": max(p["cpu_s"] for p in pair) / alone["cpu_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", nargs="+", default=["system-3911"], choices=list(ROWS))
    parser.add_argument(
        "--depth", type=int, help="search a prefix: stop at this depth (e.g. 30 for ~1 minute)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        choices=[0, 1],
        help="the one-core search: 1, one partition (what -j 2 is compared with, the default), "
        "or 0, bfs.py's",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds per row (alternating)")
    args = parser.parse_args()
    if args.depth is not None and args.depth < 0:
        parser.error("--depth must be at least 0")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    print(f"load average at start: {_load()}")
    results = []
    for _ in range(args.repeat):
        for row in args.rows:
            results.append(measure(row, args.jobs, args.depth))
    depth = f", depth {args.depth}" if args.depth is not None else ""
    print(f"\n-j {args.jobs}{depth}; load average at end: {_load()}")
    print(
        f"{'row':<22} {'distinct':>10} {'alone s':>8} {'CPU s':>7} "
        f"{'pair s':>13} {'pair CPU s':>13} {'ceiling':>8} {'CPU x':>6}"
    )
    for r in results:
        walls = " ".join(f"{p['wall_s']:.1f}" for p in r["pair"])
        cpus = " ".join(f"{p['cpu_s']:.1f}" for p in r["pair"])
        print(
            f"{r['row']:<22} {r['distinct']:>10,} {r['alone']['wall_s']:>8.1f} "
            f"{r['alone']['cpu_s']:>7.1f} {walls:>13} {cpus:>13} {r['ceiling']:>8.2f} "
            f"{r['cpu_ratio']:>6.2f}"
        )
    print(
        "ceiling = 2 * alone / the slower copy's wall time: what a 2-way partitioning can "
        "reach at best here; CPU x = the slower copy's CPU over the run alone's"
    )


if __name__ == "__main__":
    main()
