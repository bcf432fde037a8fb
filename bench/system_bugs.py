"""The system spec's figures: each known bug's first counterexample, and the default check.

For each bug variant it prints the depth of the shortest counterexample, the invariant
that catches it, the distinct states explored and the wall time, searched

* from the initial state, with the bounds ``zabmc specs`` advertises for the bug; and
* from ZooKeeper's authors' starting point (their SetInitState: s3 leading epoch 1,
  1:1 committed everywhere, 1:2 proposed), reached by the spec's own steps, which is
  what their reported depths count from.

Then it runs ``zabmc check --nodes 3 --depth 12`` (the README's first command) and
prints its counts and wall time. Each row runs in a fresh process; MB is its peak
memory (max RSS).

    python bench/system_bugs.py                  # everything (about 15 minutes)
    python bench/system_bugs.py --bugs ZK-2845   # some bugs
    python bench/system_bugs.py --skip-from-init # only the runs from the authors' start
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

#: ZooKeeper's authors' figures (Disalg-ICS-NJU/zookeeper-tla-spec, test-spec at 8558b38,
#: verification-statistics.md): depth, distinct states, invariant; 3 servers, 2 txns,
#: 4 crashes, 4 partitions, from SetInitState.
AUTHORS = {
    "ZK-2845": (10, 6_347, "processConsistency"),
    "ZK-3911": (14, 286_286, "leaderLogCompleteness"),
    "ZK-4643": (16, 847_683, "leaderLogCompleteness"),
    "ZK-4646": (14, 188_076, "leaderLogCompleteness"),
    "ZK-4685": (14, 75_833, "messageLegal"),
}


BOUND_NAMES = ("max_txns", "max_epoch", "max_crashes", "max_partitions", "max_timeouts")


def run_bug(bug: str, start: str) -> dict:
    """Search one bug variant in this process and return its figures."""
    from spec.system import SystemModel, bug_params
    from spec.system.scenarios import from_established
    from zabmc.engine import CheckOptions, check_bfs

    # from the authors' start: their 2 txns, 3 epochs, crashes (theirs 4, ours 2)
    authors = dict(max_txns=2, max_epoch=3, max_crashes=2, max_timeouts=0)
    params = bug_params(bug, **(authors if start == "authors" else {}))
    model = from_established(params) if start == "authors" else SystemModel(params)
    began = time.perf_counter()
    result = check_bfs(model, CheckOptions(check_deadlock=False))
    wall = time.perf_counter() - began
    v = result.violation
    return {
        "bug": bug,
        "start": start,
        "bounds": {
            "nodes": params.voters,
            **{k: getattr(params, k) for k in BOUND_NAMES},
        },
        "depth": v.length if v else None,
        "invariant": v.property if v else None,
        "distinct": result.distinct_states,
        "generated": result.states_generated,
        "wall_s": round(wall, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def in_fresh_process(args: list[str]) -> dict:
    """Run this script on ``args`` in a child process and return its JSON line."""
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1])


def default_check() -> tuple[str, float]:
    """``zabmc check --nodes 3 --depth 12``: its summary lines and wall time."""
    began = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from zabmc.cli.main import entry_point; entry_point()",
            *("check", "--nodes", "3", "--depth", "12", "--no-progress"),
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return out, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", nargs="*", default=list(AUTHORS))
    parser.add_argument("--skip-from-init", action="store_true")
    parser.add_argument("--row", nargs=2, metavar=("BUG", "START"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run_bug(*args.row)))
        return
    # the rows' processes inherit the environment, so they run the same code (ZABMC_PURE)
    from zabmc.compiled import mode

    print(f"code: {mode().describe()}")
    print(
        f"{'bug':8} {'start':8} {'depth':>5} {'invariant':22} {'distinct':>10} "
        f"{'wall s':>8} {'MB':>6}   authors (from their start)"
    )
    for bug in args.bugs:
        starts = ["authors"] if args.skip_from_init else ["init", "authors"]
        for start in starts:
            row = in_fresh_process(["--row", bug, start])
            depth, states, inv = AUTHORS[bug]
            print(
                f"{bug:8} {start:8} {row['depth']!s:>5} {row['invariant']!s:22} "
                f"{row['distinct']:>10,} {row['wall_s']:>8.1f} {row['peak_mb']:>6}   "
                + (
                    f"depth {depth}, {states:,} states, {inv}"
                    if start == "authors"
                    else " ".join(f"--{k.replace('_', '-')} {v}" for k, v in row["bounds"].items())
                ),
                flush=True,
            )
    out, wall = default_check()
    print("\nzabmc check --nodes 3 --depth 12:")
    for line in out.splitlines()[:6]:
        print("  " + line)
    print(f"  wall time (whole command) {wall:.2f} s")


if __name__ == "__main__":
    main()
