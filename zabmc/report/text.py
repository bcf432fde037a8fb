"""Plain-text rendering for the terminal: counts, and counterexamples step by step."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from zabmc.engine import CheckResult, Discovery, Model
from zabmc.report.diff import changed_fields
from zabmc.report.summary import broken_by, facts, title


def value_text(value: Any) -> str:
    """A rendered value, compactly."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def step_lines(steps: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """A numbered list of (label, rendered state) steps: the label, then what changed."""
    lines = []
    previous: Mapping[str, Any] | None = None
    for number, (label, rendered) in enumerate(steps):
        lines.append(f"{number:>3}. {label}")
        if previous is not None:
            for path, old, new in changed_fields(previous, rendered):
                lines.append(f"       {path}: {value_text(old)} -> {value_text(new)}")
        previous = rendered
    return lines


def discovery_lines(model: Model, discovery: Discovery) -> list[str]:
    """A numbered list of steps: the action, then only the variables it changed."""
    return step_lines(
        [
            (
                "initial state" if s.action is None else model.format_action(s.action),
                model.format_state(s.state),
            )
            for s in discovery.steps
        ]
    )


def document_text(doc: Mapping[str, Any]) -> str:
    """A counterexample document for the terminal: facts, steps, then the explanation."""
    width = max(len(name) for name, _ in facts(doc))
    lines = [title(doc), ""]
    lines += [f"  {name:<{width}}  {value}" for name, value in facts(doc)]
    lines.append("")
    lines += step_lines([(s["label"], s["state"]) for s in doc["steps"]])
    lines += ["", broken_by(doc), doc["explanation"]]
    return "\n".join(lines) + "\n"


def summary_lines(result: CheckResult) -> list[str]:
    """The counts and per-action statistics of a finished search."""
    depth_note = "complete" if result.complete else "incomplete"
    rate = result.states_generated / result.elapsed_s if result.elapsed_s > 0 else 0.0
    lines = [
        f"  distinct states   {result.distinct_states:,}",
        f"  states generated  {result.states_generated:,}",
        f"  depth             {result.max_depth} ({depth_note})",
        f"  time              {result.elapsed_s:.2f} s ({rate:,.0f} states/s)",
        "  states per depth  " + " ".join(str(n) for n in result.states_per_depth),
    ]
    if result.reduction is not None:
        r = result.reduction
        persistent = r.get("persistent_steps")
        if persistent is not None:
            closed = persistent.get("goal_closed", 0)
            lines.append(
                f"  reduction         {persistent['states_expanded_by_one_step']:,} states "
                "expanded by their persistent step alone, which counts no level of depth"
                + (
                    f" ({closed:,} by a step a property reads, which cannot take a state "
                    "out of that property's goal)"
                    if closed
                    else ""
                )
                + (
                    f"; {persistent['counted_depth']:,} of them by a step that counts one"
                    if persistent.get("counted_depth")
                    else ""
                )
                + (
                    f"; {persistent['free_steps']:,} other steps the spec counts no level for"
                    if persistent.get("free_steps")
                    else ""
                )
            )
        if "chains" in r:
            lines.append(
                f"  chains            {r['chains']:,} chained steps, "
                f"{r['intermediate_states_skipped']:,} intermediate states not stored; "
                "a chain counts as one level of depth"
            )
    if result.store_bytes:
        lines += [
            f"  seen set          {result.store_bytes:,} bytes, "
            f"{result.bytes_per_state:.1f} bytes a state",
            f"  fingerprint collision chance  {result.collision_probability:.1e} (optimistic), "
            f"{result.observed_collision_probability:.1e} (from the fingerprints)",
        ]
    lines += ["  actions (generated / new states):"]
    width = max((len(n) for n in result.actions), default=0)
    for name, stats in sorted(result.actions.items()):
        lines.append(f"    {name:<{width}}  {stats.generated:>10,} / {stats.distinct:,}")
    return lines
