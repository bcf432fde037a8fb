"""Recording simulated runs as traces (``traces/README.md``).

``python -m impl.sim record --seed 7 --out run.jsonl [--op AT_MS,KIND,A[,B[,X]]] ...`` runs
one fault schedule (``impl.sim.record`` describes the operations) and records it.
``python -m impl.sim mutant NAME --out run.jsonl`` searches seeds for a run in which the bug
switch NAME (``impl.core.switches``) really took its planted path, and records it.

Exit codes: ``record``: 0 the run kept ZAB's properties, 1 a property broke (with a bug switch
on that may be the point; the trace is still written, up to the break); ``mutant``: 0 found,
1 no seed in the range showed the bug; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from impl.core.switches import MUTATIONS
from impl.sim.faults import Schedule
from impl.sim.mutation_runs import MUTANT_RUNS, find_run
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
    mut = commands.add_parser("mutant", help="record a run that exercises one bug switch")
    mut.add_argument("name", choices=sorted(MUTANT_RUNS), help="the bug switch")
    mut.add_argument("--out", type=Path, required=True, help="the trace file to write")
    mut.add_argument("--first-seed", type=int, default=1)
    mut.add_argument("--seeds", type=int, default=200, help="how many seeds to try")
    args = parser.parse_args(argv)
    if args.command == "mutant":
        return _mutant(args)
    try:
        if args.voters < 1 or args.observers < 0 or args.snapshot_every < 1:
            raise ValueError("--voters >= 1, --observers >= 0, --snapshot-every >= 1")
        ops = tuple(parse_op(text) for text in args.op)
        schedule = Schedule(args.seed, args.voters, args.observers, ops, args.snapshot_every)
        recorded = record_schedule(
            schedule, args.out, switches=frozenset(args.mutation), settle_ms=args.settle_ms
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


def _mutant(args: argparse.Namespace) -> int:
    if args.seeds < 1:
        print("python -m impl.sim: error: --seeds >= 1", file=sys.stderr)
        return 2
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    try:
        found = find_run(args.name, args.out, seeds)
    except OSError as exc:
        print(f"python -m impl.sim: error: {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    what = MUTANT_RUNS[args.name].what
    if found is None:
        print(f"{args.name}: no seed in {seeds.start}..{seeds.stop - 1} showed the bug ({what})")
        return 1
    seed, recorded = found
    print(f"{args.name}: seed {seed} ({what}): {recorded.events} events -> {recorded.path}")
    if recorded.violation is not None:
        print(f"property broken: {recorded.violation}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
