"""``zabmc prove``'s figures: how deep BMC gets on the protocol bugs, and what induction says.

For each protocol bug variant (BFS finds them at depths 17, 21 and 25 with
--max-timeouts 0 --max-txns 2 --max-epoch 2) it runs ``zabmc prove --bmc D``
for ShouldNotBeTriggered with a wall-clock budget per variant, and prints the
z3 time of every depth it finished (from ``--json``'s checks) and whether it
reached the bug. Then it tries 1-induction of Leadership1 and PrefixConsistency
with the committed lemmas (spec/protocol/lemmas.zprop) and prints the verdict:
proved, or the formulas broken in the counterexample to induction, or the time
the budget ran out. Each run is its own process.

    python bench/prove.py                    # everything, 10 minutes a run at most
    python bench/prove.py --budget 120 --only bmc
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BUG_BOUNDS = ["--max-timeouts", "0", "--max-txns", "2", "--max-epoch", "2"]
BUGS = {"strict-propose": 17, "propose-to-ackld": 21, "commitld-ackld-zxid": 25}
LEMMAS = "spec/protocol/lemmas.zprop"


def zabmc(args: list[str], budget: int) -> tuple[dict | None, float, str]:
    """Run ``zabmc prove ... --json``; the payload (None on timeout), seconds, stderr."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("zabmc")), "prove", *args, "--json"],
            capture_output=True,
            text=True,
            timeout=budget,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return None, time.monotonic() - started, err
    elapsed = time.monotonic() - started
    payload = json.loads(done.stdout) if done.stdout.strip() else None
    return payload, elapsed, done.stderr


def bmc_rows(budget: int, bugs: list[str]) -> None:
    print("BMC of ShouldNotBeTriggered, protocol spec, 3 servers, " + " ".join(BUG_BOUNDS))
    for bug in bugs:
        depth = BUGS[bug]
        args = [
            "--spec",
            "protocol",
            *BUG_BOUNDS,
            "--bug",
            bug,
            "--invariant",
            "ShouldNotBeTriggered",
            "--bmc",
            str(depth),
            "--progress",
        ]
        payload, elapsed, err = zabmc(args, budget)
        if payload is None:
            reached = [line for line in err.splitlines() if line.startswith("progress: depth")]
            print(
                f"  {bug:<22} BFS depth {depth}: budget of {budget} s ran out; "
                f"{len(reached)} depths finished"
            )
            for line in reached:
                print(f"    {line.removeprefix('progress: ')}")
            continue
        times = ", ".join(f"{c['seconds']:.1f}" for c in payload["checks"])
        print(
            f"  {bug:<22} BFS depth {depth}: {payload['verdict']} at depth "
            f"{len(payload['checks']) - 1} in {elapsed:.0f} s; z3 s per depth: {times}"
        )


def induction_rows(budget: int) -> None:
    print("1-induction, protocol spec, 3 servers, " + " ".join(BUG_BOUNDS))
    for invariant in ("Leadership1", "PrefixConsistency"):
        for lemmas in ([], ["--lemmas", LEMMAS]):
            args = [
                "--spec",
                "protocol",
                *BUG_BOUNDS,
                "--invariant",
                invariant,
                "--induction",
                *lemmas,
            ]
            payload, elapsed, _ = zabmc(args, budget)
            label = f"{invariant}{' + lemmas' if lemmas else ''}"
            if payload is None:
                print(f"  {label:<30} no answer within {budget} s")
            else:
                broken = ", ".join(payload["broken"])
                print(
                    f"  {label:<30} {payload['verdict']}"
                    f"{f' (breaks {broken})' if broken else ''} in {elapsed:.0f} s"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=600, help="seconds per run")
    parser.add_argument("--only", choices=("bmc", "induction"), default=None)
    parser.add_argument("--bugs", nargs="+", choices=sorted(BUGS), default=list(BUGS))
    options = parser.parse_args()
    if options.only in (None, "bmc"):
        bmc_rows(options.budget, options.bugs)
    if options.only in (None, "induction"):
        induction_rows(options.budget)


if __name__ == "__main__":
    main()
