"""``zabmc prove``'s figures: BMC depth on the protocol bugs, inductive proofs, and BFS beside them.

Three parts, each run a process at a time with a wall-clock budget per run:

- ``bmc``: for each protocol bug variant (BFS finds them at depths 17, 21 and 25
  with --max-timeouts 0 --max-txns 2 --max-epoch 2), ``zabmc prove --bmc D`` of
  ShouldNotBeTriggered with both encodings (``--encoding int``, the former one: z3
  Ints and one incremental solver, and ``bitvector``, the default: bit-vectors
  bit-blasted to SAT per depth, paths in trace normal form, channels grown on
  demand), and the z3 CPU seconds of every depth each finished, side by side
  (a depth checked twice because a channel filled up counts both checks).
  CPU seconds, not wall seconds: the machine is shared. ``--encodings`` picks
  which run, ``--int-budget`` caps the former one's run.
- ``within``: for each bug, ``zabmc prove --bmc D --no-shortest`` (bit-vectors): one
  SAT query for any path of at most D steps (D = BFS's depth, so a path found has
  exactly D steps), instead of one per depth; its queries' z3 CPU seconds and wall
  seconds, the channel capacity it ended with and the found path's length
  (``--sat-restarts ema luby``: each bug once per SAT restart strategy). With
  ``--persistent`` the same with the partial-order reduction (``--depth D`` for
  another D than BFS's: a reduced path may be longer); ``--frames`` with it counts D
  in frames of a step and its forced receipt (D defaults to the explicit search's
  fewest frames: 13, 16 and 19); ``--symmetry`` adds the server symmetry breaking.
  ``--receipt-frames [F]`` (without ``--persistent``): D still counts steps (BFS's
  depth), laid out in F frames of a step and optionally a declared receipt (F defaults
  to the explicit search's fewest frames holding a path of D steps: 13, 16 and 19).
- ``induction``: 1-induction of Leadership1 with spec/protocol/lemmas.zprop, and
  of PrefixConsistency with it and spec/protocol/prefix_lemmas.zprop, at growing
  MaxTransactionNum = MaxEpoch (``--sizes``; ``--prefix-bounds T E`` adds a
  PrefixConsistency row at MaxTransactionNum T, MaxEpoch E). A counterexample to
  induction, should one appear, is written to ``--cti FILE``.
- ``bfs``: whether breadth-first search (``zabmc check``, symmetry on) completes
  within the budget at the same bounds, for comparison.
- ``system``: BMC of the system spec (``--spec system --coarse-election --max-timeouts 1``)
  for ``--system-nodes`` servers: breadth-first search's depth for ZK-2845 first
  (``zabmc check --bug ZK-2845``), then ``zabmc prove --bmc`` to that depth with the bug
  of the invariant it reports violated (a counterexample at the same depth is the
  cross-check) and without the bug (proved).

    python bench/prove.py                          # everything, 10 minutes a run at most
    python bench/prove.py --only bmc --budget 900 --int-budget 300 --bugs strict-propose
    python bench/prove.py --only within --budget 3600 --bugs propose-to-ackld
    python bench/prove.py --only within --persistent --bugs strict-propose
    python bench/prove.py --only within --persistent --sat-restarts ema luby \
        --bugs strict-propose propose-to-ackld
    python bench/prove.py --only within --persistent --frames --depth 25 --budget 3600 \
        --bugs commitld-ackld-zxid
    python bench/prove.py --only within --receipt-frames --bugs commitld-ackld-zxid
    python bench/prove.py --only within --receipt-frames 20 --bugs commitld-ackld-zxid
    python bench/prove.py --only induction --sizes 2 3 4
    python bench/prove.py --only system --system-nodes 2 3 --budget 3600
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

BUG_BOUNDS = ["--max-timeouts", "0", "--max-txns", "2", "--max-epoch", "2"]
BUGS = {"strict-propose": 17, "propose-to-ackld": 21, "commitld-ackld-zxid": 25}
#: The fewest frames (a step, then a forced receipt if one is enabled) to each bug, under
#: --persistent's rule: a BFS by frames on the explicit spec (tests/protocol/symbolic/test_rules.py
#: has its code); the paths have 17, 21 and 26 steps at least.
FRAMES = {"strict-propose": 13, "propose-to-ackld": 16, "commitld-ackld-zxid": 19}
#: The fewest frames (a step, then optionally a declared receipt) holding a path of BFS's
#: length to each bug (--receipt-frames): a BFS by such frames, counting steps, on the
#: explicit spec (tests/protocol/symbolic/test_rules.py has its code).
RECEIPT_FRAMES = {"strict-propose": 13, "propose-to-ackld": 16, "commitld-ackld-zxid": 19}
LEMMAS = "spec/protocol/lemmas.zprop"
PREFIX_LEMMAS = "spec/protocol/prefix_lemmas.zprop"
TIMEOUTS = 1  # MaxTimeoutFailures of the induction and BFS rows
DEPTH_LINE = re.compile(r"progress: depth (\d+): (\w+) in [\d.]+ s \(z3 CPU ([\d.]+) s\)")
QUERY_LINE = re.compile(
    r"progress: (a violation|a full channel) within \d+ (?:steps|frames)(?: in \d+ frames)?: "
    r"(\w+) in ([\d.]+) s "
    r"\(z3 CPU ([\d.]+) s\)"
)


def zabmc(args: list[str], budget: int) -> tuple[dict | None, float, str, str]:
    """Run ``zabmc ARGS``; the JSON payload (if any), seconds, stdout and stderr.

    The payload is None when the budget ran out or the output is not JSON.
    """
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("zabmc")), *args],
            capture_output=True,
            text=True,
            timeout=budget,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return None, time.monotonic() - started, out, err
    elapsed = time.monotonic() - started
    try:
        payload = json.loads(done.stdout)
    except json.JSONDecodeError:
        payload = None
    return payload, elapsed, done.stdout, done.stderr


def bmc_depths(bug: str, encoding: str, budget: int) -> tuple[dict[int, float], str]:
    """z3 CPU seconds per finished depth, and how the run ended."""
    args = [
        "prove",
        "--spec",
        "protocol",
        *BUG_BOUNDS,
        "--bug",
        bug,
        "--invariant",
        "ShouldNotBeTriggered",
        "--bmc",
        str(BUGS[bug]),
        "--encoding",
        encoding,
        "--progress",
        "--json",
    ]
    payload, elapsed, _, err = zabmc(args, budget)
    depths: dict[int, float] = {}
    for d, _, cpu in DEPTH_LINE.findall(err):
        depths[int(d)] = depths.get(int(d), 0.0) + float(cpu)
    if payload is None:
        return depths, f"budget of {budget} s ran out after depth {max(depths, default=-1)}"
    last = payload["checks"][-1]["check"]
    return depths, f"{payload['verdict']} at {last} in {elapsed:.0f} s"


def bmc_rows(budget: int, int_budget: int, bugs: list[str], encodings: list[str]) -> None:
    print("BMC of ShouldNotBeTriggered, protocol spec, 3 servers, " + " ".join(BUG_BOUNDS))
    for bug in bugs:
        runs = {}
        print(f"  {bug} (BFS depth {BUGS[bug]})")
        for encoding in encodings:
            runs[encoding], end = bmc_depths(
                bug, encoding, int_budget if encoding == "int" else budget
            )
            print(f"    --encoding {encoding}: {end}")
            total = sum(runs[encoding].values())
            print(f"      z3 CPU over all depths: {total:.1f} s")
        before, after = runs.get("int", {}), runs.get("bitvector", {})
        print("    depth  z3 CPU s int  z3 CPU s bitvector  ratio")
        for depth in sorted(set(before) | set(after)):
            a, b = before.get(depth), after.get(depth)
            ratio = f"{a / b:.1f}x" if a is not None and b else "-"
            a_text = f"{a:.1f}" if a is not None else "-"
            b_text = f"{b:.1f}" if b is not None else "-"
            print(f"    {depth:>5}  {a_text:>12}  {b_text:>18}  {ratio:>5}")


def within_rows(
    budget: int,
    bugs: list[str],
    persistent: bool = False,
    depth_given: int | None = None,
    frames: bool = False,
    symmetry: bool = False,
    restarts: list[str] | None = None,
    receipt_frames: int | None = None,
) -> None:
    """One ``--no-shortest`` query per bug at BFS's depth (and again whenever a channel fills).

    ``persistent``: with ``--persistent`` (declared follower receipts taken first, which
    may lengthen the path); ``depth_given``: that depth instead of BFS's (of the fewest
    frames with ``frames``); ``symmetry``: with ``--symmetry``; ``restarts``: each bug once
    per SAT restart strategy (``--sat-restart``), one after the other, for their ratio;
    ``receipt_frames``: with ``--receipt-frames F`` (0: each bug's fewest, RECEIPT_FRAMES).
    """
    flags = ["--persistent"] * persistent + ["--frames"] * frames + ["--symmetry"] * symmetry
    mode = "".join(f" {f}" for f in flags)
    if receipt_frames is not None:
        mode += f" --receipt-frames {receipt_frames or 'F'}"
    print(
        f"BMC --no-shortest{mode} (one query for a path of at most D steps), ShouldNotBeTriggered,"
    )
    print("protocol spec, 3 servers, " + " ".join(BUG_BOUNDS))
    for bug in bugs:
        for restart in restarts or [None]:
            given = flags
            if receipt_frames is not None:
                f = receipt_frames or RECEIPT_FRAMES[bug]
                given = [*flags, "--receipt-frames", str(f)]
            within_row(bug, budget, given, frames, depth_given, restart)


def within_row(
    bug: str,
    budget: int,
    flags: list[str],
    frames: bool,
    depth_given: int | None,
    restart: str | None,
) -> None:
    """One bug's ``--no-shortest`` run (with ``--sat-restart RESTART`` if given)."""
    if restart is not None:
        flags = [*flags, "--sat-restart", restart]
    with_restart = f", --sat-restart {restart}" if restart is not None else ""
    if "--receipt-frames" in flags:
        with_restart += f", in {flags[flags.index('--receipt-frames') + 1]} frames"
    depth = (FRAMES if frames else BUGS)[bug] if depth_given is None else depth_given
    args = ["prove", "--spec", "protocol", *BUG_BOUNDS, "--bug", bug]
    args += ["--invariant", "ShouldNotBeTriggered", "--bmc", str(depth), "--no-shortest"]
    args += flags
    payload, elapsed, _, err = zabmc([*args, "--progress", "--json"], budget)
    queries = QUERY_LINE.findall(err)
    cpu = sum(float(q[3]) for q in queries)
    each = "; ".join(
        f"{what}: {result}, {wall} s wall, {z3} s z3 CPU" for what, result, wall, z3 in queries
    )
    print(
        f"  {bug} (BFS depth {BUGS[bug]}, D {depth}{' frames' if frames else ''}"
        f"{with_restart}): "
        f"{len(queries)} queries ({each or 'none finished'})"
    )
    if payload is None:
        print(f"    budget of {budget} s ran out ({elapsed:.0f} s, {cpu:.1f} s z3 CPU finished)")
        return
    found = payload["counterexample"]
    length = f", a path of {found['length']} steps" if found else ""
    print(
        f"    {payload['verdict']}{length}, channels of {payload['channel_capacity']}, "
        f"{elapsed:.0f} s wall, {cpu:.1f} s z3 CPU"
    )


def bounds(txns: int, epochs: int | None = None) -> list[str]:
    epochs = txns if epochs is None else epochs
    return ["--max-timeouts", str(TIMEOUTS), "--max-txns", str(txns), "--max-epoch", str(epochs)]


def induction_row(invariant: str, lemmas: list[str], given: list[str], budget: int, cti: str):
    """One 1-induction run; a counterexample to induction goes to the report ``cti``."""
    args = ["prove", "--spec", "protocol", *given, "--invariant", invariant, "--induction"]
    for path in lemmas:
        args += ["--lemmas", path]
    args += ["--json", "--no-progress"]
    payload, elapsed, _, _ = zabmc(args, budget)
    label = f"{invariant}, MaxTransactionNum {given[3]}, MaxEpoch {given[5]}"
    if payload is None:
        print(f"  {label}: no answer within {budget} s")
        return
    cpu = sum(c["cpu"] for c in payload["checks"])
    broken = f" (breaks {', '.join(payload['broken'])})" if payload["broken"] else ""
    print(
        f"  {label}: {payload['verdict']}{broken}, {len(payload['checks'])} z3 checks, "
        f"{elapsed:.0f} s wall, {cpu:.0f} s z3 CPU"
    )
    if payload["verdict"] == "cti":
        zabmc([*args[:-2], "--no-progress", "--report", cti], budget)
        print(f"    the step and pre-state: {cti}")


def induction_rows(budget: int, sizes: list[int], prefix: list[list[int]], cti: str) -> None:
    print(f"1-induction, protocol spec, 3 servers, MaxTimeoutFailures {TIMEOUTS}")
    print(f"  (Leadership1 with {LEMMAS}; PrefixConsistency with it and {PREFIX_LEMMAS})")
    for size in sizes:
        induction_row("Leadership1", [LEMMAS], bounds(size), budget, cti)
    for txns, epochs in prefix:
        given = bounds(txns, epochs)
        induction_row("PrefixConsistency", [LEMMAS, PREFIX_LEMMAS], given, budget, cti)
    for size in sizes:
        given = bounds(size)
        induction_row("PrefixConsistency", [LEMMAS, PREFIX_LEMMAS], given, budget, cti)


def bfs_rows(budget: int, sizes: list[int]) -> None:
    print(f"Breadth-first search (zabmc check --symmetry), MaxTimeoutFailures {TIMEOUTS}")
    for size in sizes:
        # the full search: its count is the number of orbits, which the reduction would cut
        args = ["check", "--spec", "protocol", *bounds(size), "--symmetry", "--no-deadlock"]
        args.append("--no-reduction")
        payload, elapsed, out, err = zabmc([*args, "--json"], budget)
        label = f"MaxTransactionNum = MaxEpoch = {size}"
        if payload is not None and payload["complete"]:
            print(f"  {label}: complete in {elapsed:.0f} s, {payload['distinct_states']:,} orbits")
            continue
        seen = re.findall(r"([\d,]+) distinct", err + out)
        so_far = f", {seen[-1]} distinct when stopped" if seen else ""
        print(f"  {label}: did not complete within {budget} s{so_far}")


SYSTEM = ["--spec", "system", "--coarse-election", "--max-timeouts", "1"]


def system_rows(budget: int, nodes: list[int]) -> None:
    print("BMC of the invariant BFS reports violated, system spec, " + " ".join(SYSTEM[2:]))
    for n in nodes:
        given = [*SYSTEM, "--nodes", str(n)]
        payload, elapsed, _, _ = zabmc(["check", *given, "--bug", "ZK-2845", "--json"], budget)
        if payload is None or payload.get("violation") is None:
            print(f"  {n} servers: breadth-first search found no ZK-2845 within {budget} s")
            continue
        depth, invariant = payload["violation"]["length"], payload["violation"]["invariant"]
        print(f"  {n} servers: BFS finds {invariant} violated at depth {depth} in {elapsed:.1f} s")
        for bug in ("ZK-2845", None):
            args = ["prove", *given, "--invariant", invariant, "--bmc", str(depth)]
            args += ["--bug", bug] if bug else []
            payload, elapsed, _, err = zabmc([*args, "--progress", "--json"], budget)
            depths = {int(d): float(cpu) for d, _, cpu in DEPTH_LINE.findall(err)}
            label = f"    {'--bug ZK-2845' if bug else 'fixed        '}"
            last = max(depths, default=-1)
            if payload is None:
                print(f"{label}: budget of {budget} s ran out after depth {last}")
                continue
            cpu = sum(c["cpu"] for c in payload["checks"])
            at = f" at depth {payload['checks'][-1]['check'].split()[-1]}"
            tail = ", ".join(f"{d}: {depths[d]:.0f}" for d in sorted(depths)[-3:])
            print(
                f"{label}: {payload['verdict']}{at}, {elapsed:.0f} s wall, {cpu:.0f} s z3 CPU "
                f"(last depths' z3 CPU s: {tail})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=600, help="seconds per run")
    parser.add_argument(
        "--only", choices=("bmc", "within", "induction", "bfs", "system"), default=None
    )
    parser.add_argument("--bugs", nargs="+", choices=sorted(BUGS), default=list(BUGS))
    parser.add_argument(
        "--encodings", nargs="+", choices=("int", "bitvector"), default=["int", "bitvector"]
    )
    parser.add_argument("--int-budget", type=int, default=300, help="seconds for --encoding int")
    parser.add_argument("--sizes", nargs="+", type=int, default=[2, 3, 4])
    parser.add_argument(
        "--prefix-bounds",
        nargs=2,
        type=int,
        action="append",
        default=[],
        metavar=("T", "E"),
        help="also prove PrefixConsistency at MaxTransactionNum T, MaxEpoch E",
    )
    parser.add_argument("--cti", default="cti.md", help="report of a counterexample to induction")
    parser.add_argument("--system-nodes", nargs="+", type=int, default=[2, 3])
    parser.add_argument(
        "--persistent", action="store_true", help="within: take declared receipts first"
    )
    parser.add_argument("--depth", type=int, default=None, help="within: D instead of BFS's")
    parser.add_argument(
        "--frames", action="store_true", help="within, with --persistent: D counts frames"
    )
    parser.add_argument("--symmetry", action="store_true", help="within: break server symmetry")
    parser.add_argument(
        "--receipt-frames",
        type=int,
        nargs="?",
        const=0,
        default=None,
        metavar="F",
        help="within: D steps in F frames of a step and optionally a receipt [F: the fewest]",
    )
    parser.add_argument(
        "--sat-restarts",
        nargs="+",
        choices=("ema", "luby", "geometric", "static"),
        default=None,
        help="within: each bug once per SAT restart strategy (zabmc prove --sat-restart)",
    )
    options = parser.parse_args()
    if options.only in (None, "bmc"):
        bmc_rows(options.budget, options.int_budget, options.bugs, options.encodings)
    if options.only in (None, "within"):
        within_rows(
            options.budget,
            options.bugs,
            options.persistent,
            options.depth,
            options.frames,
            options.symmetry,
            options.sat_restarts,
            options.receipt_frames,
        )
    if options.only in (None, "induction"):
        induction_rows(options.budget, options.sizes, options.prefix_bounds, options.cti)
    if options.only in (None, "bfs"):
        bfs_rows(options.budget, options.sizes)
    if options.only in (None, "system"):
        system_rows(options.budget, options.system_nodes)


if __name__ == "__main__":
    main()
