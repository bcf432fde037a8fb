"""``zabmc check``: breadth-first search of every state of a small cluster."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from zabmc.cli.errors import InputError
from zabmc.cli.options import (
    build_model,
    check_invariant_names,
    chosen_format,
    resolve_bounds,
    spec_info,
    split_options,
    with_report_options,
    with_spec_options,
    write_report,
)
from zabmc.engine import CheckOptions, CheckResult, Discovery, Model, Progress, check_bfs
from zabmc.report.counterexample import build_document
from zabmc.report.text import discovery_lines, summary_lines


def progress_printer(enabled: bool) -> Callable[[Progress], None] | None:
    if not enabled:
        return None

    def report(p: Progress) -> None:
        click.echo(
            f"progress: depth {p.depth}, {p.generated:,} generated, {p.distinct:,} distinct, "
            f"{p.queue:,} queued, {p.rate:,.0f} states/s",
            err=True,
        )

    return report


def violation_json(model: Model, result: CheckResult) -> dict[str, Any] | None:
    v = result.violation
    if v is None:
        return None
    return {
        "kind": v.kind,
        "invariant": v.property,
        "explanation": v.explanation,
        "length": v.length,
        "steps": [
            {
                "action": None if s.action is None else s.action.name,
                "args": [] if s.action is None else list(s.action.args),
                "label": "initial state" if s.action is None else model.format_action(s.action),
                "state": model.format_state(s.state),
            }
            for s in v.steps
        ],
    }


@click.command()
@with_spec_options
@click.option(
    "--depth",
    type=int,
    default=None,
    metavar="D",
    help="explore at most D steps from the initial states [default: no bound]",
)
@click.option(
    "--symmetry/--no-symmetry",
    default=False,
    help="count states up to a permutation of server ids (orbits)",
)
@click.option("--no-deadlock", is_flag=True, help="do not report states with no successor")
@with_report_options
@click.option("--json", "as_json", is_flag=True, help="print one JSON object on stdout")
@click.option(
    "--progress/--no-progress",
    default=True,
    help="print a progress line about once a second on stderr",
)
def check(
    spec_name: str,
    depth: int | None,
    symmetry: bool,
    invariants: tuple[str, ...],
    bug: str | None,
    no_deadlock: bool,
    report_path: str | None,
    report_format: str | None,
    as_json: bool,
    progress: bool,
    **given: Any,
) -> int:
    """Explore every reachable state breadth-first and check the invariants.

    Exit code 0 when every invariant held, 1 on a violation or deadlock.
    With --report FILE the counterexample is written to FILE, in the format
    its extension names (.json, .txt, .md, .html) or --report-format gives.
    """
    info = spec_info(spec_name)
    if depth is not None and depth < 0:
        raise InputError(f"--depth must not be negative, got {depth}")
    fmt = chosen_format(report_path, report_format)
    options = split_options(given)
    bounds = resolve_bounds(info, given)
    if symmetry and not info.symmetric:
        raise InputError(
            f"--symmetry is refused for spec {info.name!r}: {info.asymmetry_reason}, "
            "so merging permuted states would be unsound"
        )
    model = build_model(info, bounds, bug, options)
    check_options = CheckOptions(
        max_depth=depth,
        invariants=check_invariant_names(model, invariants),
        check_deadlock=not no_deadlock,
        symmetry=symmetry,
        progress=progress_printer(progress and not as_json),
    )
    setting = ", ".join(f"{b.flag.lstrip('-')} {bounds[b.name]}" for b in info.bounds)
    if not as_json:
        click.echo(
            f"zabmc check: spec {info.name}{f' (bug {bug})' if bug else ''}, {setting}, "
            f"depth {'unbounded' if depth is None else f'<= {depth}'}, "
            f"symmetry {'on' if symmetry else 'off'}, "
            f"deadlock check {'off' if no_deadlock else 'on'}"
        )
    result = check_bfs(model, check_options)
    trace = None
    if result.violation is not None and report_path is not None and fmt is not None:
        doc = build_document(
            model,
            result.violation,
            spec=info.name,
            bug=bug,
            bounds=bounds,
            options=options,
            search={
                "strategy": "bfs",
                "depth": depth,
                "symmetry": symmetry,
                "deadlock_check": not no_deadlock,
            },
        )
        write_report(doc, report_path, fmt)
        trace = doc["trace_id"]
    if as_json:
        payload = {
            "spec": info.name,
            "bug": bug,
            "params": {
                **bounds,
                "depth": depth,
                "symmetry": symmetry,
                "deadlock": not no_deadlock,
                **options,
            },
            **result.to_json(),
            "examples": {name: d is not None for name, d in result.examples.items()},
            "violation": violation_json(model, result),
            "report": report_path if trace else None,
            "trace_id": trace,
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_result(model, result, depth)
        report_written(report_path, trace)
    return 0 if result.ok else 1


def report_written(path: str | None, trace: str | None) -> None:
    """Say where the report went, or why there is none."""
    if path is None:
        return
    if trace is None:
        click.echo(f"No counterexample, so no report was written to {path}.", err=True)
    else:
        click.echo(f"Report written to {path} (trace id {trace}).")


def print_result(model: Model, result: CheckResult, depth: int | None) -> None:
    v = result.violation
    if v is None:
        if result.complete:
            click.echo("No violation: every reachable state was checked.")
        else:
            click.echo(f"No violation within depth {depth} (the depth bound cut the search).")
    elif v.kind == "deadlock":
        click.echo(f"Deadlock: a state with no successor, {v.length} steps from an initial state.")
    else:
        click.echo(f"Invariant {v.property} is violated, {v.length} steps from an initial state.")
    for line in summary_lines(result):
        click.echo(line)
    for name, example in result.examples.items():
        where = "never reached" if example is None else f"first reached at depth {example.length}"
        click.echo(f"  witness {name}: {where}")
    if v is not None:
        click.echo("")
        click.echo(
            "Counterexample (shortest):" if v.kind == "invariant" else "Path to the deadlock:"
        )
        print_counterexample(model, v)


def print_counterexample(model: Model, v: Discovery) -> None:
    """The numbered steps, then the explanation."""
    for line in discovery_lines(model, v):
        click.echo(line)
    if v.explanation:
        click.echo("")
        click.echo(v.explanation)
    elif v.kind == "deadlock":
        click.echo("")
        click.echo(
            "No action is enabled here. When the bounds (--max-...) are what stops "
            "every action, pass --no-deadlock to accept such final states."
        )
