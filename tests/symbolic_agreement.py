"""What both specs' agreement tests share: seeded walks of the explicit spec, and the
successors a z3 encoding gives a concrete state (by evaluating every instance once, and by
enumerating the models of Next)."""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import z3

from zabmc.engine import Action
from zabmc.symbolic.values import leaves

Successors = Callable[[Any], Iterable[tuple[Action, Any]]]


def walked_states(
    successors: Successors, init: Callable[[], Any], count: int, seed: int, walk: int
) -> list[Any]:
    """``count`` states from seeded random walks of up to ``walk`` steps from ``init()``."""
    rng = random.Random(seed)
    found: list[Any] = []
    s = init()
    steps = 0
    while len(found) < count:
        found.append(s)
        after = list(successors(s))
        steps += 1
        if not after or steps >= walk:
            s, steps = init(), 0
        else:
            s = rng.choice(after)[1]
    return found


class InstanceTable:
    """Every action instance applied once to a symbolic state; evaluated on concrete ones."""

    def __init__(self, sp: Any) -> None:
        self.sp = sp
        self.before = sp.fresh_state("b")
        self.applied = [(a, *sp.apply(self.before, a)) for a in sp.actions]
        self.solver = z3.Solver()

    def successors(self, s: Any) -> set[tuple[Action, Hashable]]:
        """The successors the encoding gives ``s``: each instance whose guard holds there,
        with its result decoded as the encoding decodes (``sp.decode``)."""
        encoded = self.sp.layout.encode(s)
        self.solver.push()
        self.solver.add(
            *(x == y for x, y in zip(leaves(self.before), leaves(encoded), strict=True))
        )
        assert self.solver.check() == z3.sat
        model = self.solver.model()
        self.solver.pop()
        found = set()
        for action, guard, after in self.applied:
            if z3.is_true(model.eval(guard, model_completion=True)):
                found.add((action, self.sp.decode(model, after)))
        return found


def enumerated_successors(sp: Any, s: Any) -> set[tuple[Action, Hashable]]:
    """Every model of Next from ``s`` that z3 finds, one by one, each then excluded."""
    before = sp.fresh_state("e")
    t = sp.transition(before, "f")
    solver = z3.Solver()
    encoded = sp.layout.encode(s)
    solver.add(t.constraint)
    solver.add(*(x == y for x, y in zip(leaves(before), leaves(encoded), strict=True)))
    found = set()
    while solver.check() == z3.sat:
        model = solver.model()
        found.add((sp.action_of(model, t), sp.decode(model, t.after)))
        # the next state is a function of the selector: excluding it excludes the model
        solver.add(t.selector != model.eval(t.selector, model_completion=True))
    return found
