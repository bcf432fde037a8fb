"""Regenerate the committed traces in this folder (``traces/README.md`` lists them).

    python traces/generate.py              # every trace
    python traces/generate.py --only NAME  # one (a simulator name or a process folder)
    python traces/generate.py --no-process # the simulator traces only (deterministic)

Simulator traces are deterministic: the same seed and schedule give the same file, byte for
byte. Runs of real processes are not (timing decides the interleaving); each lands in its
own folder, one file per server. ``mutants/`` holds one simulator run per bug switch that
shows the switch's bug (``impl.sim.mutation_runs``): a replay of it must diverge.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from impl.server.recorded_runs import record_process_run
from impl.sim.faults import Schedule
from impl.sim.mutation_runs import MUTANT_RUNS, TRUNC_OPS, find_run
from impl.sim.record import parse_op, record_schedule

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SimTrace:
    name: str
    seed: int
    ops: tuple[str, ...]
    what: str
    voters: int = 3
    observers: int = 0
    snapshot_every: int = 10_000

    def schedule(self) -> Schedule:
        ops = tuple(parse_op(text) for text in self.ops)
        return Schedule(self.seed, self.voters, self.observers, ops, self.snapshot_every)


SIM_TRACES = (
    SimTrace(
        "clean-election",
        1,
        ("300,write-leader,0,0,2",),
        "three servers elect a leader (3) and commit two writes",
    ),
    SimTrace(
        "leader-crash",
        14,
        ("300,write-leader,0,0,2", "500,crash-leader", "900,write,1,0,1", "1200,restart,3"),
        "the leader crashes, the other two elect a new one and commit; the old leader "
        "restarts and follows",
    ),
    SimTrace(
        "follower-diff",
        12,
        ("300,write,3,0,2", "500,crash,1", "600,write,3,0,3", "1200,restart,1"),
        "follower 1 crashes, misses three writes, restarts and syncs by DIFF with them",
    ),
    SimTrace(
        "follower-trunc",
        3,
        TRUNC_OPS,
        "leader 3 logs a proposal no one else gets and crashes; it restarts as a follower "
        "and the new leader TRUNCs it",
    ),
    SimTrace(
        "follower-snap",
        11,
        ("300,write,3,0,2", "500,crash,1", "600,write,3,0,4", "700,write,3,0,4", "1200,restart,1"),
        "with a snapshot every 3 txns, follower 1 restarts too far behind and syncs by SNAP",
        snapshot_every=3,
    ),
    SimTrace(
        "partitioned-leader",
        15,
        (
            "300,write-leader,0,0,1",
            "500,isolate-leader,0,0,1",
            "900,write,1,0,1",
            "1200,heal-all,0",
        ),
        "the leader is cut off from both followers and steps down; they elect a new leader; "
        "the partition heals and the old leader follows",
    ),
    SimTrace(
        "observer",
        13,
        ("300,write-leader,0,0,2", "400,write,4,0,1"),
        "three voters and observer 4: the observer syncs, learns commits by INFORM and "
        "forwards a write",
        observers=1,
    ),
    SimTrace(
        "restart-drops-proposal",
        4,
        ("300,write-leader,0,0,2", "600,write-leader,0,0,1", "600,crash-leader", "1500,restart,3"),
        "the leader logs a proposal and crashes before it reaches disk or anyone else; it "
        "restarts without it",
    ),
)

PROCESS_TRACES = {
    "process-follower-restart": (
        "follower-restart",
        "real processes: a follower is killed (kill -9) and restarted, and syncs by DIFF",
    ),
    "process-leader-restart": (
        "leader-restart",
        "real processes: the leader is killed (kill -9), the others elect a new one, the old "
        "leader restarts and follows",
    ),
}


def generate_sim(trace: SimTrace, folder: Path) -> str:
    recorded = record_schedule(trace.schedule(), folder / f"{trace.name}.jsonl")
    if recorded.violation is not None:
        raise SystemExit(f"{trace.name}: a property broke: {recorded.violation}")
    return f"{trace.name}.jsonl: {recorded.events} events"


def generate_process(name: str, folder: Path) -> str:
    scenario, _ = PROCESS_TRACES[name]
    target = folder / name
    with tempfile.TemporaryDirectory(prefix="zab-trace-") as scratch:
        files = record_process_run(scenario, Path(scratch), run=name)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for path in files:
            shutil.copy(path, target / path.name)
    counts = [len((target / p.name).read_text().splitlines()) - 1 for p in files]
    return f"{name}/: {' + '.join(map(str, counts))} events"


MUTANTS = tuple(MUTANT_RUNS)
"""Every switch has a run in ``mutants/``."""


def generate_mutant(name: str, folder: Path) -> str:
    path = folder / "mutants" / f"{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    found = find_run(name, path)
    if found is None:
        raise SystemExit(f"mutants/{name}: no seed showed the bug")
    seed, recorded = found
    return f"mutants/{name}.jsonl: seed {seed}, {recorded.events} events"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="regenerate only this trace")
    parser.add_argument("--no-process", action="store_true", help="skip real-process runs")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: here)")
    args = parser.parse_args(argv)
    names = [t.name for t in SIM_TRACES] + list(PROCESS_TRACES) + [f"mutants/{m}" for m in MUTANTS]
    if args.only is not None and args.only not in names:
        print(f"generate.py: error: no trace {args.only!r}; one of {', '.join(names)}")
        return 2
    for trace in SIM_TRACES:
        if args.only in (None, trace.name):
            print(generate_sim(trace, args.out))
    for name in MUTANTS:
        if args.only in (None, f"mutants/{name}"):
            print(generate_mutant(name, args.out))
    for name in PROCESS_TRACES:
        if args.only in (None, name) and not args.no_process:
            print(generate_process(name, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
