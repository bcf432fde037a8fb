"""Plain-text rendering for the terminal: counts, and counterexamples step by step."""

from __future__ import annotations

import json
from typing import Any

from zabmc.engine import CheckResult, Discovery, Model
from zabmc.report.diff import changed_fields


def value_text(value: Any) -> str:
    """A rendered value, compactly."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def discovery_lines(model: Model, discovery: Discovery) -> list[str]:
    """A numbered list of steps: the action, then only the variables it changed."""
    lines = []
    previous: dict[str, Any] | None = None
    for number, step in enumerate(discovery.steps):
        rendered = model.format_state(step.state)
        if step.action is None:
            lines.append(f"{number:>3}. initial state")
        else:
            lines.append(f"{number:>3}. {model.format_action(step.action)}")
        if previous is not None:
            for path, old, new in changed_fields(previous, rendered):
                lines.append(f"       {path}: {value_text(old)} -> {value_text(new)}")
        previous = rendered
    return lines


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
        "  actions (generated / new states):",
    ]
    width = max((len(n) for n in result.actions), default=0)
    for name, stats in sorted(result.actions.items()):
        lines.append(f"    {name:<{width}}  {stats.generated:>10,} / {stats.distinct:,}")
    return lines
