"""``zabmc lincheck``: is a recorded client history one that ZooKeeper's guarantees allow?"""

from __future__ import annotations

from pathlib import Path

import click

from zabmc.cli.errors import InputError
from zabmc.lincheck.check import DEFAULT_BUDGET, check
from zabmc.lincheck.history import HistoryError, read_history
from zabmc.lincheck.render import verdict_html, verdict_text

EXIT = {"linearizable": 0, "violation": 1, "unknown": 3}


@click.command(name="lincheck")
@click.argument("history", metavar="HISTORY.jsonl")
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=DEFAULT_BUDGET,
    show_default=True,
    help="configurations each search may expand before the answer is unknown",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="wall-clock limit for the whole check (then unknown); without it, "
    "the verdict depends on --budget only",
)
@click.option(
    "--html",
    "html_out",
    default=None,
    metavar="FILE",
    help="also write the verdict as an HTML page (a timeline of the failing sub-history)",
)
def lincheck_command(history: str, budget: int, timeout: float | None, html_out: str | None) -> int:
    """Check a client history against ZooKeeper's guarantees: writes linearizable, each
    session in order, reads sequentially consistent and linearizable after sync.

    HISTORY.jsonl is the format of zabmc/lincheck/history.py (what the fault-run harness
    records). Prints the verdict; on a violation, the smallest failing sub-history found.
    Exit code 0 linearizable, 1 violation, 2 unreadable input, 3 unknown (the search ran out
    of its budget: no verdict either way).
    """
    try:
        h = read_history(history)
    except HistoryError as exc:
        raise InputError(str(exc)) from None
    verdict = check(h, budget=budget, timeout=timeout)
    click.echo(verdict_text(verdict, h))
    if html_out is not None:
        try:
            Path(html_out).write_text(verdict_html(verdict, h), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {html_out}: {exc.strerror or exc}") from None
    return EXIT[verdict.outcome]
