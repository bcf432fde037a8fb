"""Which action instances commute, and BMC's constraint that a path be a trace's normal form.

Two action instances are independent when neither writes a variable that the
other reads or writes. Then, from any state, taking them in either order gives
the same state, and taking one neither enables nor disables the other (its
guard reads nothing the first wrote). Swapping adjacent independent steps
therefore keeps a path's length, its first and last state; every path is so
equivalent to exactly one in *lexicographic normal form* (Anisimov and Knuth:
no step b ... a where a comes before b in Next's order and a is independent of
every step from b up to it). BMC may look only for paths in that form and
still find, at each depth, a path to every state some path of that length
reaches: "no counterexample to depth k" and "shortest" keep their meaning.

The read and write sets are read off the encoding (the variables each
instance's guard and update terms mention), so they over-approximate and the
reduction stays sound: fewer pairs independent, never more. One refinement:
an *accumulator*, a Bool variable that no guard and no other variable's
update reads and that every instance sets as ``v' = v \\/ c`` (a flag such as
violatedInvariants; z3 proves the form for each instance), is left out of
both sets, since such updates commute with each other and change nothing
another instance reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from zabmc.symbolic.values import leaves


@dataclass(frozen=True)
class Independence:
    """``independent[a][b]``: instances a and b (indices into the spec's actions) commute."""

    independent: tuple[tuple[bool, ...], ...]
    accumulators: tuple[int, ...]

    @property
    def pairs(self) -> int:
        """How many ordered pairs of distinct instances are independent."""
        return sum(
            1 for a, row in enumerate(self.independent) for b, x in enumerate(row) if x and a != b
        )


def _mentions(term: z3.ExprRef, slot: dict[int, int], memo: dict[int, frozenset[int]]):
    """The positions (in ``slot``) of the state variables ``term`` mentions."""
    stack = [term]
    while stack:
        t = stack[-1]
        key = t.get_id()
        if key in memo:
            stack.pop()
            continue
        if key in slot:
            memo[key] = frozenset((slot[key],))
            stack.pop()
            continue
        children = t.children()
        pending = [c for c in children if c.get_id() not in memo]
        if pending:
            stack.extend(pending)
            continue
        found: frozenset[int] = frozenset()
        for c in children:
            found = found | memo[c.get_id()]
        memo[key] = found
        stack.pop()
    return memo[term.get_id()]


def independence(
    template: Any, actions: Sequence[Any], apply: Callable[[Any, Any], tuple[z3.BoolRef, Any]]
) -> Independence:
    """The independence relation of ``actions`` over a state of fresh variables ``template``.

    ``apply(template, action)`` is the instance's guard and the state it leads to.
    """
    variables = leaves(template)
    slot = {v.get_id(): k for k, v in enumerate(variables)}
    memo: dict[int, frozenset[int]] = {}
    applied = []
    for action in actions:
        guard, after = apply(template, action)
        writes = {
            k: t
            for k, (t, v) in enumerate(zip(leaves(after), variables, strict=True))
            if not z3.eq(t, v)
        }
        applied.append((guard, writes))
    read_by_others: set[int] = set()
    for guard, writes in applied:
        read_by_others |= _mentions(guard, slot, memo)
        for k, t in writes.items():
            read_by_others |= _mentions(t, slot, memo) - {k}
    accumulators = [
        k
        for k, v in enumerate(variables)
        if z3.is_bool(v)
        and k not in read_by_others
        and all(_accumulates(writes[k], v) for _, writes in applied if k in writes)
    ]
    skip = set(accumulators)
    sets = []
    for guard, writes in applied:
        reads = set(_mentions(guard, slot, memo))
        for t in writes.values():
            reads |= _mentions(t, slot, memo)
        sets.append((reads - skip, set(writes) - skip))
    table = tuple(
        tuple(not (wa & (rb | wb)) and not (wb & ra) for rb, wb in sets) for ra, wa in sets
    )
    return Independence(table, tuple(accumulators))


def _accumulates(update: z3.BoolRef, v: z3.BoolRef) -> bool:
    """``update`` is ``v \\/ c`` for a ``c`` that does not mention ``v`` (z3 proves it)."""
    rest = z3.substitute(update, (v, z3.BoolVal(False)))
    solver = z3.Solver()
    solver.add(update != z3.Or(v, rest))
    return solver.check() == z3.unsat


def normal_form(
    ind: Independence,
    previous: Sequence[z3.BoolRef],
    took: Sequence[z3.BoolRef],
    blocked: list[z3.BoolRef] | None,
    name: str,
) -> tuple[list[z3.BoolRef], list[z3.BoolRef]]:
    """Constraints that a step keeps the path in lexicographic normal form.

    ``took[a]`` says this step takes instance a, ``previous[a]`` that the step
    before did. ``blocked[a]`` (of the step before, None at the second step)
    says that instance a could be moved back past every step since some step
    that comes after it in Next's order; instance a may be taken now unless it
    could be moved back past the previous step too and then sits before it (or
    moves further). Returns the constraints and this step's ``blocked`` variables.
    """
    n = len(ind.independent)
    constraints: list[z3.BoolRef] = []
    now: list[z3.BoolRef] = []
    for a, row in enumerate(ind.independent):
        past = [b for b in range(n) if row[b]]
        after_a = [b for b in past if b > a]
        jumps = z3.Or(*(previous[b] for b in after_a)) if after_a else z3.BoolVal(False)
        if blocked is not None and past:
            crosses = z3.Or(*(previous[b] for b in past))
            jumps = z3.Or(jumps, z3.And(crosses, blocked[a]))
        flag = z3.Bool(f"{name}.blocked{a}")
        constraints.append(flag == jumps)
        constraints.append(z3.Implies(took[a], z3.Not(flag)))
        now.append(flag)
    return constraints, now
