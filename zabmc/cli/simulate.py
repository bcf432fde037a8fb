"""``zabmc simulate``: seeded random walks, deeper than breadth-first search goes."""

from __future__ import annotations

import json
import random
import sys
from typing import Any

import click

from zabmc.cli.catalog import SpecInfo
from zabmc.cli.check import print_counterexample
from zabmc.cli.errors import InputError
from zabmc.cli.options import (
    progress_printer,
    report_written,
    setup,
    with_output_options,
    with_spec_options,
)
from zabmc.cli.properties import apply_properties, with_property_options
from zabmc.engine.checker import Checker
from zabmc.engine.simulate import SimulationProgress, SimulationResult


def progress_line(p: SimulationProgress) -> str:
    return (
        f"{p.runs:,} walks, {p.steps:,} steps, {p.distinct:,} distinct states, "
        f"{p.rate:,.0f} steps/s"
    )


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
@with_output_options
@with_property_options
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
    property_files: tuple[str, ...],
    invariant_exprs: tuple[str, ...],
    **given: Any,
) -> int:
    """Take random walks through the spec, checking the invariants in every state.

    The same seed gives the same walks. A violation is shrunk to a shorter
    path that breaks the same invariant. Exit code 0 when no walk broke an
    invariant, 1 when one did.
    """
    for flag, value in (("--runs", runs), ("--steps", steps)):
        if value < 1:
            raise InputError(f"{flag} must be at least 1, got {value}")
    spec = setup(spec_name, given, bug, invariants, report_path, report_format)
    spec = apply_properties(spec, property_files, invariant_exprs)
    info, model = spec.info, spec.model
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    checker = Checker(model).invariants(spec.invariants)
    printer = progress_printer(progress and not as_json, progress_line)
    if printer is not None:
        checker = checker.progress(printer)
    if not as_json:
        click.echo(
            f"zabmc simulate: {spec.describe()}, {runs} walks of up to {steps} steps, seed {seed}"
        )
    result = checker.spawn_simulation(runs=runs, steps=steps, seed=seed, shrink=not no_shrink)
    doc = None
    if result.violation is not None:
        search = {
            "strategy": "simulate",
            "runs": runs,
            "steps": steps,
            "found_in_run": result.found_in_run,
            "original_length": result.original_length,
            "shrunk": not no_shrink,
        }
        doc = spec.counterexample(result.violation, search, seed)
    if as_json:
        payload = {
            "spec": info.name,
            "bug": bug,
            "params": {**spec.bounds, **spec.options, "runs": runs, "steps": steps},
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
