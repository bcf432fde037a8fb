"""``zabmc drive``: run a spec counterexample through the implementation's simulator."""

from __future__ import annotations

import json

import click

from zabmc.cli.errors import InputError
from zabmc.cli.report import read_verified
from zabmc.drive.run import drive
from zabmc.replay.render import divergence_text
from zabmc.report.counterexample import CounterexampleError


@click.command(name="drive")
@click.argument("counterexample", metavar="CEX.json")
@click.option(
    "--fixed",
    is_flag=True,
    help="run impl as released, without the switch of the counterexample's bug variant",
)
@click.option("--json", "as_json", is_flag=True, help="the verdict as one JSON object")
def drive_command(counterexample: str, fixed: bool, as_json: bool) -> int:
    """Drive impl's deterministic simulator along a system-spec counterexample.

    Each step of CEX.json (written by `zabmc check --report`) becomes the simulator's
    scheduling choice: the message delivered, the server that crashes or restarts, the
    timeout that fires, the client request, the partition. After each step impl's state
    is compared with the counterexample's, as `zabmc replay` compares. impl runs with the
    bug switch of the counterexample's variant (--fixed: without it). Exit code 0 when
    impl followed every step (reproducing the violation), 1 when it departs (the report
    names the step and the difference), 2 when the file is not a counterexample that can
    be driven.
    """
    doc, model, path = read_verified(counterexample)
    try:
        verdict = drive(doc, model, path, counterexample, fixed=fixed)
    except CounterexampleError as exc:
        raise InputError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(verdict.to_json()))
    else:
        click.echo(verdict.line())
        if verdict.departure is not None:
            click.echo(divergence_text(verdict.departure))
    return 0 if verdict.followed_all else 1
