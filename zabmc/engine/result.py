"""What a search reports: counts, statistics and discoveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zabmc.engine.model import Action


@dataclass(frozen=True)
class Step:
    """One step of a path: the action taken (None for an initial state), the state after it."""

    action: Action | None
    state: Any


@dataclass(frozen=True)
class Discovery:
    """A path to a state of interest.

    ``kind`` is ``"invariant"`` (the last state breaks ``property``),
    ``"deadlock"`` (the last state has no successor) or ``"example"`` (the
    last state witnesses a ``sometimes`` property).
    """

    kind: str
    property: str | None
    steps: tuple[Step, ...]
    explanation: str = ""

    @property
    def length(self) -> int:
        """The number of actions on the path."""
        return len(self.steps) - 1


@dataclass
class ActionStats:
    """How often an action fired, and how many new states it found."""

    generated: int = 0
    distinct: int = 0


@dataclass
class Progress:
    """A snapshot of a running search, for progress lines."""

    depth: int
    generated: int
    distinct: int
    queue: int
    elapsed_s: float

    @property
    def rate(self) -> float:
        """States generated per second so far."""
        return self.generated / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class CheckResult:
    """The outcome of a search.

    ``max_depth`` counts actions: the initial states are at depth 0. (TLC
    counts the initial states as level 1, so its "depth" is this plus one.)
    ``complete`` is false when the depth bound cut the search, or when it
    stopped at a violation.
    """

    distinct_states: int = 0
    states_generated: int = 0
    max_depth: int = 0
    complete: bool = False
    elapsed_s: float = 0.0
    states_per_depth: list[int] = field(default_factory=list)
    actions: dict[str, ActionStats] = field(default_factory=dict)
    violation: Discovery | None = None
    examples: dict[str, Discovery | None] = field(default_factory=dict)
    symmetry: bool = False
    #: What a reducing expander did (None: every successor was explored), as plain JSON.
    reduction: dict[str, Any] | None = None
    #: Bytes the seen set held at the end (0: not measured, e.g. a dict-based search).
    store_bytes: int = 0
    #: The smallest difference between two fingerprints kept (None: not measured).
    smallest_gap: int | None = None
    #: A partitioned search's candidates whose fingerprint the partition that found them
    #: owns, and those sent to another's seen set (None: not partitioned). Since a resume,
    #: when resumed.
    traffic: tuple[int, int] | None = None
    #: Of the candidates sent to another partition, those not sent since the partition
    #: that found them had sent them in an earlier round (their owners held them already).
    moves_skipped: int = 0
    #: Frontier states a partition gave another to even the load (a new state stays with
    #: the partition that found it).
    states_given: int = 0

    @property
    def bytes_per_state(self) -> float:
        """The seen set's bytes per distinct state (0 when not measured)."""
        return self.store_bytes / self.distinct_states if self.distinct_states else 0.0

    @property
    def observed_collision_probability(self) -> float:
        """TLC's estimate from the fingerprints themselves: 1 / the smallest gap (0: unknown)."""
        return 1.0 / self.smallest_gap if self.smallest_gap else 0.0

    @property
    def ok(self) -> bool:
        """True when no invariant was broken and no deadlock found."""
        return self.violation is None

    @property
    def collision_probability(self) -> float:
        """An optimistic estimate of the chance that two distinct states shared a fingerprint.

        Fingerprints are 64-bit; with ``n`` distinct states and ``g``
        generated, the estimate is ``n * (g - n) / 2**64`` (TLC's formula).
        """
        n, g = self.distinct_states, self.states_generated
        return n * max(g - n, 0) / 2.0**64

    def to_json(self) -> dict[str, Any]:
        """The counts and statistics as plain JSON values (no discoveries)."""
        return {
            "distinct_states": self.distinct_states,
            "states_generated": self.states_generated,
            "max_depth": self.max_depth,
            "complete": self.complete,
            "elapsed_s": round(self.elapsed_s, 3),
            "states_per_depth": list(self.states_per_depth),
            "actions": {
                name: {"generated": s.generated, "distinct": s.distinct}
                for name, s in sorted(self.actions.items())
            },
            "symmetry": self.symmetry,
            "reduction": self.reduction,
            "collision_probability": self.collision_probability,
            **(
                {
                    "bytes_per_state": round(self.bytes_per_state, 2),
                    "observed_collision_probability": self.observed_collision_probability,
                }
                if self.store_bytes
                else {}
            ),
        }
