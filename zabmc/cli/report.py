"""``zabmc report``: check a JSON counterexample against its spec, then render it."""

from __future__ import annotations

from pathlib import Path

import click

from zabmc.cli.errors import InputError
from zabmc.cli.options import write_report
from zabmc.cli.specs import SPECS
from zabmc.engine import Model, Step
from zabmc.report.counterexample import CounterexampleError, parse, verified_path
from zabmc.report.formats import RENDERERS, render


def read_counterexample(path: str) -> dict:
    """The document in ``path``, replayed step by step against its spec."""
    return read_verified(path)[0]


def read_verified(path: str) -> tuple[dict, Model, list[Step]]:
    """The document in ``path``, its model, and the spec's path it replayed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: byte {exc.start}: not UTF-8 text") from None
    try:
        doc = parse(text, path)
        model, steps = verified_path(doc, path, SPECS)
    except CounterexampleError as exc:
        raise InputError(str(exc)) from None
    return doc, model, steps


@click.command()
@click.argument("counterexample", metavar="CEX.json")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="text for the terminal, md for a pull request, html for a browser, json as is",
)
@click.option(
    "-o", "--output", default=None, metavar="FILE", help="write to FILE instead of stdout"
)
def report(counterexample: str, fmt: str, output: str | None) -> int:
    """Check a JSON counterexample against its spec and render it.

    Every step must be a legal transition of the spec, with the recorded
    state; a file that is malformed or has been edited is refused with an
    error naming the step (exit code 2).
    """
    doc = read_counterexample(counterexample)
    if output is None:
        click.echo(render(doc, fmt), nl=False)
    else:
        write_report(doc, output, fmt)
    return 0
