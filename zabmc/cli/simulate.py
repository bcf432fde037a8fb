"""``zabmc simulate``: seeded random walks, deeper than breadth-first search goes."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from typing import Any

import click

from zabmc.cli.check import print_counterexample, report_written
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
from zabmc.engine.catalog import SpecInfo
from zabmc.engine.simulate import SimulateOptions, SimulationProgress, SimulationResult, simulate
from zabmc.report.counterexample import build_document


def progress_printer(enabled: bool) -> Callable[[SimulationProgress], None] | None:
    if not enabled:
        return None

    def report(p: SimulationProgress) -> None:
        click.echo(
            f"progress: {p.runs:,} walks, {p.steps:,} steps, {p.distinct:,} distinct states, "
            f"{p.rate:,.0f} steps/s",
            err=True,
        )

    return report


@click.command()
@with_spec_options
@click.option("--runs", type=int, default=1000, show_default=True, help="how many walks at most")
@click.option(
    "--steps", type=int, default=100, show_default=True, help="how many actions per walk at most"
)
@click.option(
    "--seed", type=int, default=None, help="the random seed [default: chosen and printed]"
)
@click.option("--no-shrink", is_flag=True, help="report the walk as found, unshrunk")
@with_report_options
@click.option("--json", "as_json", is_flag=True, help="print one JSON object on stdout")
@click.option(
    "--progress/--no-progress",
    default=True,
    help="print a progress line about once a second on stderr",
)
def simulate_command(
    spec_name: str,
    invariants: tuple[str, ...],
    bug: str | None,
    runs: int,
    steps: int,
    seed: int | None,
    no_shrink: bool,
    report_path: str | None,
    report_format: str | None,
    as_json: bool,
    progress: bool,
    **given: Any,
) -> int:
    """Take random walks through the spec, checking the invariants in every state.

    The same seed gives the same walks. A violation is shrunk to a shorter
    path that breaks the same invariant. Exit code 0 when no walk broke an
    invariant, 1 when one did.
    """
    info = spec_info(spec_name)
    for flag, value in (("--runs", runs), ("--steps", steps)):
        if value < 1:
            raise InputError(f"{flag} must be at least 1, got {value}")
    fmt = chosen_format(report_path, report_format)
    options = split_options(given)
    bounds = resolve_bounds(info, given)
    model = build_model(info, bounds, bug, options)
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    sim_options = SimulateOptions(
        runs=runs,
        steps=steps,
        seed=seed,
        invariants=check_invariant_names(model, invariants),
        shrink=not no_shrink,
        progress=progress_printer(progress and not as_json),
    )
    setting = ", ".join(f"{b.flag.lstrip('-')} {bounds[b.name]}" for b in info.bounds)
    if not as_json:
        click.echo(
            f"zabmc simulate: spec {info.name}{f' (bug {bug})' if bug else ''}, {setting}, "
            f"{runs} walks of up to {steps} steps, seed {seed}"
        )
    result = simulate(model, sim_options)
    doc = None
    if result.violation is not None:
        doc = build_document(
            model,
            result.violation,
            spec=info.name,
            bug=bug,
            bounds=bounds,
            options=options,
            search={
                "strategy": "simulate",
                "runs": runs,
                "steps": steps,
                "found_in_run": result.found_in_run,
                "original_length": result.original_length,
                "shrunk": not no_shrink,
            },
            seed=seed,
        )
        if report_path is not None and fmt is not None:
            write_report(doc, report_path, fmt)
    if as_json:
        payload = {
            "spec": info.name,
            "bug": bug,
            "params": {**bounds, **options, "runs": runs, "steps": steps},
            **result.to_json(),
            "report": report_path if doc is not None else None,
            "violation": doc,
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_simulation(info, result, shrunk=not no_shrink)
        if result.violation is not None:
            click.echo("")
            print_counterexample(model, result.violation)
        report_written(report_path, doc["trace_id"] if doc else None)
    return 0 if result.ok else 1


def print_simulation(info: SpecInfo, result: SimulationResult, shrunk: bool) -> None:
    v = result.violation
    if v is None:
        click.echo(f"No violation in {result.runs:,} walks.")
    else:
        if not shrunk:
            how = " (not shrunk)"
        elif v.length != result.original_length:
            how = f"; shrunk to {v.length} steps"
        else:
            how = " (no shorter path found)"
        click.echo(
            f"Invariant {v.property} is violated in walk {result.found_in_run} after "
            f"{result.original_length} steps{how}."
        )
    rate = result.steps / result.elapsed_s if result.elapsed_s > 0 else 0.0
    click.echo(f"  seed              {result.seed}")
    click.echo(f"  walks             {result.runs:,}")
    click.echo(f"  steps             {result.steps:,} ({rate:,.0f} steps/s)")
    click.echo(f"  depth reached     {result.max_depth}")
    click.echo(f"  distinct states   {result.distinct_states:,}")
    click.echo(f"  walks stuck       {result.stuck:,} (ended where no action is enabled)")
    click.echo("  actions fired:")
    width = max((len(n) for n in info.actions), default=0)
    for name in info.actions:
        click.echo(f"    {name:<{width}}  {result.actions.get(name, 0):>10,}")
    never = [name for name in info.actions if not result.actions.get(name)]
    if never:
        click.echo(f"  never fired: {', '.join(never)}")
