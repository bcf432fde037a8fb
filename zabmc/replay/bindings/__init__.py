"""How a trace's events map onto a spec: one module per spec level.

A binding turns a trace header into a model and its first state, and takes one recorded
event at a time: it finds the spec's step with that name and those arguments, checks that
it is enabled and that it takes the recorded message, applies it, and compares the recorded
state with the model's. :class:`Mismatch` says what differed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldDiff:
    """One field of a server's observable state, as recorded and as the spec has it."""

    name: str
    recorded: str
    expected: str


@dataclass(frozen=True)
class Mismatch:
    """Why a recorded event is not a step of the spec from the current state.

    ``kind`` is ``"disabled"`` (no such step is enabled: ``guard`` names the condition that
    fails), ``"message"`` (the step takes another message than the one recorded),
    ``"breach"`` (the step fails a check the spec makes inside it), or ``"state"`` (the step
    leaves the server in another state than the one recorded: ``fields``).
    """

    kind: str
    summary: str
    guard: str | None = None
    fields: tuple[FieldDiff, ...] = field(default_factory=tuple)
