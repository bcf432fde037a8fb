"""The interface between a specification and the checker.

A specification plugs into the engine the way a TLA+ module plugs into TLC:
it names its initial states, its next-state relation as labelled successors,
and its properties. Everything else (symmetry, a view) is optional.

The engine relies on three facts about states, which every spec must honour:

* states are immutable and hashable, and equal states describe the same
  protocol situation;
* a state is built only from ints, bools and (nested) tuples of them (or sequence
  values, :class:`~zabmc.engine.encoding.SequenceValue`, which equal and hash as the
  tuple of their items), so that ``hash(state)`` is the same in every run and every
  process (``hash`` of a str, or of ``None`` before Python 3.12, changes from
  process to process): it is the state's fingerprint, on one core and in every partition of a
  partitioned search, and in a checkpoint;
* ``successors`` yields its pairs in an order fixed by the state alone (never
  by set iteration), so the same command explores the same order every run and
  finds the same counterexample.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

if TYPE_CHECKING:
    from zabmc.engine.reduction.movers import Movers

State = TypeVar("State", bound=Hashable)


class Action(NamedTuple):
    """The label of one transition: the action's name and its parameters."""

    name: str
    args: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}({', '.join(str(a) for a in self.args)})"


class Expectation(enum.Enum):
    """What a property asks of the reachable states."""

    ALWAYS = "always"  # an invariant: every reachable state satisfies it
    SOMETIMES = "sometimes"  # a witness: some reachable state satisfies it


@dataclass(frozen=True)
class Property(Generic[State]):
    """A named predicate on states, with what is expected of it.

    ``explain`` (optional) tells, for a state where the predicate does not
    hold, which clause failed and with which values.
    """

    name: str
    expectation: Expectation
    condition: Callable[[State], bool]
    doc: str = ""
    explain: Callable[[State], str] | None = None

    @staticmethod
    def always(
        name: str,
        condition: Callable[[State], bool],
        doc: str = "",
        explain: Callable[[State], str] | None = None,
    ) -> Property[State]:
        """An invariant: ``condition`` holds in every reachable state."""
        return Property(
            name, Expectation.ALWAYS, condition, doc or condition.__doc__ or "", explain
        )

    @staticmethod
    def sometimes(name: str, condition: Callable[[State], bool], doc: str = "") -> Property[State]:
        """A witness: ``condition`` holds in at least one reachable state.

        Witnesses guard against invariants that hold only because nothing
        interesting is ever reached.
        """
        return Property(name, Expectation.SOMETIMES, condition, doc or condition.__doc__ or "")


class Symmetry(Protocol[State]):
    """How a spec's interchangeable ids permute a state.

    ``size`` ids, numbered ``0 .. size-1``, are interchangeable. A permutation
    is a tuple ``perm`` with ``perm[old_id] == new_id``. ``permute`` must be a
    group action: permuting by ``a`` then by ``b`` equals permuting once by
    ``b`` after ``a``.
    """

    size: int

    def permute(self, state: State, perm: tuple[int, ...]) -> State: ...


class SignedSymmetry(Symmetry[State], Protocol[State]):
    """A symmetry that can also sign each id, to prune permutations.

    ``signature(state)`` returns one sortable key per id, computed from what
    the id does and not from its number, so that permuting the state permutes
    the keys the same way. The canonical form then only needs the
    permutations that sort the keys, which is usually one.
    """

    def signature(self, state: State) -> Sequence[Hashable]: ...


class CanonicalSymmetry(Symmetry[State], Protocol[State]):
    """A symmetry that computes its canonical form itself.

    For when a spec knows a faster route to the same exact representative,
    or must reproduce another tool's choice of representative (TLC's, for a
    faithful comparison). ``canonical`` must return a member of the state's
    orbit, the same for every state it deems equivalent.
    """

    def canonical(self, state: State) -> State: ...


class Model(ABC, Generic[State]):
    """A specification the engine can explore.

    Three methods are required, as in Stateright's ``Model`` trait; the
    others have defaults that a spec overrides when it has something to say.
    """

    #: A short name, shown in reports.
    name: str = "model"

    @abstractmethod
    def init_states(self) -> Sequence[State]:
        """The initial states, in a fixed order."""

    @abstractmethod
    def successors(self, state: State) -> Iterable[tuple[Action, State]]:
        """Every enabled transition from ``state``: (label, next state) pairs."""

    @abstractmethod
    def properties(self) -> Sequence[Property[State]]:
        """The named properties: invariants and witnesses."""

    def symmetry(self) -> Symmetry[State] | None:
        """The permutations of ids that leave the spec's behaviour unchanged.

        ``None`` (the default) means the ids are ordered: the spec compares
        them, so merging permuted states would be unsound.
        """
        return None

    def movers(self) -> Movers | None:
        """Which steps are right movers, so a search may chain them (Lipton reduction).

        ``None`` (the default): none are declared, and the search takes every step alone.
        See :mod:`zabmc.engine.reduction.movers` for what a declaration promises.
        """
        return None

    #: Why ``symmetry`` is ``None``: shown when a user asks for symmetry.
    asymmetry_reason: str = "its ids are not interchangeable"

    def is_final(self, state: State) -> bool:
        """Whether ``state``, which has no successor, is a normal end rather than a deadlock.

        A spec whose runs stop because its bounds are spent (no more timeouts, crashes
        or requests allowed) says so here, and the search does not report such a
        state as a deadlock. The default, False, reports every state with no successor.
        """
        return False

    def view(self, state: State) -> Hashable:
        """The part of ``state`` that identifies it (TLC's VIEW).

        Two states with the same view count as one.
        """
        return state

    def format_action(self, action: Action) -> str:
        """An action as a reader should see it. Defaults to ``name(args)``."""
        return str(action)

    def format_state(self, state: State) -> dict[str, Any]:
        """The state as named variables, for reports. Defaults to ``repr``."""
        return {"state": repr(state)}

    def invariant_checker(
        self, invariants: Sequence[Property[State]]
    ) -> Callable[[State], str | None]:
        """One call that checks ``invariants`` (a selection of this model's properties) on a
        state, in their order: the name of the first that does not hold, or None.

        The default calls each condition in turn (:func:`first_broken`). A spec whose
        invariants share work may override it, to compute them together or to memoize
        their answers on the part of a state they read; its answer must be the default's
        for every state.
        """
        return first_broken(invariants)

    def is_fault(self, action: Action) -> bool:
        """Whether ``action`` is a fault (a crash, a timeout, a partition) rather than
        protocol progress. A shrinker tries removing faults first, so a minimized
        counterexample needs as few of them as it can."""
        return False


def first_broken(invariants: Sequence[Property[State]]) -> Callable[[State], str | None]:
    """A function giving, for a state, the name of the first of ``invariants`` that does
    not hold there, or None: each condition called in turn."""
    checks = [(p.name, p.condition) for p in invariants]

    def broken(state: State) -> str | None:
        for name, cond in checks:
            if not cond(state):
                return name
        return None

    return broken
