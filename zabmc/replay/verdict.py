"""The outcome of replaying one trace: it conforms, or where and how it diverges."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from zabmc.replay.bindings import FieldDiff, Mismatch


@dataclass(frozen=True)
class Divergence:
    """The first event the spec does not allow, with what a reader needs to see why."""

    index: int  # 1-based position in the replayed order
    where: str  # file:line
    server: int
    action: str
    args: tuple[int, ...]
    msg: str
    mismatch: Mismatch
    recorded_state: dict[str, str]
    expected_state: dict[str, str]
    enabled: tuple[str, ...]
    previous: tuple[str, ...] = field(default_factory=tuple)  # the events just before, as text

    def to_json(self) -> dict[str, Any]:
        m = self.mismatch
        return {
            "index": self.index,
            "where": self.where,
            "server": self.server,
            "action": self.action,
            "args": list(self.args),
            "msg": self.msg,
            "kind": m.kind,
            "summary": m.summary,
            "guard": m.guard,
            "fields": [asdict(d) for d in m.fields],
            "recorded_state": self.recorded_state,
            "expected_state": self.expected_state,
            "enabled": list(self.enabled),
        }


@dataclass(frozen=True)
class Verdict:
    trace: str
    events: int  # events checked (all of them when it conforms)
    total: int
    seconds: float
    divergence: Divergence | None = None

    @property
    def conforms(self) -> bool:
        return self.divergence is None

    def line(self) -> str:
        """The one-line verdict ``zabmc replay`` prints per trace."""
        if self.divergence is None:
            return f"{self.trace}: conforms ({self.events} events)"
        d = self.divergence
        return f"{self.trace}: diverges at event {d.index} ({d.where}): {d.mismatch.summary}"

    def to_json(self) -> dict[str, Any]:
        return {
            "trace": self.trace,
            "verdict": "conforms" if self.conforms else "diverges",
            "events_checked": self.events,
            "events": self.total,
            "seconds": round(self.seconds, 6),
            "divergence": None if self.divergence is None else self.divergence.to_json(),
        }


__all__ = ["Divergence", "FieldDiff", "Verdict"]
