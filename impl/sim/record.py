"""Recording a simulated run as a trace (``traces/README.md``): one file, every step in the
order the simulator took them, the seed in the header.

A schedule is written as operations ``AT_MS,KIND,A[,B[,X]]`` (``impl.sim.faults.Op``), e.g.
``500,write-leader,0,0,2`` (two writes at the leader at 500 ms), ``900,crash,2`` (server 2
crashes, losing unsynced writes), ``900,crash,2,0,1`` (keeping them), ``1500,restart,2``,
``700,cut,1,3``, ``2000,heal,1,3``, ``700,isolate-leader,0,0,1`` (cut every link of the
leader), ``0,crash-when-fixed,3,0,2000`` (within 2 s, crash 3 as soon as it leads and has
fixed a new epoch that no one has acked yet; later operations wait for it). After the last
operation the run heals everything, restarts every server, writes once more and runs until
all servers agree (as every simulated run does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from impl.core.switches import NONE, check_switches
from impl.sim.checks import Violation
from impl.sim.faults import Op, Outcome, Schedule, run_schedule
from impl.trace.recorder import TraceFile
from impl.trace.writer import header

KINDS = (
    "write",
    "write-leader",
    "crash",
    "crash-leader",
    "crash-when-fixed",
    "restart",
    "cut",
    "freeze",
    "isolate-leader",
    "heal",
    "heal-all",
    "slow",
)


def parse_op(text: str) -> Op:
    """``AT_MS,KIND,A[,B[,X]]`` -> an :class:`Op`; ``ValueError`` says what is wrong."""
    parts = [part.strip() for part in text.split(",")]
    if not 2 <= len(parts) <= 5:
        raise ValueError(f"operation {text!r}: expected AT_MS,KIND,A[,B[,X]]")
    kind = parts[1]
    if kind not in KINDS:
        raise ValueError(f"operation {text!r}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    try:
        numbers = [int(part) for part in (parts[0], *parts[2:])]
    except ValueError:
        raise ValueError(f"operation {text!r}: AT_MS, A, B and X are integers") from None
    if any(n < 0 for n in numbers):
        raise ValueError(f"operation {text!r}: negative number")
    at_ms, *rest = numbers
    a, b, x = [*rest, 0, 0, 0][:3]
    return Op(at_ms, kind, a, b, x)


def steady_writes_schedule(writes: int) -> Schedule:
    """A long run of steady load: ``writes`` writes at the leader, four every 20 ms, with a
    follower crashed for 3 s every 10 s (it syncs back by DIFF, TRUNC or SNAP)."""
    ops, at = [], 100
    for k in range(0, writes, 4):
        ops.append(f"{at},write-leader,0,0,{min(4, writes - k)}")
        at += 20
    for t in range(5_000, at, 10_000):
        ops += [f"{t},crash,{1 + t // 10_000 % 3}", f"{t + 3_000},restart,{1 + t // 10_000 % 3}"]
    ops.sort(key=lambda text: int(text.split(",")[0]))
    return Schedule(7, 3, 0, tuple(parse_op(op) for op in ops), 500, 1, 1)


def check_schedule(schedule: Schedule) -> None:
    """``ValueError`` for an operation naming a server outside the cluster."""
    n = schedule.voters + schedule.observers
    for op in schedule.ops:
        named = [op.a] if not op.kind.endswith("-leader") and op.kind != "heal-all" else []
        if op.kind in ("cut", "freeze", "heal", "slow"):
            named.append(op.b)
        for sid in named:
            if not 1 <= sid <= n:
                raise ValueError(f"operation {op}: no server {sid} (servers are 1..{n})")


@dataclass
class Recorded:
    """A recorded run: where its trace is, how many events, and what went wrong, if anything
    (with a bug switch on, a property of ZAB may break: the run stops there)."""

    path: Path
    events: int
    outcome: Outcome | None
    violation: str | None


def record_schedule(
    schedule: Schedule,
    out: Path,
    *,
    switches: Iterable[str] = NONE,
    settle_ms: int = 60_000,
    run: str | None = None,
) -> Recorded:
    """Run ``schedule`` in the simulator, recording every step to ``out``."""
    switches = check_switches(frozenset(switches))
    check_schedule(schedule)
    head = header(
        schedule.cluster,
        source="simulator",
        run=run or f"sim-{schedule.seed}",
        seed=schedule.seed,
        mutations=tuple(switches),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    trace = TraceFile(out, head)
    outcome, violation = None, None
    try:
        outcome = run_schedule(schedule, settle_ms=settle_ms, trace=trace, switches=switches)
    except Violation as exc:
        violation = str(exc).splitlines()[0]
    finally:
        trace.close()
    return Recorded(out, trace.seq, outcome, violation)
