"""One action instance being encoded, the way both specs' symbolic actions write it.

An action's function takes a :class:`Step` and a state, states its guard with
:meth:`Step.require` (under the branch being encoded, :meth:`Step.under`) and returns
the state after; a branch on a symbolic condition computes both sides and merges them
with :func:`branch`, as Rosette's symbolic layer does. Knows nothing of ZAB.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import z3

from zabmc.symbolic.values import conj, ite

S = TypeVar("S")


class Step:
    """One action instance being encoded: the layout, the parameters, its guard so far."""

    def __init__(self, layout: Any, p: Any) -> None:
        self.layout = layout
        self.p = p
        self.guards: list[z3.BoolRef] = []
        self._path: list[z3.BoolRef] = []

    def require(self, cond: z3.BoolRef) -> None:
        """The instance is enabled only if ``cond`` holds (on the branch being encoded)."""
        self.guards.append(z3.Implies(conj(self._path), cond) if self._path else cond)

    @contextmanager
    def under(self, cond: z3.BoolRef) -> Iterator[None]:
        """Encode a branch taken when ``cond`` holds."""
        self._path.append(cond)
        try:
            yield
        finally:
            self._path.pop()

    @property
    def guard(self) -> z3.BoolRef:
        """The instance's guard: every requirement, each under its branch."""
        return conj(self.guards)


def branch(cond: z3.BoolRef, a: S, b: S) -> S:
    """``if cond then a else b`` over whole states (NamedTuples of symbolic values)."""
    return type(a)(*(ite(cond, x, y) for x, y in zip(a, b, strict=True)))
