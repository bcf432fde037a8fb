"""What the reduction tests of both specs ask of a reduced search's result."""

from __future__ import annotations

from collections.abc import Hashable

from zabmc.engine import CheckResult, Discovery, Model


def replays(model: Model, discovery: Discovery) -> bool:
    """Every step of the path is one of the unreduced model's own transitions."""
    first, *rest = discovery.steps
    if first.action is not None or first.state not in model.init_states():
        return False
    state: Hashable = first.state
    for step in rest:
        if (step.action, step.state) not in list(model.successors(state)):
            return False
        state = step.state
    return True


def verdict(result: CheckResult) -> tuple[str, str | None] | None:
    """What a search concluded: the kind and property of its violation, or None."""
    v = result.violation
    return None if v is None else (v.kind, v.property)
