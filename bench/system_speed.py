"""The system spec's CPU cost per state, on one core: this checkout against another.

Each row is searched breadth-first on one core (``check_bfs``, as ``zabmc check -j 0``
would), in a fresh process, and the CPU seconds of the search alone (imports and the
model's construction left out) are divided by the distinct states and by the states
generated. CPU seconds, not wall time: the 2-core machine this runs on is shared, and
CPU time is the work done, which other sessions' load changes far less.

With ``--base DIR`` (a checkout of an older commit, e.g. ``git worktree add /tmp/base
c013e65``) each row is also searched with that code (``PYTHONPATH=DIR``), the runs of the
two alternating, and the table gives the median of each and their ratio. The counts of
the two must agree; the script stops if they do not.

Rows:

* ``zk3911-d26``: the fixed system spec at ZK-3911's bounds (coarse election, 2
  crashes), from Init to depth 26, reduced (``bench/scale.py``'s system-3911 row, cut at
  the depth before it breaks an invariant);
* ``system-2n``: 2 servers, 2 requests, 2 timeouts, a crash, a partition; reduced
  (``bench/scale.py``'s row);
* ``fle-3n-d14``: ``zabmc check --nodes 3 --depth 14``: the fine-grained election and
  Zab from Init with the default bounds, reduced, deadlocks checked.

    python bench/system_speed.py                          # this checkout, 3 runs a row
    python bench/system_speed.py --base /tmp/base --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROWS = ("zk3911-d26", "system-2n", "fle-3n-d14")


def run_row(row: str) -> dict:
    """Search ``row`` once, in this process; its counts and the search's CPU seconds."""
    from spec.system import Params, SystemModel, bug_params
    from zabmc.engine import Checker

    if row == "zk3911-d26":
        model = SystemModel(bug_params("ZK-3911", fixed=True))
        checker = Checker(model).deadlock(False).reduction().depth(26)
    elif row == "system-2n":
        params = Params(voters=2, max_txns=2, max_timeouts=2, max_crashes=1, max_partitions=1)
        model = SystemModel(params)
        checker = Checker(model).deadlock(False).reduction()
    else:
        model = SystemModel(Params(voters=3))
        checker = Checker(model).reduction().depth(14)
    started = time.process_time()
    result = checker.spawn_bfs()
    cpu = time.process_time() - started
    return {
        "distinct": result.distinct_states,
        "generated": result.states_generated,
        "ok": result.ok,
        "cpu_s": cpu,
    }


def _child(row: str, code: str | None) -> dict:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, __file__, "--child", row],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", nargs="*", default=list(ROWS), choices=ROWS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--base", help="a checkout of the code to compare with")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_row(args.child)))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    variants = [("new", here)] + ([("old", os.path.abspath(args.base))] if args.base else [])
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'row':<12} {'code':<4} {'distinct':>9} {'generated':>10} "
        f"{'CPU s (runs)':<26} {'median':>7} {'us/distinct':>11} {'us/generated':>12}"
    )
    for row in args.rows:
        runs: dict[str, list[dict]] = {name: [] for name, _ in variants}
        for _ in range(args.runs):
            for name, code in variants:  # alternating, so both see the same load
                runs[name].append(_child(row, code))
        medians = {}
        for name, _ in variants:
            first = runs[name][0]
            counts = {(r["distinct"], r["generated"], r["ok"]) for r in runs[name]}
            if len(counts) != 1:
                sys.exit(f"{row}: {name}'s counts differ between runs: {sorted(counts)}")
            cpu = [r["cpu_s"] for r in runs[name]]
            med = medians[name] = statistics.median(cpu)
            shown = " ".join(f"{c:.1f}" for c in cpu)
            print(
                f"{row:<12} {name:<4} {first['distinct']:>9,} {first['generated']:>10,} "
                f"{shown:<26} {med:>7.2f} {med / first['distinct'] * 1e6:>11.1f} "
                f"{med / first['generated'] * 1e6:>12.1f}"
            )
        if len(variants) == 2:
            new, old = runs["new"][0], runs["old"][0]
            if (new["distinct"], new["generated"], new["ok"]) != (
                old["distinct"],
                old["generated"],
                old["ok"],
            ):
                sys.exit(f"{row}: the counts of old and new differ: {old} against {new}")
            print(f"{row:<12} old/new CPU: {medians['old'] / medians['new']:.2f}x")


if __name__ == "__main__":
    main()
