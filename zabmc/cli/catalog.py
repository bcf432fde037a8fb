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
class Exposure:
    """How to expose a bug variant with a shortest counterexample.

    ``bounds`` are the smallest bounds found to expose it from the initial
    state (bounds not named keep their defaults); ``options`` are the spec
    options it needs. ``quick`` adds options that reach it sooner, such as a
    later (reachable) starting state, for tests and demonstrations where the
    search from the initial state takes minutes.
    """

    bounds: Mapping[str, int]
    options: Mapping[str, bool] = field(default_factory=dict)
    quick: Mapping[str, bool] = field(default_factory=dict)

    def flags(self, info: SpecInfo, quick: bool = False) -> list[str]:
        """The command-line flags that select these bounds and options."""
        chosen = {**self.options, **(self.quick if quick else {})}
        return [
            *(
                f
                for b in info.bounds
                if b.name in self.bounds
                for f in (b.flag, str(self.bounds[b.name]))
            ),
            *(f"--{o.replace('_', '-')}" for o in info.options if chosen.get(o)),
        ]


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
    #: For each bug variant, how to expose it.
    exposures: Mapping[str, Exposure] = field(default_factory=dict)
    #: The names formulas may use (zabmc.properties.Vocabulary), from the bounds; None: no
    #: user-written properties for this spec.
    vocabulary: Callable[[Mapping[str, int]], Any] | None = None
    #: The spec as z3 formulas for ``zabmc prove`` (zabmc.symbolic.setup.SymbolicSetup), from
    #: the bounds, the bug and the spec options; None: the spec has no symbolic encoding. It
    #: raises ``ValueError`` with a one-line message for a configuration it does not encode.
    symbolic: Callable[[Mapping[str, int], str | None, Mapping[str, Any]], Any] | None = None
    #: The same for bounded model checking, ``(bounds, bug, options, depth, capacity)``: an
    #: encoding that need be exact only on paths of at most ``depth`` steps (bit-vectors of a
    #: width the depth gives, which z3 bit-blasts to SAT), its bounded containers (channels) of
    #: ``capacity`` (None: the spec's default), watched by its ``overflow``; None: ``symbolic``
    #: serves BMC too.
    symbolic_bmc: (
        Callable[[Mapping[str, int], str | None, Mapping[str, Any], int, int | None], Any] | None
    ) = None
    #: Options that take one of these values (the first is the default) instead of being flags.
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: For each bug variant, which releases of the system it affects, in words.
    bug_versions: Mapping[str, str] = field(default_factory=dict)

    def bound(self, name: str) -> Bound | None:
        return next((b for b in self.bounds if b.name == name), None)

    def default_bounds(self) -> dict[str, int]:
        """Every bound at its default."""
        return {b.name: b.default for b in self.bounds}

    def bug_setup(self, bug: str, quick: bool = False) -> tuple[dict[str, int], dict[str, bool]]:
        """Every bound and option with which ``bug`` is exposed (``quick``: the fast way)."""
        exposure = self.exposures[bug]
        bounds = {**self.default_bounds(), **exposure.bounds}
        options = {**exposure.options, **(exposure.quick if quick else {})}
        return bounds, options
