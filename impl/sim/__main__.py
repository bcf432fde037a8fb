"""``python -m impl.sim record --seed 7 --out run.jsonl [--op AT_MS,KIND,A[,B[,X]]] ...``:
run one fault schedule in the simulator and record it as a trace (``traces/README.md``).

Exit codes: 0 the run kept ZAB's properties, 1 a property broke (with a bug switch on, that
is the point; the trace is still written, up to the break), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from impl.core.mutations import MUTATIONS
from impl.sim.faults import Schedule
from impl.sim.record import parse_op, record_schedule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m impl.sim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="record one simulated run as a trace")
    rec.add_argument("--seed", type=int, required=True, help="the scheduler's seed")
    rec.add_argument("--out", type=Path, required=True, help="the trace file to write")
    rec.add_argument("--voters", type=int, default=3)
    rec.add_argument("--observers", type=int, default=0)
    rec.add_argument(
        "--op", action="append", default=[], help="an operation AT_MS,KIND,A[,B[,X]] (repeat)"
    )
    rec.add_argument("--snapshot-every", type=int, default=10_000, help="txns between snapshots")
    rec.add_argument(
        "--mutation", action="append", default=[], choices=sorted(MUTATIONS), help="a bug switch"
    )
    rec.add_argument("--settle-ms", type=int, default=60_000)
    args = parser.parse_args(argv)
    try:
        if args.voters < 1 or args.observers < 0 or args.snapshot_every < 1:
            raise ValueError("--voters >= 1, --observers >= 0, --snapshot-every >= 1")
        ops = tuple(parse_op(text) for text in args.op)
        schedule = Schedule(args.seed, args.voters, args.observers, ops, args.snapshot_every)
        recorded = record_schedule(
            schedule, args.out, mutations=frozenset(args.mutation), settle_ms=args.settle_ms
        )
    except ValueError as exc:
        print(f"python -m impl.sim: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"python -m impl.sim: error: {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"seed {args.seed}: {recorded.events} events -> {recorded.path}")
    if recorded.violation is not None:
        print(f"property broken: {recorded.violation}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
