"""The seam between a search and the successors it explores.

A search (breadth-first on one core, partitioned over many, or on Ray) asks an
``Expander`` for a state's successors instead of calling ``Model.successors``
directly. The plain expander returns them all. A reducing expander may return a
subset, marked complete (it is all the search needs: the expander has made sure of
the cycle proviso itself, as :mod:`zabmc.engine.reduction.persistent` does through
the spec's progress measure), or marked incomplete: then, when none of the subset's
states was new, the search asks for the rest (``expand_rest``) and explores those
too. That rule alone is not a cycle proviso in general (a cycle can pass only through
states each of which had one new successor elsewhere), so an expander must not rely on
it for soundness; the reducers shipped here return complete expansions.

A successor may also stand for several steps of the model taken as one (a chain
of a server's mover steps, :mod:`zabmc.engine.reduction`): the search counts it as
one step of depth, and ``unfold`` gives the model's own steps it is made of, which
is what a counterexample shows. ``unfold`` is the one addition to the protocol
that chains need; it needs no state of the expander, only the label. An expander may
also have ``describe() -> dict``: what it reduced, which a search puts in its result
(``CheckResult.reduction``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import NamedTuple, Protocol

from mypy_extensions import mypyc_attr

from zabmc.engine.model import Action, Model


class Expansion(NamedTuple):
    """The successors a search explores first from one state."""

    successors: Sequence[tuple[Action, Hashable]]
    complete: bool  # False: a reduced subset; the rest is owed if none of these was new
    #: The successors count no level of depth: the search explores them in the level of
    #: the state they come from (a persistent step, :mod:`zabmc.engine.reduction.persistent`).
    #: Either for all of them (a bool) or per successor, in order (a step the spec counts no
    #: level for wherever it is taken, :meth:`zabmc.engine.reduction.movers.Movers.free_step`).
    free: bool | Sequence[bool] = False


def is_free(free: bool | Sequence[bool], position: int) -> bool:
    """Whether the successor at ``position`` of an expansion whose ``free`` is given counts
    no level of depth."""
    return free if type(free) is bool else free[position]


class Chained(NamedTuple):
    """The steps of the model that one chained successor stands for, in order.

    A chained successor's label is ``Action(name, (Chained(steps),))``; the last
    step's state is the successor itself.
    """

    steps: tuple[tuple[Action, Hashable], ...]


def chain_label(steps: Sequence[tuple[Action, Hashable]]) -> Action:
    """The label of a chain of steps: its actions' names joined by ``+``
    (a run of one name as ``name*k``), so statistics tell chains apart."""
    names: list[list] = []
    for action, _ in steps:
        if names and names[-1][0] == action.name:
            names[-1][1] += 1
        else:
            names.append([action.name, 1])
    name = "+".join(n if k == 1 else f"{n}*{k}" for n, k in names)
    return Action(name, (Chained(tuple(steps)),))


def unfold(action: Action, successor: Hashable) -> tuple[tuple[Action, Hashable], ...]:
    """The model's own steps behind one successor: itself, or the steps of a chain."""
    if len(action.args) == 1 and isinstance(action.args[0], Chained):
        return action.args[0].steps
    return ((action, successor),)


class Expander(Protocol):
    """What a search calls to expand a state."""

    def expand(self, state: Hashable) -> Expansion: ...

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        """The successors that ``expand`` left out (empty when it was complete)."""
        ...


@mypyc_attr(native_class=False)  # pickled into Ray's actors with a search's options
class FullExpander:
    """Every successor of every state, in the model's order: no reduction."""

    def __init__(self, model: Model) -> None:
        self._successors = model.successors

    def expand(self, state: Hashable) -> Expansion:
        return Expansion(list(self._successors(state)), True)

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        return ()


__all__ = [
    "Chained",
    "Expander",
    "Expansion",
    "FullExpander",
    "chain_label",
    "is_free",
    "unfold",
]
