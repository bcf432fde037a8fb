"""``zabmc replay``: check recorded runs of the implementation against the spec."""

from __future__ import annotations

import json
import sys

import click

from zabmc.cli.errors import InputError
from zabmc.replay.check import replay
from zabmc.replay.merge import load
from zabmc.replay.report import divergence_text
from zabmc.replay.trace import TraceError


@click.command(name="replay")
@click.argument("traces", nargs=-1, required=True, metavar="TRACE...")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per trace, one per line")
def replay_command(traces: tuple[str, ...], as_json: bool) -> int:
    """Prove each recorded run is a behaviour of the system-level spec.

    Each TRACE is a trace file, or a directory of them. Simulator traces are one run per
    file; the per-process files of one run (same "run" id) are merged by Lamport clock.
    Prints "conforms (N events)" or "diverges at event K (file:line)" per run, and for a
    divergence what differed. Exit code 0 when every run conforms, 1 when one diverges,
    2 when a trace cannot be read.
    """
    try:
        runs = load(list(traces))
    except TraceError as exc:
        raise InputError(str(exc)) from None
    diverged = False
    for trace in runs:
        verdict = replay(trace)
        diverged |= not verdict.conforms
        if as_json:
            sys.stdout.write(json.dumps(verdict.to_json()) + "\n")
        else:
            click.echo(verdict.line())
            if verdict.divergence is not None:
                click.echo(divergence_text(verdict.divergence))
    return 1 if diverged else 0
