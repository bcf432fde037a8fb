"""``zabmc check``: breadth-first search of every state of a small cluster."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from zabmc import compiled
from zabmc.cli.errors import InputError
from zabmc.cli.options import (
    progress_printer,
    report_written,
    setup,
    with_output_options,
    with_spec_options,
)
from zabmc.cli.properties import apply_properties, with_property_options
from zabmc.engine import CheckResult, Discovery, Model, Progress
from zabmc.engine.checker import Checker
from zabmc.engine.checkpoint import CheckpointError
from zabmc.engine.encoding import EncodingError
from zabmc.engine.expansion import Expander
from zabmc.engine.parallel import HANDOVER_STATES, BackendUnavailable, ScaleOptions
from zabmc.report.text import discovery_lines, summary_lines


def available_cores() -> int:
    """The cores this process may run on (its affinity mask, which a container or
    ``taskset`` narrows; ``os.cpu_count`` counts the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def progress_line(p: Progress) -> str:
    return (
        f"depth {p.depth}, {p.generated:,} generated, {p.distinct:,} distinct, "
        f"{p.queue:,} queued, {p.rate:,.0f} states/s"
    )


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from ``512M``, ``2G``, ``1.5g`` or a plain number of bytes."""
    match = _SIZE.match(text)
    if match is None:
        raise InputError(f"--memory takes a size such as 512M or 2G, got {text!r}")
    scale = 1024 ** "bkmgt".index((match.group(2) or "b").lower())
    return int(float(match.group(1)) * scale)


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
@click.option(
    "--reduction/--no-reduction",
    default=True,
    help="partial-order reduction: where the spec names a step that commutes with, or is "
    "overwritten by, every other step (a persistent set), take it alone, as part of the "
    "step before it (no level of depth, unless the spec counts one)  [default: on]",
)
@click.option(
    "--chains/--no-chains",
    default=False,
    help="with --reduction, also take a server's invisible right movers together with its "
    "next step, as one step and one level of depth (Lipton): fewer states stored, more "
    "time  [default: off]",
)
@click.option(
    "-j",
    "--jobs",
    type=int,
    default=None,
    metavar="N",
    help="search on N cores: partitions of the fingerprint space, resumable, with a bounded "
    "seen set [default: every core, in this process until a level holds "
    f"{HANDOVER_STATES:,} states; -j 0: every core from the start]",
)
@click.option(
    "--memory",
    default=None,
    metavar="SIZE",
    help="hold at most SIZE (e.g. 2G) of frontier states in memory; the rest spills to disk",
)
@click.option(
    "--checkpoint",
    "checkpoint_dir",
    default=None,
    metavar="DIR",
    help="write a checkpoint to DIR every --checkpoint-every seconds, at a level's end",
)
@click.option(
    "--checkpoint-every",
    type=float,
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="how often to checkpoint (0: at every level's end)",
)
@click.option(
    "--resume",
    "resume_dir",
    default=None,
    metavar="DIR",
    help="continue the search checkpointed in DIR (give the same spec options)",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="where the partitions run: this machine's processes, or Ray actors",
)
@click.option(
    "--address",
    default=None,
    metavar="ADDR",
    help="with --backend ray: the cluster to join ('auto': the one `ray start` made here)",
)
@with_output_options
@with_property_options
def check(
    spec_name: str,
    depth: int | None,
    symmetry: bool,
    invariants: tuple[str, ...],
    bug: str | None,
    no_deadlock: bool,
    reduction: bool,
    chains: bool,
    jobs: int | None,
    memory: str | None,
    checkpoint_dir: str | None,
    checkpoint_every: float,
    resume_dir: str | None,
    backend: str,
    address: str | None,
    report_path: str | None,
    report_format: str | None,
    as_json: bool,
    progress: bool,
    property_files: tuple[str, ...],
    invariant_exprs: tuple[str, ...],
    **given: Any,
) -> int:
    """Explore every reachable state breadth-first and check the invariants.

    Exit code 0 when every invariant held, 1 on a violation or deadlock.
    With --report FILE the counterexample is written to FILE, in the format
    its extension names (.json, .txt, .md, .html) or --report-format gives.
    """
    if depth is not None and depth < 0:
        raise InputError(f"--depth must not be negative, got {depth}")
    if jobs is not None and jobs < 0:
        raise InputError(f"-j/--jobs must not be negative, got {jobs}")
    if checkpoint_every < 0:
        raise InputError(f"--checkpoint-every must not be negative, got {checkpoint_every}")
    if address is not None and backend != "ray":
        raise InputError("--address needs --backend ray")
    memory_bytes = None if memory is None else parse_size(memory)
    if resume_dir is not None and not Path(resume_dir).is_dir():
        raise InputError(f"--resume {resume_dir}: no such directory")
    spec = setup(spec_name, given, bug, invariants, report_path, report_format)
    spec = apply_properties(spec, property_files, invariant_exprs)
    info, model = spec.info, spec.model
    if symmetry and not info.symmetric:
        raise InputError(
            f"--symmetry is refused for spec {info.name!r}: {info.asymmetry_reason}, "
            "so merging permuted states would be unsound"
        )
    checker = (
        Checker(model)
        .invariants(spec.invariants)
        .depth(depth)
        .deadlock(not no_deadlock)
        .symmetry(symmetry)
        .reduction(reduction, chains)
    )
    printer = progress_printer(progress and not as_json, progress_line)
    if printer is not None:
        checker = checker.progress(printer)
    expander = checker.expander()
    signature = {
        "spec": info.name,
        "bug": bug,
        "bounds": spec.bounds,
        "options": spec.options,
        "depth": depth,
        "symmetry": symmetry,
        "deadlock": not no_deadlock,
        "invariants": spec.invariants,
        "reduction": reduction,
        "chains": chains,
    }
    # By default every core, but a small search stays in this process (one partition)
    # until a level holds HANDOVER_STATES states, then forks its partitions: -j 2 spends
    # about 1.3 times the CPU of the one-core search and, on two free cores, takes about
    # 0.65 of its time (bench/scale.py's "paced"); forking and a level's round trips cost
    # more than they save on small levels. On one core, the one-core search.
    cores = available_cores()
    handover = HANDOVER_STATES if jobs is None and cores > 1 else None
    partitioned = (
        jobs is not None
        or handover is not None
        or backend == "ray"
        or any(x is not None for x in (memory, checkpoint_dir, resume_dir))
    )
    if not jobs:  # on a Ray cluster, give -j: its cores are not this machine's
        jobs = cores
    if partitioned:
        checker = checker.partitioned(
            ScaleOptions(
                jobs=jobs,
                backend=backend,
                address=address,
                memory_bytes=memory_bytes,
                checkpoint=None if checkpoint_dir is None else Path(checkpoint_dir),
                checkpoint_every_s=checkpoint_every,
                resume=None if resume_dir is None else Path(resume_dir),
                signature=signature,
                handover=handover,
            )
        )
    if not as_json:
        click.echo(
            f"zabmc check: {spec.describe()}, "
            f"depth {'unbounded' if depth is None else f'<= {depth}'}, "
            f"symmetry {'on' if symmetry else 'off'}, "
            f"deadlock check {'off' if no_deadlock else 'on'}, "
            f"reduction {reduction_note(expander)}"
            + (
                f", {jobs} {'Ray actor' if backend == 'ray' else 'core'}{'s' if jobs > 1 else ''}"
                if partitioned
                else ""
            )
            + (f", resumed from {resume_dir}" if resume_dir else "")
            + f", {compiled.mode().describe()}"
        )
    try:
        result = checker.spawn_bfs()
    except (CheckpointError, EncodingError) as exc:
        raise InputError(str(exc)) from None
    except BackendUnavailable as exc:
        raise InputError(str(exc)) from None
    trace = None
    if result.violation is not None and report_path is not None:
        search = {
            "strategy": "bfs",
            "depth": depth,
            "symmetry": symmetry,
            "deadlock_check": not no_deadlock,
            "reduction": result.reduction is not None,
        }
        trace = spec.counterexample(result.violation, search)["trace_id"]
    if as_json:
        payload = {
            "spec": info.name,
            "bug": bug,
            "params": {
                **spec.bounds,
                "depth": depth,
                "symmetry": symmetry,
                "deadlock": not no_deadlock,
                "reduction": reduction,
                **spec.options,
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


def reduction_note(expander: Expander) -> str:
    """How the header names the reduction: what it is and how depth is counted."""
    describe = getattr(expander, "describe", None)
    if describe is None:
        return "off (every step alone, one level of depth each)"
    chained = "chains" in describe()
    return (
        "on (persistent steps taken alone, no level of depth unless the spec counts one; "
        "steps the spec names free count none"
        + ("; a chain of a server's right movers and its next step is one level" if chained else "")
        + ")"
    )


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
        if example is None:
            where = "never reached"
        elif result.reduction is None:
            where = f"first reached at depth {example.length}"
        else:  # the path is unfolded: its length counts the spec's steps, not chains
            where = f"first reached by a path of {example.length} steps"
        click.echo(f"  witness {name}: {where}")
    if v is not None:
        click.echo("")
        if v.kind != "invariant":
            click.echo("Path to the deadlock:")
        elif result.reduction is None:
            click.echo("Counterexample (shortest):")
        else:  # a reduced search skips orders of steps, and with them some shorter paths
            click.echo("Counterexample (the reduced search's; --no-reduction finds a shortest):")
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
