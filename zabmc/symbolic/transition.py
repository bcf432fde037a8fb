"""Next as each variable's next value: the functional encoding both specs' relations share.

A step picks one action instance (a selector), that instance's guard must hold, and every
variable of the next state is the value that instance gives it: a chain of ``If`` over
the instances that change the variable, so a state has exactly one successor per enabled
instance and the variables an instance leaves alone cost nothing. A spec's symbolic
relation subclasses :class:`FunctionalNext` and says how one instance applies
(:meth:`FunctionalNext.apply`); this module knows nothing of ZAB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from zabmc.engine import Action
from zabmc.symbolic.values import fresh, ite, leaves, number, with_leaves


@dataclass
class Transition:
    """One step from ``before`` to ``after``: ``constraint`` holds when ``selector`` names an
    enabled instance (and, for :meth:`FunctionalNext.transition`, ``after`` is its result)."""

    before: Any
    after: Any
    selector: z3.ExprRef
    constraint: z3.BoolRef


class FunctionalNext:
    """Init and Next over a state shape (a NamedTuple of symbolic values).

    Subclasses set ``actions`` (every instance, in Next's order) and ``shape`` (Init's
    state as constant terms) and define :meth:`apply`.
    """

    actions: list[Action]
    shape: Any
    #: The selector's sort: Ints, or bit-vectors when the encoding is over bit-vectors.
    selector_sort: z3.SortRef = z3.IntSort()

    def apply(self, s: Any, action: Action) -> tuple[z3.BoolRef, Any]:
        """The guard of ``action`` in ``s`` and the state it leads to."""
        raise NotImplementedError

    def fresh_state(self, name: str) -> Any:
        """A state of new, unconstrained z3 constants named from ``name``."""
        shape = self.shape
        return type(shape)(
            *(fresh(f"{name}.{f}", v) for f, v in zip(shape._fields, shape, strict=True))
        )

    def init(self, s: Any) -> z3.BoolRef:
        """Init: ``s`` is the initial state."""
        return z3.And(*(x == y for x, y in zip(leaves(s), leaves(self.shape), strict=True)))

    def initial_state(self) -> Any:
        """Init's only state, as constant terms."""
        return self.shape

    def successor(self, before: Any, name: str) -> Transition:
        """Next from ``before`` with the successor given as terms over ``before``.

        ``after`` is each variable's next value and ``constraint`` says only that
        ``selector`` names an enabled instance, so a solver need not eliminate
        next-state variables.
        """
        selector = z3.Const(f"{name}.action", self.selector_sort)
        old = leaves(before)
        changes: list[list[tuple[int, z3.ExprRef]]] = [[] for _ in old]
        guards = []
        for k, action in enumerate(self.actions):
            guard, result = self.apply(before, action)
            guards.append(z3.Implies(selector == k, guard))
            for idx, (x, y) in enumerate(zip(leaves(result), old, strict=True)):
                if x is not y and not z3.eq(x, y):
                    changes[idx].append((k, x))
        values = []
        for idx, value in enumerate(old):
            for k, x in reversed(changes[idx]):
                value = ite(selector == k, x, value)
            values.append(value)
        after = with_leaves(before, values)
        constraint = z3.And(selector >= 0, selector < len(self.actions), *guards)
        return Transition(before, after, selector, constraint)

    def transition(self, before: Any, name: str) -> Transition:
        """Next from ``before`` to a fresh state named ``name``."""
        step = self.successor(before, name)
        after = self.fresh_state(name)
        equal = [x == y for x, y in zip(leaves(after), leaves(step.after), strict=True)]
        return Transition(before, after, step.selector, z3.And(step.constraint, *equal))

    def action_of(self, model: z3.ModelRef, t: Transition) -> Action:
        """The instance ``t`` takes under ``model``."""
        return self.actions[number(model.eval(t.selector, model_completion=True))]
