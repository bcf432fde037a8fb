"""``zabmc replay``: check recorded runs of the implementation against the spec."""

from __future__ import annotations

import json
import os
import sys

import click

from zabmc.cli.errors import InputError
from zabmc.replay.check import replay_runs
from zabmc.replay.merge import plan
from zabmc.replay.render import divergence_text
from zabmc.replay.trace import TraceError


@click.command(name="replay")
@click.argument("traces", nargs=-1, required=True, metavar="TRACE...")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per run, one per line")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="processes that replay runs side by side (0: one per CPU)",
)
def replay_command(traces: tuple[str, ...], as_json: bool, jobs: int) -> int:
    """Prove each recorded run is a behaviour of the system-level spec.

    Each TRACE is a trace file, or a directory of them. Simulator traces are one run per
    file; the per-process files of one run (same "run" id) are merged by Lamport clock.
    Prints "conforms (N events)" or "diverges at event K (file:line)" per run, and for a
    divergence what differed. Exit code 0 when every run conforms, 1 when one diverges,
    2 when a trace cannot be read (the other runs are still replayed).
    """
    try:
        runs = plan(list(traces))
    except TraceError as exc:
        raise InputError(str(exc)) from None
    diverged = unreadable = False
    for verdict in replay_runs(runs, jobs or os.cpu_count() or 1):
        if isinstance(verdict, TraceError):
            click.echo(f"zabmc: error: {verdict}", err=True)
            unreadable = True
            continue
        diverged |= not verdict.conforms
        if as_json:
            sys.stdout.write(json.dumps(verdict.to_json()) + "\n")
        else:
            click.echo(verdict.line())
            if verdict.divergence is not None:
                click.echo(divergence_text(verdict.divergence))
    return 2 if unreadable else 1 if diverged else 0
