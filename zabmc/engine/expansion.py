"""The seam between a search and the successors it explores.

A search (breadth-first on one core, partitioned over many, or on Ray) asks an
``Expander`` for a state's successors instead of calling ``Model.successors``
directly. The plain expander returns them all. A reducing expander (partial-order
reduction) may return a subset first, marked incomplete; the search then owes it
the cycle proviso that breadth-first search needs: when none of the subset's
states was new, it asks for the rest (``expand_rest``) and explores those too.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import NamedTuple, Protocol

from zabmc.engine.model import Action, Model


class Expansion(NamedTuple):
    """The successors a search explores first from one state."""

    successors: Sequence[tuple[Action, Hashable]]
    complete: bool  # False: a reduced subset; the rest is owed if none of these was new


class Expander(Protocol):
    """What a search calls to expand a state."""

    def expand(self, state: Hashable) -> Expansion: ...

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        """The successors that ``expand`` left out (empty when it was complete)."""
        ...


class FullExpander:
    """Every successor of every state, in the model's order: no reduction."""

    def __init__(self, model: Model) -> None:
        self._successors = model.successors

    def expand(self, state: Hashable) -> Expansion:
        return Expansion(list(self._successors(state)), True)

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        return ()


__all__ = ["Expander", "Expansion", "FullExpander"]
