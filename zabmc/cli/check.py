"""``zabmc check``: breadth-first search of every state of a small cluster."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

import click

from zabmc.cli.errors import InputError
from zabmc.engine import CheckOptions, CheckResult, Model, Progress, UnknownProperty, check_bfs
from zabmc.engine.bfs import select_properties
from zabmc.engine.catalog import Bound, SpecInfo
from zabmc.report.text import discovery_lines, summary_lines
from zabmc.specs import DEFAULT_SPEC, SPECS


def _all_bounds() -> list[Bound]:
    """Every bound of every spec, once per flag: each becomes an option of ``check``."""
    seen: dict[str, Bound] = {}
    for info in SPECS.values():
        for b in info.bounds:
            seen.setdefault(b.flag, b)
    return list(seen.values())


def _all_options() -> dict[str, str]:
    options: dict[str, str] = {}
    for info in SPECS.values():
        options.update(info.options)
    return options


def with_bound_options(fn: Callable) -> Callable:
    """Add one ``--flag N`` per bound; None means "the spec's default"."""
    for b in reversed(_all_bounds()):
        fn = click.option(
            b.flag,
            b.name,
            type=int,
            default=None,
            metavar="N",
            help=f"{b.help} [default: per spec]",
        )(fn)
    for option, doc in _all_options().items():
        fn = click.option(f"--{option.replace('_', '-')}", option, is_flag=True, help=doc)(fn)
    return fn


def resolve_bounds(info: SpecInfo, given: Mapping[str, int | None]) -> dict[str, int]:
    """The spec's defaults overridden by the flags given; flags of other specs are refused."""
    names = {b.name for b in info.bounds}
    for b in _all_bounds():
        if given.get(b.name) is not None and b.name not in names:
            raise InputError(f"{b.flag} does not apply to spec {info.name!r}")
    bounds = {}
    for b in info.bounds:
        value = given.get(b.name)
        value = b.default if value is None else value
        if value < b.minimum:
            raise InputError(f"{b.flag} must be at least {b.minimum}, got {value}")
        bounds[b.name] = value
    return bounds


def build_model(
    info: SpecInfo, bounds: Mapping[str, int], bug: str | None, options: Mapping[str, Any]
) -> Model:
    """The spec's model, with its own complaints turned into input errors."""
    if bug is not None and bug not in info.bugs:
        raise InputError(
            f"unknown bug {bug!r} for spec {info.name!r}; choose from: {', '.join(info.bugs)}"
        )
    for option, value in options.items():
        if value and option not in info.options:
            raise InputError(f"--{option.replace('_', '-')} does not apply to spec {info.name!r}")
    try:
        return info.build(bounds, bug, options)
    except ValueError as exc:
        raise InputError(str(exc)) from None


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
@click.option(
    "--spec",
    "spec_name",
    default=DEFAULT_SPEC,
    show_default=True,
    help=f"which spec to check: {', '.join(SPECS)}",
)
@click.option(
    "--depth",
    type=int,
    default=None,
    metavar="D",
    help="explore at most D steps from the initial states [default: no bound]",
)
@with_bound_options
@click.option(
    "--symmetry/--no-symmetry",
    default=False,
    help="count states up to a permutation of server ids (orbits)",
)
@click.option(
    "--invariant",
    "invariants",
    multiple=True,
    metavar="NAME",
    help="check only this invariant (repeatable) [default: all]",
)
@click.option("--bug", default=None, metavar="NAME", help="check a known-bug variant of the spec")
@click.option("--no-deadlock", is_flag=True, help="do not report states with no successor")
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
    as_json: bool,
    progress: bool,
    **given: Any,
) -> int:
    """Explore every reachable state breadth-first and check the invariants.

    Exit code 0 when every invariant held, 1 on a violation or deadlock.
    """
    info = SPECS.get(spec_name)
    if info is None:
        raise InputError(f"unknown spec {spec_name!r}; choose from: {', '.join(SPECS)}")
    if depth is not None and depth < 0:
        raise InputError(f"--depth must not be negative, got {depth}")
    options = {k: given.pop(k) for k in list(given) if k in _all_options()}
    bounds = resolve_bounds(info, given)
    if symmetry and not info.symmetric:
        raise InputError(
            f"--symmetry is refused for spec {info.name!r}: {info.asymmetry_reason}, "
            "so merging permuted states would be unsound"
        )
    model = build_model(info, bounds, bug, options)
    try:
        select_properties(model, list(invariants) or None)
    except UnknownProperty as exc:
        raise InputError(str(exc)) from None
    check_options = CheckOptions(
        max_depth=depth,
        invariants=list(invariants) or None,
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
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_result(model, result, depth)
    return 0 if result.ok else 1


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
