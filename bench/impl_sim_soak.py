"""Long run of the simulator: thousands of fault schedules against the real core.

Schedule i is ``draw_schedule(random.Random(i).randint)`` for i in SEED..SEED+N-1, so any
failure replays alone with ``--seed i --schedules 1``. Every run checks the four properties
of ``impl.sim.checks`` and that the healed cluster converges.

    python bench/impl_sim_soak.py --schedules 5000          # exit 1 if any property broke
    python bench/impl_sim_soak.py --seed 1234 --schedules 1 --notes   # replay one, with its log
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter

from machine import describe  # bench/machine.py, beside this script

from impl.sim.checks import Violation
from impl.sim.faults import draw_schedule, run_schedule


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the first schedule")
    parser.add_argument("--notes", action="store_true", help="print the servers' log lines")
    args = parser.parse_args()
    totals: Counter[str] = Counter()
    failures = []
    started = time.perf_counter()
    for seed in range(args.seed, args.seed + args.schedules):
        schedule = draw_schedule(random.Random(seed).randint)
        try:
            outcome = run_schedule(schedule, keep_notes=args.notes)
        except Violation as exc:
            failures.append(seed)
            print(f"seed {seed}: {exc}", flush=True)
            continue
        if args.notes:
            print("\n".join(outcome.world.notes or []))
        totals.update(outcome.world.stats)
        totals["events"] += outcome.world.events_run
        totals["virtual ms"] += outcome.world.now // 1000
        totals["writes acknowledged"] += outcome.acknowledged
        totals["skipped txns"] += len(outcome.checker.dropped_by)
        totals["epochs"] += max(outcome.checker.broadcast_epochs)
        totals["locked out"] += len(outcome.locked_out)
    elapsed = time.perf_counter() - started
    print(f"machine: {describe()}")
    print(
        f"{args.schedules} schedules (seeds {args.seed}..{args.seed + args.schedules - 1}) in "
        f"{elapsed:.1f}s ({args.schedules / elapsed:.0f}/s), {len(failures)} violated a property"
    )
    print(
        f"  {totals['events']} events, {totals['virtual ms'] / 1000:.0f} virtual seconds, "
        f"{totals['writes acknowledged']} writes acknowledged, {totals['epochs']} epochs"
    )
    print(
        f"  learners truncated {totals['TruncateLog']} times and installed "
        f"{totals['InstallSnapshot']} snapshots; {totals['skipped txns']} proposals were skipped; "
        f"{totals['WriteSnapshot']} snapshots taken"
    )
    print(
        f"  {totals['locked out']} servers ended locked out (an acceptedEpoch above the "
        "leader's: they refuse its LEADERINFO until another election, as in ZooKeeper)"
    )
    if failures:
        print(f"replay one with: python bench/impl_sim_soak.py --schedules 1 --seed {failures[0]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
