"""Random simulation: how fast it walks, and how soon it finds each known bug.

For every bug variant of every registered spec (at the bounds that expose it)
it runs the simulator with seeds 0..N-1 and prints the median number of walks
until the first violation, the median walk length as found and after
shrinking, and the shortest BFS counterexample's length for comparison. Then
it prints the walking rate (steps per second, invariants checked in every
state) on the default bounds at 3 and 5 servers.

    python bench/simulate.py              # 10 seeds
    python bench/simulate.py --seeds 30
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from zabmc.cli.specs import SPECS
from zabmc.engine import CheckOptions, check_bfs
from zabmc.engine.simulate import SimulateOptions, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    print("spec       bug                    walks(median,max)  found  shrunk  bfs  shrink s")
    for info in SPECS.values():
        for bug in info.bugs:
            bounds, options = info.bug_setup(bug, quick=True)
            model = info.build(bounds, bug, options)
            walks, found, shrunk, shrink_s = [], [], [], []
            for seed in range(args.seeds):
                options = SimulateOptions(runs=args.runs, steps=args.steps, seed=seed)
                raw = simulate(model, replace(options, shrink=False))
                started = time.perf_counter()
                result = simulate(model, options)
                shrink_s.append(time.perf_counter() - started - raw.elapsed_s)
                if result.violation is None:
                    walks.append(args.runs + 1)
                    continue
                walks.append(result.found_in_run)
                found.append(result.original_length)
                shrunk.append(result.violation.length)
            bfs = check_bfs(model, CheckOptions(check_deadlock=False)).violation
            print(
                f"{info.name:<10} {bug:<22} {statistics.median(walks):>8.0f} {max(walks):>7}"
                f"  {statistics.median(found):>5.0f}  {statistics.median(shrunk):>6.0f}"
                f"  {bfs.length if bfs else '-':>3}  {statistics.median(shrink_s):>7.2f}"
            )
    print()
    for info in SPECS.values():
        for nodes in (3, 5):
            bounds = {**info.default_bounds(), "nodes": nodes}
            model = info.build(bounds, None, {})
            result = simulate(model, SimulateOptions(runs=2000, steps=300, seed=1))
            print(
                f"{info.name} {nodes} servers, default bounds: {result.steps:,} steps in "
                f"{result.elapsed_s:.2f} s = {result.steps / result.elapsed_s:,.0f} steps/s, "
                f"depth {result.max_depth}, {result.distinct_states:,} distinct states"
            )


if __name__ == "__main__":
    main()
