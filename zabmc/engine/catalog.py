"""How a spec describes itself to a front end: its bounds, variants and options.

The engine does not read this; the command line does, so that a new spec
gets ``zabmc check`` options and a ``zabmc specs`` entry without changes to
the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zabmc.engine.model import Model


@dataclass(frozen=True)
class Bound:
    """A numeric parameter of a spec, and the command-line flag that sets it."""

    name: str  # the keyword the spec's builder takes, e.g. "max_timeouts"
    flag: str  # e.g. "--max-timeouts"
    default: int
    help: str
    minimum: int = 0


@dataclass(frozen=True)
class SpecInfo:
    """A spec as the command line sees it.

    ``build(bounds, bug, options)`` returns the model; ``bounds`` holds every
    bound by name. It raises ``ValueError`` with a one-line message for values
    it cannot take.
    ``symmetric`` says whether server ids are interchangeable; when they
    are not, ``asymmetry_reason`` says why.
    """

    name: str
    summary: str
    bounds: tuple[Bound, ...]
    bugs: Mapping[str, str]
    actions: tuple[str, ...]
    invariants: tuple[tuple[str, str], ...]
    build: Callable[[Mapping[str, int], str | None, Mapping[str, Any]], Model]
    symmetric: bool = False
    asymmetry_reason: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    #: For each bug variant, the smallest bounds (by name) that expose it, and the options
    #: (by name, set to 1) it needs. Bounds not named keep their defaults.
    bug_bounds: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def bound(self, name: str) -> Bound | None:
        return next((b for b in self.bounds if b.name == name), None)
