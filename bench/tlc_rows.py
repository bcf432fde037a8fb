"""TLC's reference rows for Zab.tla (shared/tlc/README.md), run by zabmc.

For each row it prints zabmc's figures next to TLC's: distinct states, states
generated, depth (TLC's convention: the initial state is level 1), wall time,
distinct states per second and peak memory (max RSS of a fresh process per row).
Rows run in ``--tlc-compat`` mode, which counts as TLC does; for the symmetric
rows it also prints the exact number of orbits.

    python bench/tlc_rows.py            # every row
    python bench/tlc_rows.py --rows 1 2 # some rows
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

# servers, (T, X, E, R), symmetry, view, TLC's distinct, generated, depth, wall time (s)
ROWS = [
    (3, (1, 1, 1, 0), False, True, 5_170, 8_608, 21, 9),
    (3, (1, 2, 2, 0), True, True, 64_713, 150_940, 40, 31),
    (3, (1, 2, 2, 0), False, True, 351_844, 815_914, 40, 88),
    (3, (1, 2, 2, 0), True, False, 129_347, 308_826, 41, 34),
    (3, (2, 2, 2, 0), True, True, 989_950, 2_222_356, 48, 181),
]


def run_row(index: int, exact: bool) -> dict:
    """Run one row in this process and return its figures."""
    servers, (t, x, e, r), symmetry, view, *_ = ROWS[index]
    from spec.protocol import Params, ProtocolModel
    from spec.protocol.tlc_compat import TlcCompatModel
    from zabmc.engine import CheckOptions, check_bfs

    params = Params(servers, t, x, e, r)
    model = ProtocolModel(params) if exact else TlcCompatModel(params, view=view)
    started = time.perf_counter()
    result = check_bfs(model, CheckOptions(check_deadlock=False, symmetry=symmetry))
    wall = time.perf_counter() - started
    return {
        "distinct": result.distinct_states,
        "generated": result.states_generated,
        "depth": result.max_depth + 1,
        "wall_s": wall,
        "ok": result.ok,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="*", default=list(range(1, len(ROWS) + 1)))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--exact", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_row(args.child, args.exact)))
        return
    print(
        f"{'row':<26} {'distinct':>10} {'generated':>10} {'depth':>5} {'wall s':>7} "
        f"{'TLC s':>6} {'ratio':>6} {'states/s':>9} {'peak MB':>8}  same as TLC"
    )
    for number in args.rows:
        servers, bounds, symmetry, view, distinct, generated, depth, tlc_s = ROWS[number - 1]
        fig = json.loads(
            subprocess.run(
                [sys.executable, __file__, "--child", str(number - 1)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        same = (fig["distinct"], fig["generated"], fig["depth"]) == (distinct, generated, depth)
        label = (
            f"{servers} {' '.join(map(str, bounds))} sym={'y' if symmetry else 'n'} "
            f"view={'y' if view else 'n'}"
        )
        print(
            f"{label:<26} {fig['distinct']:>10,} {fig['generated']:>10,} {fig['depth']:>5} "
            f"{fig['wall_s']:>7.1f} {tlc_s:>6} {fig['wall_s'] / tlc_s:>6.2f} "
            f"{fig['distinct'] / fig['wall_s']:>9,.0f} {fig['peak_mb']:>8.0f}  "
            f"{'yes' if same else 'NO'}",
            flush=True,
        )
        if symmetry and view:
            exact = json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--child", str(number - 1), "--exact"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            print(
                f"{'  exact orbits (default)':<26} {exact['distinct']:>10,} "
                f"{exact['generated']:>10,} {exact['depth']:>5} {exact['wall_s']:>7.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
