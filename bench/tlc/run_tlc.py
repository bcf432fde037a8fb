"""Run TLC on ZooKeeper's Zab.tla for the reference rows of bench/tlc_rows.py.

The harness is MC.tla (beside this file); this script writes MC.cfg for a row (servers
s1..s3, the row's bounds, SYMMETRY and VIEW as the row says, deadlock checking off, the
ten invariants) into a scratch folder with Zab.tla and MC.tla, runs TLC there with one
worker, and prints TLC's distinct and generated states and depth next to the row's
pinned figures. Neither TLC nor Zab.tla is in the repository:

    .venv/bin/python bench/tlc/run_tlc.py --jar /work/tlc/tla2tools.jar \\
        --zab /work/tlc/protocol/Zab.tla --rows 1
    python bench/tlc/run_tlc.py ... --rows 1 --no-view   # plain TLC: 8,050 for row 1
    python bench/tlc/run_tlc.py ... --rows 3 5 --workers 2  # the wall times of issue 13

``Zab.tla`` is zookeeper-specifications/protocol-spec/Zab.tla in apache/zookeeper;
``tla2tools.jar`` is TLC 2.18 (generator/tla2tools.jar in Lingzhi-Ouyang/Remix).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tlc_rows import ROWS

from spec.protocol.constants import MESSAGE_TYPE_NAMES, SERVER_STATE_NAMES, ZAB_STATE_NAMES

HERE = Path(__file__).resolve().parent
INVARIANTS = (
    "ShouldNotBeTriggered",
    "Leadership1",
    "Leadership2",
    "PrefixConsistency",
    "Integrity",
    "Agreement",
    "TotalOrder",
    "LocalPrimaryOrder",
    "GlobalPrimaryOrder",
    "PrimaryIntegrity",
)
#: Zab.tla's model-value constants: its server states, phases and message types.
MODEL_VALUES = (*SERVER_STATE_NAMES, *ZAB_STATE_NAMES, *MESSAGE_TYPE_NAMES)


def config(row: int, view: bool) -> str:
    """MC.cfg for ``row`` (1-based), with or without the VIEW."""
    servers, (t, x, e, r), symmetry, row_view, *_ = ROWS[row - 1]
    names = ", ".join(f"s{k}" for k in range(1, servers + 1))
    lines = [
        "SPECIFICATION Spec",
        "CONSTANTS",
        f"    Server = {{{names}}}",
        *(f"    {v} = {v}" for v in MODEL_VALUES),
        f"    T = {t}",
        f"    X = {x}",
        f"    E = {e}",
        f"    R = {r}",
        "    NoServer = NoServer",
        "    NullPoint <- NoServer",
        "    Parameters <- MCParameters",
        *(["SYMMETRY Perms"] if symmetry else []),
        *(["VIEW View"] if view and row_view else []),
        "CHECK_DEADLOCK FALSE",
        *(f"INVARIANT {name}" for name in INVARIANTS),
    ]
    return "\n".join(lines) + "\n"


def run(jar: Path, zab: Path, row: int, view: bool, workers: int = 1) -> dict:
    """Run TLC on one row in a scratch folder; its figures, wall time and CPU seconds (the
    JVM's start and its collector's threads included)."""
    with tempfile.TemporaryDirectory(prefix="zabmc-tlc-") as tmp:
        work = Path(tmp)
        shutil.copy(zab, work / "Zab.tla")
        shutil.copy(HERE / "MC.tla", work / "MC.tla")
        (work / "MC.cfg").write_text(config(row, view))
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            [
                "java",
                "-XX:+UseParallelGC",
                "-cp",
                str(jar),
                "tlc2.TLC",
                "-workers",
                str(workers),
                "-config",
                "MC.cfg",
                "MC.tla",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    found = re.search(r"([\d,]+) states generated, ([\d,]+) distinct states found", out)
    depth = re.search(r"The depth of the complete state graph search is (\d+)", out)
    if not found or "No error has been found" not in out:
        raise SystemExit(f"row {row}: TLC did not finish cleanly:\n{out[-2000:]}")
    return {
        "generated": int(found.group(1).replace(",", "")),
        "distinct": int(found.group(2).replace(",", "")),
        "depth": int(depth.group(1)) if depth else None,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jar", type=Path, required=True, help="path to tla2tools.jar")
    parser.add_argument("--zab", type=Path, required=True, help="path to Zab.tla")
    parser.add_argument("--rows", type=int, nargs="*", default=list(range(1, len(ROWS) + 1)))
    parser.add_argument("--no-view", action="store_true", help="count without the VIEW")
    parser.add_argument("--workers", type=int, default=1, help="TLC's -workers (default 1)")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for row in args.rows:
        figures = run(args.jar, args.zab, row, view=not args.no_view, workers=args.workers)
        pinned = ROWS[row - 1][4:7]
        print(
            f"row {row}: TLC {figures['distinct']:,} distinct, {figures['generated']:,} "
            f"generated, depth {figures['depth']}; pinned (with the VIEW) {pinned[0]:,} / "
            f"{pinned[1]:,} / {pinned[2]}; {figures['wall_s']:.1f} s with {args.workers} "
            f"worker(s), {figures['cpu_s']:.1f} s CPU",
            flush=True,
        )


if __name__ == "__main__":
    main()
