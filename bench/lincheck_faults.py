"""Linearizability and durability of the ZooKeeper service under faults: seeded fault runs of
real server processes (3 voters) under kazoo clients, each history checked by the
linearizability checker (``zabmc lincheck``), and the acknowledged writes that the final
reads no longer show counted.

Every run: 5 client processes (registers with get, sync+get, set, versioned set; sequential
creates; multi) for ``--seconds``, while the nemesis injects, one at a time, faults drawn
from kill -9 + restart, a partition of one server, the leader's isolation and power loss
(every server killed at once); then every fault heals and a final client reads every key.

    python bench/lincheck_faults.py                        # 50 runs of 60 s (about an hour)
    python bench/lincheck_faults.py --runs 3 --seconds 20  # a quick look
    python bench/lincheck_faults.py --mutation commit-without-quorum --runs 1

Prints one line per run and the totals; exit code 1 if a history is not linearizable or an
acknowledged write was lost, 3 if a check ran out of its budget.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from machine import describe  # bench/machine.py, beside this script

from zabmc.faultrun.nemesis import FAULTS
from zabmc.faultrun.run import fault_run
from zabmc.lincheck.check import check
from zabmc.lincheck.history import read_history


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1, help="the first run's seed (then +1)")
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma-separated")
    parser.add_argument("--mutation", action="append", default=[], help="a bug switch")
    parser.add_argument("--keep", type=Path, default=None, help="keep histories here")
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args()
    logging.getLogger("kazoo").setLevel(logging.CRITICAL)  # reconnect chatter under faults
    faults = tuple(f for f in args.faults.split(",") if f)
    print(f"machine: {describe()}")
    print(
        f"{args.runs} runs of {args.seconds:g} s, seeds {args.seed}..{args.seed + args.runs - 1}"
        f", faults {', '.join(faults)}, mutations {args.mutation or 'none'}"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="lincheck-") as tmp:
        root = args.keep or Path(tmp)
        for seed in range(args.seed, args.seed + args.runs):
            summary = fault_run(
                root / f"seed{seed}",
                seed,
                duration=args.seconds,
                faults=faults,
                mutations=tuple(args.mutation),
            )
            started = time.monotonic()
            verdict = check(read_history(summary.history))
            row = {
                "seed": seed,
                "verdict": verdict.outcome,
                "operations": summary.operations,
                "faults": summary.faults,
                "acknowledged_writes": summary.acknowledged_writes,
                "lost_writes": summary.lost_writes,
                "run_s": round(summary.seconds, 1),
                "check_s": round(time.monotonic() - started, 1),
                "configurations": verdict.explored,
                "notes": summary.notes,
            }
            rows.append(row)
            faults_text = " ".join(f"{k}={v}" for k, v in summary.faults.items())
            print(
                f"seed {seed:3}: {verdict.outcome:12} ok={summary.operations['ok']:6} "
                f"info={summary.operations['info']:3} fail={summary.operations['fail']:4} "
                f"{faults_text}  acked writes {summary.acknowledged_writes}, lost "
                f"{summary.lost_writes}  run {row['run_s']} s, check {row['check_s']} s"
                + (f"  ({'; '.join(summary.notes)})" if summary.notes else ""),
                flush=True,
            )
    totals: dict[str, int] = {}
    for row in rows:
        for k, v in row["faults"].items():
            totals[k] = totals.get(k, 0) + v
    outcomes = {o: sum(r["verdict"] == o for r in rows) for o in ("linearizable", "violation")}
    outcomes["unknown"] = sum(r["verdict"] == "unknown" for r in rows)
    ops = sum(r["operations"]["ok"] for r in rows)
    acked = sum(r["acknowledged_writes"] for r in rows)
    lost = sum(r["lost_writes"] for r in rows)
    print(
        f"total: {len(rows)} runs, {outcomes['linearizable']} linearizable, "
        f"{outcomes['violation']} violations, {outcomes['unknown']} unknown; {ops:,} "
        f"operations answered; faults {' '.join(f'{k}={v}' for k, v in totals.items())}; "
        f"acknowledged writes {acked:,}, lost {lost}"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    if outcomes["violation"] or lost:
        return 1
    return 3 if outcomes["unknown"] else 0


if __name__ == "__main__":
    sys.exit(main())
