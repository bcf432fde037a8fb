"""BMC as one query: is there a path of at most K steps from Init to a state breaking a property?

The per-depth BMC (:func:`zabmc.symbolic.prove.bmc`) asks one SAT question per
depth and so proves "no counterexample" at every depth below the first one
found; those refutations are what it costs, each about twice the one before.
Here a single SAT problem unrolls K steps in which a step may also be *idle*
(no action instance; the state stays), and once a step is idle every later one
is: a path of at most K steps is a K-step unrolling whose tail is idle, so the
paths stay in trace normal form (:mod:`zabmc.symbolic.reduction`) and a
property broken anywhere on a path is broken in the unrolling's last state.

What this gives up: the path found is one of at most K steps, not necessarily
a shortest one (the caller says so); a path that first breaks the property at
step j may be assumed to stop there (steps after j are idle), which keeps the
found path ending at its first violation. "Proved" keeps its meaning: an
unsatisfiable query means no path of at most K steps breaks a property.

Channels grow on demand as in the per-depth BMC: the query asks for a broken
property at the end *or* a full channel anywhere (where the encoding may
disable a send the spec takes); a model that fills a channel before breaking a
property makes the caller enlarge the channels and ask again.

**Persistent steps** (``persistent``, ``zabmc prove --persistent``): a
partial-order reduction in the encoding. A spec's ``persistent_steps`` names
instances that are a persistent set alone where a condition holds (for the
protocol spec, the follower receipts :mod:`spec.protocol.independence`
declares); those that z3 proves invisible (taken where declared, they never
change whether a property is broken) are forced: in a state where one is
enabled, the next step, if any, is one of them. No violation is lost: take a
path s -> ... -> x breaking a property and a forced t enabled at s; if t is on
the path, it commutes back to the front (every step before it is independent of
it), so the rest is one step shorter; if not, t commutes with every step and
stays enabled, so t followed by the path ends in t(x), which breaks the property
as x does (t is invisible). Either way a path from t(s) to a violation
remains, and each declared step raises the spec's progress measure, so the
argument ends. But the second case adds a step: the reduced path may be longer
than a shortest one, and "proved" at K says only that no *reduced* path of at
most K steps breaks a property. The trace normal form is then off (it may
order a forced step after another).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import z3

from zabmc.symbolic.prove import (
    Formula,
    Outcome,
    Progress,
    SymbolicSpec,
    _failing,
    _timed_check,
    _unknown,
    _Unrolled,
    one_hot,
    sat_solver,
)
from zabmc.symbolic.reduction import independence, normal_form
from zabmc.symbolic.values import leaves, with_leaves


@dataclass
class StepOrIdle:
    """One step over a template state that may take no action instance.

    ``hot``: one Bool per instance; ``packed``: the next state's terms in one
    application (so one substitution keeps their sharing); ``constraint``: at most
    one Bool is true and the guard of the one taken holds; ``selector``: the
    template's selector (its sort is the one a step's decoded choice has).
    """

    hot: list[z3.BoolRef]
    packed: z3.ExprRef
    constraint: z3.BoolRef
    selector: z3.ExprRef


def step_or_idle(spec: SymbolicSpec, template: Any) -> StepOrIdle:
    """Next from ``template`` with the choice as one Bool per instance, at most one true.

    With none true the step is idle: every ``selector == k`` is false (a comparison
    the substitution did not reach meets the selector's default, ``count``, which
    names no instance), so every variable keeps its value;
    ``tests/protocol/symbolic/test_within.py`` proves it of the encoding.
    """
    step = spec.successor(template, "template")
    count = len(spec.actions)
    hot, chosen = one_hot(step.selector, count, "template", default=count)
    choice = [(step.selector == k, hot[k]) for k in range(count)]
    pack = z3.Function("next", *(t.sort() for t in leaves(step.after)), z3.BoolSort())
    packed = z3.substitute(
        z3.substitute(pack(*leaves(step.after)), *choice), (step.selector, chosen)
    )
    guards = z3.substitute(z3.substitute(step.constraint, *choice), (step.selector, chosen))
    # the constraint's range check (0 <= selector < count) fails on an idle step: taken steps only
    constraint = z3.And(z3.Implies(z3.Or(*hot), guards), z3.AtMost(*hot, 1))
    return StepOrIdle(hot, packed, constraint, step.selector)


def invisible_persistent(
    spec: SymbolicSpec, template: Any, broken: z3.BoolRef
) -> list[tuple[int, z3.BoolRef, z3.BoolRef]]:
    """The spec's persistent steps that z3 proves invisible: (instance, guard, when declared).

    ``spec.persistent_steps(template)`` names the instances that are persistent sets
    alone where their condition holds; kept are those whose step, taken where it is
    declared, never changes whether a property is broken (``broken``, over
    ``template``). A spec without ``persistent_steps`` has none.
    """
    steps = getattr(spec, "persistent_steps", None)
    if steps is None:
        return []
    slots = leaves(template)
    found = []
    for t, cond in steps(template):
        guard, after = spec.apply(template, spec.actions[t])
        moved = z3.substitute(broken, *zip(slots, leaves(after), strict=True))
        solver = z3.Then("simplify", "propagate-values", "solve-eqs", "bit-blast", "sat").solver()
        solver.add(guard, cond, moved != broken)
        if solver.check() == z3.unsat:
            found.append((t, guard, cond))
    return found


def bmc_within(
    spec: SymbolicSpec,
    properties: Sequence[tuple[str, Formula]],
    depth: int,
    *,
    progress: Progress | None = None,
    timeout_ms: int = 0,
    reduction: bool = True,
    stop_at_violation: bool = True,
    persistent: bool = False,
) -> Outcome:
    """A path of at most ``depth`` steps to a state breaking a property, by one SAT query.

    ``Outcome.depth`` of a counterexample is the found path's length (at most
    ``depth``); "overflow" means the model filled a channel first (the caller
    enlarges the channels and asks again); "proved" that no path of at most
    ``depth`` steps breaks a property or fills a channel.
    With ``stop_at_violation`` a step after a state that breaks a property is
    idle (a restriction that loses no counterexample: cut the path there).
    With ``persistent`` paths take an invisible persistent step whenever one is
    enabled (module docstring): "proved" is then of the reduced paths only.
    """
    log: list[dict[str, Any]] = []
    template = spec.fresh_state("template")
    slots = leaves(template)
    count = len(spec.actions)
    step = step_or_idle(spec, template)
    hot, packed, constraint = step.hot, step.packed, step.constraint
    broken_in_template = z3.Or(*(z3.Not(f(template)) for _, f in properties))
    watch = getattr(spec, "overflow", None)
    full_in_template = watch(template) if watch is not None else z3.BoolVal(False)
    if persistent:
        reduction = False  # the normal form may need a step the persistent step forbids
    ind = independence(template, spec.actions, spec.apply) if reduction else None
    declared = invisible_persistent(spec, template, broken_in_template) if persistent else []
    current = leaves(spec.initial_state())
    states = [spec.initial_state()]
    steps: list[_Unrolled] = []
    taken: list[z3.BoolRef] = []
    asserted: list[z3.BoolRef] = []
    fills: list[z3.BoolRef] = []
    previous: list[z3.BoolRef] | None = None
    blocked: list[z3.BoolRef] | None = None
    here = list(zip(slots, current, strict=True))
    broken = z3.substitute(broken_in_template, *here)
    fills.append(z3.substitute(full_in_template, *here))
    for k in range(1, depth + 1):
        took, selector = one_hot(step.selector, count, f"s{k}", default=count)
        if declared:
            # a declared step enabled in the state before this step: this step takes one
            here_now = list(zip(slots, current, strict=True))
            options = [
                (z3.substitute(guard, *here_now), z3.substitute(cond, *here_now), took[t])
                for t, guard, cond in declared
            ]
            one_enabled = z3.Or(*(z3.And(g, c) for g, c, _ in options))
            takes_one = z3.Or(*(z3.And(x, c) for _, c, x in options))
            asserted.append(z3.Implies(z3.And(one_enabled, z3.Or(*took)), takes_one))
        pairs_now = [*zip(slots, current, strict=True), *zip(hot, took, strict=True)]
        current = list(z3.substitute(packed, *pairs_now).children())
        asserted.append(z3.substitute(constraint, *pairs_now))
        moves = z3.Or(*took)
        if taken:
            asserted.append(z3.Implies(moves, taken[-1]))
        if stop_at_violation:
            asserted.append(z3.Implies(broken, z3.Not(moves)))
        taken.append(moves)
        if ind is not None and previous is not None:
            constraints, blocked = normal_form(ind, previous, took, blocked, f"s{k}")
            asserted.extend(constraints)
        previous = took
        after = with_leaves(template, current)
        steps.append(_Unrolled(states[-1], after, selector, z3.BoolVal(True)))
        states.append(after)
        here = list(zip(slots, current, strict=True))
        broken = z3.substitute(broken_in_template, *here)
        fills.append(z3.substitute(full_in_template, *here))
    solver = sat_solver(timeout_ms)
    solver.add(*asserted, broken)
    result = _timed_check(solver, log, f"a violation within {depth} steps", progress)
    if result == z3.unknown:
        return _unknown(solver, depth, log)
    if result == z3.sat:
        model = solver.model()
        length = sum(1 for t in taken if z3.is_true(model.eval(t, model_completion=True)))
        decoded, actions, names = _failing(
            spec, model, states[: length + 1], steps[:length], properties
        )
        return Outcome("counterexample", length, decoded, actions, names, checks=log)
    # no path of the encoding breaks a property; exact only if none fills a channel
    solver = sat_solver(timeout_ms)
    solver.add(*asserted, z3.Or(*fills))
    result = _timed_check(solver, log, f"a full channel within {depth} steps", progress)
    if result == z3.unknown:
        return _unknown(solver, depth, log)
    if result == z3.sat:
        model = solver.model()
        length = sum(1 for t in taken if z3.is_true(model.eval(t, model_completion=True)))
        return Outcome("overflow", length, reason="a container is full", checks=log)
    return Outcome("proved", depth, checks=log)
