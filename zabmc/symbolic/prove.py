"""Bounded model checking and (k-)induction over a symbolic spec, with z3.

A spec plugs in through :class:`SymbolicSpec`: fresh symbolic states, Init,
one step of Next between a state and a fresh one, and the decoding of a z3
model back into explicit states and actions. The invariant is a function
from a symbolic state to a z3 Bool (a property-language formula compiled by
:mod:`zabmc.symbolic.compile`). Nothing here knows any spec.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import z3

from zabmc.engine import Action
from zabmc.symbolic.reduction import independence, normal_form
from zabmc.symbolic.values import leaves, with_leaves

Formula = Callable[[Any], z3.BoolRef]


class Transition(Protocol):
    before: Any
    after: Any
    selector: z3.ArithRef
    constraint: z3.BoolRef


class SymbolicSpec(Protocol):
    """What the prover needs from a spec encoded in z3."""

    def fresh_state(self, name: str) -> Any: ...

    def init(self, s: Any) -> z3.BoolRef: ...

    def transition(self, before: Any, name: str) -> Transition: ...

    def action_of(self, model: z3.ModelRef, t: Transition) -> Action: ...

    @property
    def actions(self) -> Sequence[Action]:
        """Every action instance of Next (the disjuncts an induction step is split into)."""
        ...

    def apply(self, s: Any, action: Action) -> tuple[z3.BoolRef, Any]:
        """The guard of ``action`` in ``s`` and the state it leads to."""
        ...

    def decode(self, model: z3.ModelRef, s: Any) -> Any: ...

    def initial_state(self) -> Any:
        """Init's only state, as constant terms (BMC unrolls from it)."""
        ...

    def successor(self, before: Any, name: str) -> Transition:
        """Next from ``before``: ``after`` made of terms over ``before`` and ``selector``,
        ``constraint`` that the selector names an enabled action instance (selector k
        names ``actions[k]``)."""
        ...

    def type_ok(self, s: Any) -> z3.BoolRef:
        """The domain of every variable; proved along with the lemmas in an induction."""
        ...


@dataclass
class Outcome:
    """What a proof attempt found.

    ``verdict`` is "proved" (the invariant holds: inductive, or within the BMC
    bound), "counterexample" (a path from Init to a state that breaks it),
    "overflow" (BMC reached a state whose bounded containers are full at
    ``depth``: the caller enlarges them and goes on),
    "cti" (a counterexample to induction: states that satisfy the invariant and
    the lemmas, then a step that breaks one of them), or "unknown" (z3 gave up;
    ``reason`` says why). ``states``/``actions`` are the path, ``broken`` the
    names of the formulas false in its last state.
    """

    verdict: str
    depth: int = 0
    states: list[Any] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    reason: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)


Progress = Callable[[str], None]


def _timed_check(
    solver: z3.Solver,
    log: list[dict[str, Any]],
    what: str,
    progress: Progress | None,
    *assumptions: z3.BoolRef,
) -> z3.CheckSatResult:
    started = time.monotonic()
    cpu = time.process_time()
    result = solver.check(*assumptions)
    elapsed = time.monotonic() - started
    # z3 runs in this thread: its CPU time is steadier than the wall clock on a shared machine
    cpu_seconds = round(time.process_time() - cpu, 3)
    log.append(
        {"check": what, "result": str(result), "seconds": round(elapsed, 3), "cpu": cpu_seconds}
    )
    if progress is not None:
        progress(f"{what}: {result} in {elapsed:.1f} s (z3 CPU {cpu_seconds:.1f} s)")
    return result


def _unknown(solver: z3.Solver, depth: int, log: list[dict[str, Any]]) -> Outcome:
    return Outcome("unknown", depth, reason=solver.reason_unknown(), checks=log)


def _failing(
    spec: SymbolicSpec,
    model: z3.ModelRef,
    states: list[Any],
    steps: list[Transition],
    properties: Sequence[tuple[str, Formula]],
    last: Action | None = None,
) -> tuple[list[Any], list[Any], list[str]]:
    """The path a model gives (its states and actions), and the properties its last state breaks.

    ``last`` is the action of a final step taken as one instance, not as a Transition.
    """
    decoded = [spec.decode(model, s) for s in states]
    actions = [spec.action_of(model, t) for t in steps] + ([last] if last is not None else [])
    broken = [
        name
        for name, f in properties
        if z3.is_false(model.eval(f(states[-1]), model_completion=True))
    ]
    return decoded, actions, broken


def make_solver(timeout_ms: int) -> z3.Solver:
    """A solver that first eliminates the next-state variables Next defines (solve-eqs).

    The former BMC (``unrolling="fresh"``) gives each depth fresh state variables
    that Next defines by equalities; substituting them away leaves a formula over
    the initial state and the action choices. z3's incremental core does not do
    that, and was found many times slower (depth 8: 328 s against about 30 s).
    """
    tactic = z3.Then("simplify", "propagate-values", "solve-eqs", "elim-uncnstr", "simplify", "smt")
    solver = tactic.solver()
    if timeout_ms:
        solver.set("timeout", timeout_ms)
    return solver


#: z3's SAT restart strategies (its ``sat.restart``); RESTART is BMC's over bit-vectors.
RESTARTS = ("ema", "luby", "geometric", "static")
RESTART = "luby"


def sat_solver(timeout_ms: int, restart: str = RESTART) -> z3.Solver:
    """A solver for one BMC depth over bit-vectors: simplify, eliminate, bit-blast, then SAT.

    Not incremental: each depth is a new solver. Measured on the protocol bugs,
    bit-blasting everything to z3's SAT solver from scratch per depth was an
    order of magnitude faster than the incremental solver at depth 12 (7 s against
    94 s of z3 CPU time over Ints, 63 s with QF_FD's incremental SAT solver).
    ``restart`` is the SAT solver's restart strategy (docs/prove.md, "Solver
    configuration", has the measurements).
    """
    if restart not in RESTARTS:
        raise ValueError(f"unknown SAT restart strategy {restart!r}; choose from {RESTARTS}")
    sat = z3.With(z3.Tactic("sat"), restart=restart)
    tactic = z3.Then("simplify", "propagate-values", "solve-eqs", "bit-blast", sat)
    solver = tactic.solver()
    if timeout_ms:
        solver.set("timeout", timeout_ms)
    return solver


def _is_bitvector_encoding(state: Any) -> bool:
    """Every number of ``state`` is a bit-vector (so the state bit-blasts to SAT)."""
    terms = leaves(state)
    return not any(z3.is_arith(t) for t in terms) and any(z3.is_bv(t) for t in terms)


@dataclass
class _Unrolled:
    """One step of an unrolled path: ``after`` is made of terms over ``before``."""

    before: Any
    after: Any
    selector: z3.ArithRef
    constraint: z3.BoolRef


def bmc(
    spec: SymbolicSpec,
    properties: Sequence[tuple[str, Formula]],
    depth: int,
    *,
    progress: Progress | None = None,
    timeout_ms: int = 0,
    unrolling: str = "substitute",
    reduction: bool = True,
    start: int = 0,
    restart: str = RESTART,
) -> Outcome:
    """A shortest path of at most ``depth`` steps from Init to a state breaking a property.

    Depth by depth, as breadth-first search does, so the first one found is
    shortest; each depth assumes the properties held at the depths before it.

    ``unrolling="substitute"`` (the default) builds Next once, over a template
    state, and makes depth k's state by substituting depth k - 1's terms into it
    (in z3, sharing subterms), so a state is a term over Init's constants and the
    action choices and no next-state variable needs eliminating. One incremental
    solver then serves every depth: a depth's "some property breaks" is an
    assumption of its check, and once refuted the properties are asserted there.
    ``unrolling="fresh"`` is the former way (fresh variables per depth, a new
    solver per depth with solve-eqs); bench/prove.py measures both.

    Over a bit-vector encoding, each depth is instead a new solver that
    bit-blasts the whole unrolling to SAT (:func:`sat_solver`), and with
    ``reduction`` the paths are restricted to the lexicographic normal form of
    their traces (:mod:`zabmc.symbolic.reduction`), which keeps every depth's
    answer exact while cutting the interleavings of independent steps; a
    container that fills up ends the run with the verdict "overflow" (see
    :func:`_bmc_sat`), and ``start`` skips the checks of depths known refuted.
    """
    if unrolling == "fresh":
        return _bmc_fresh(spec, properties, depth, progress, timeout_ms)
    if _is_bitvector_encoding(spec.initial_state()):
        return _bmc_sat(spec, properties, depth, progress, timeout_ms, reduction, start, restart)
    log: list[dict[str, Any]] = []
    template = spec.fresh_state("template")
    slots = leaves(template)
    step = spec.successor(template, "template")
    # one application packs every next-state term, so one substitution keeps their sharing
    pack = z3.Function("next", *(t.sort() for t in leaves(step.after)), z3.BoolSort())
    packed = pack(*leaves(step.after))
    broken_in_template = z3.Or(*(z3.Not(f(template)) for _, f in properties))
    held_in_template = [f(template) for _, f in properties]
    current = leaves(spec.initial_state())
    states = [spec.initial_state()]
    steps: list[_Unrolled] = []
    solver = z3.Solver()
    if timeout_ms:
        solver.set("timeout", timeout_ms)
    for k in range(depth + 1):
        if k > 0:
            selector = z3.Const(f"s{k}.action", step.selector.sort())
            pairs = [*zip(slots, current, strict=True), (step.selector, selector)]
            current = list(z3.substitute(packed, *pairs).children())
            after = with_leaves(template, current)
            solver.add(z3.substitute(step.constraint, *pairs))
            steps.append(_Unrolled(states[-1], after, selector, z3.BoolVal(True)))
            states.append(after)
        pairs = list(zip(slots, current, strict=True))
        broken = z3.Bool(f"broken@{k}")
        solver.add(broken == z3.substitute(broken_in_template, *pairs))
        result = _timed_check(solver, log, f"depth {k}", progress, broken)
        if result == z3.sat:
            decoded, actions, names = _failing(spec, solver.model(), states, steps, properties)
            return Outcome("counterexample", k, decoded, actions, names, checks=log)
        if result == z3.unknown:
            return _unknown(solver, k, log)
        # the properties hold at depth k on every path: assert them there from now on
        solver.add(z3.Not(broken), *(z3.substitute(f, *pairs) for f in held_in_template))
    return Outcome("proved", depth, checks=log)


def one_hot(
    template_selector: z3.ExprRef, count: int, name: str, default: int = 0
) -> tuple[list[z3.BoolRef], Any]:
    """``count`` Bools, one per action instance, and the selector they stand for.

    Over SAT, a step's choice as one Bool per instance (exactly one true) was
    found several times faster than a bit-vector selector compared with each
    instance's index (protocol bug strict-propose, depth 14: 15 s against 86 s
    of z3 CPU): the solver decides on instances, not on the bits of an index.
    The selector, a chain of ``If`` over the Bools, is what remains of a
    comparison the substitution did not reach, and decodes a model's choice;
    it is ``default`` when no Bool is true (an idle step, when the caller allows one).
    """
    hot = [z3.Bool(f"{name}.takes{k}") for k in range(count)]
    sort = template_selector.sort()
    selector: Any = z3.BitVecVal(default, sort) if z3.is_bv_sort(sort) else z3.IntVal(default)
    for k in range(count - 1, -1, -1):
        index = z3.BitVecVal(k, sort) if z3.is_bv_sort(sort) else z3.IntVal(k)
        selector = z3.If(hot[k], index, selector)
    return hot, selector


def _bmc_sat(
    spec: SymbolicSpec,
    properties: Sequence[tuple[str, Formula]],
    depth: int,
    progress: Progress | None,
    timeout_ms: int,
    reduction: bool,
    start: int,
    restart: str = RESTART,
) -> Outcome:
    """BMC by substitution over bit-vectors: per depth, one SAT problem from scratch.

    Each step chooses its action instance by one Bool per instance
    (:func:`one_hot`). A spec with ``overflow`` (a container full, where its
    encoding may disable a step the spec takes) has it watched at every depth,
    with the properties: once a depth is refuted, no path reaches a full
    container before the next, so the encoding is exact there. If one is
    reachable, the verdict is "overflow" at that depth: the caller enlarges the
    containers and goes on from that depth (``start``), the depths before it
    being refuted for any larger capacity too.
    """
    log: list[dict[str, Any]] = []
    template = spec.fresh_state("template")
    slots = leaves(template)
    step = spec.successor(template, "template")
    count = len(spec.actions)
    # Next over the template with the choice as Bools: "selector == k" becomes "takes k"
    hot, chosen = one_hot(step.selector, count, "template")
    choice = [(step.selector == k, hot[k]) for k in range(count)]
    pack = z3.Function("next", *(t.sort() for t in leaves(step.after)), z3.BoolSort())
    packed = z3.substitute(
        z3.substitute(pack(*leaves(step.after)), *choice), (step.selector, chosen)
    )
    constraint = z3.substitute(z3.substitute(step.constraint, *choice), (step.selector, chosen))
    constraint = z3.And(constraint, z3.PbEq([(h, 1) for h in hot], 1))
    broken_in_template = z3.Or(*(z3.Not(f(template)) for _, f in properties))
    watch = getattr(spec, "overflow", None)
    full_in_template = watch(template) if watch is not None else z3.BoolVal(False)
    ind = independence(template, spec.actions, spec.apply) if reduction else None
    current = leaves(spec.initial_state())
    states = [spec.initial_state()]
    steps: list[_Unrolled] = []
    asserted: list[z3.BoolRef] = []
    previous: list[z3.BoolRef] | None = None
    blocked: list[z3.BoolRef] | None = None
    for k in range(depth + 1):
        if k > 0:
            took, selector = one_hot(step.selector, count, f"s{k}")
            pairs = [*zip(slots, current, strict=True), *zip(hot, took, strict=True)]
            current = list(z3.substitute(packed, *pairs).children())
            asserted.append(z3.substitute(constraint, *pairs))
            if ind is not None and previous is not None:
                constraints, blocked = normal_form(ind, previous, took, blocked, f"s{k}")
                asserted.extend(constraints)
            previous = took
            after = with_leaves(template, current)
            steps.append(_Unrolled(states[-1], after, selector, z3.BoolVal(True)))
            states.append(after)
        here = list(zip(slots, current, strict=True))
        broken = z3.substitute(broken_in_template, *here)
        full = z3.substitute(full_in_template, *here)
        if k >= start:
            solver = sat_solver(timeout_ms, restart)
            solver.add(*asserted, z3.Or(broken, full))
            result = _timed_check(solver, log, f"depth {k}", progress)
            if result == z3.unknown:
                return _unknown(solver, k, log)
            if result == z3.sat:
                model = solver.model()
                if z3.is_true(model.eval(broken, model_completion=True)):
                    decoded, actions, names = _failing(spec, model, states, steps, properties)
                    return Outcome("counterexample", k, decoded, actions, names, checks=log)
                return Outcome("overflow", k, reason="a container is full", checks=log)
        # no path of k steps breaks a property or fills a container: assert so at depth k
        asserted.append(z3.Not(z3.Or(broken, full)))
    return Outcome("proved", depth, checks=log)


def _bmc_fresh(
    spec: SymbolicSpec,
    properties: Sequence[tuple[str, Formula]],
    depth: int,
    progress: Progress | None,
    timeout_ms: int,
) -> Outcome:
    """BMC with fresh state variables per depth and a new solve-eqs solver per depth."""
    log: list[dict[str, Any]] = []
    states = [spec.fresh_state("s0")]
    steps: list[Transition] = []
    constraints = [spec.init(states[0])]
    for k in range(depth + 1):
        if k > 0:
            t = spec.transition(states[-1], f"s{k}")
            steps.append(t)
            states.append(t.after)
            constraints.append(t.constraint)
        solver = make_solver(timeout_ms)
        solver.add(*constraints)
        solver.add(z3.Or(*(z3.Not(f(states[-1])) for _, f in properties)))
        result = _timed_check(solver, log, f"depth {k}", progress)
        if result == z3.sat:
            decoded, actions, broken = _failing(spec, solver.model(), states, steps, properties)
            return Outcome("counterexample", k, decoded, actions, broken, checks=log)
        if result == z3.unknown:
            return _unknown(solver, k, log)
        constraints.extend(f(states[-1]) for _, f in properties)
    return Outcome("proved", depth, checks=log)


def induction(
    spec: SymbolicSpec,
    properties: Sequence[tuple[str, Formula]],
    k: int = 1,
    *,
    progress: Progress | None = None,
    timeout_ms: int = 0,
) -> Outcome:
    """k-induction of the conjunction of ``properties`` (the invariant and its lemmas).

    Base: no path of fewer than k steps from Init breaks them. Step: k
    consecutive states that satisfy them all have no successor that breaks one.
    With k = 1 this is Init => Inv and Inv /\\ Next => Inv'.

    The last step is checked one action instance at a time: Next is their
    disjunction, so Inv /\\ Next => Inv' holds exactly when it holds for each,
    and each such query is small (the update is that instance's alone, not a
    chain of ``If`` over all of them). On the protocol spec this took the step
    of Leadership1 with lemmas from no answer in five minutes to about 20 s.
    The first instance with a counterexample to induction, in Next's order, is
    the one reported.
    """
    log: list[dict[str, Any]] = []
    properties = [*properties, ("TypeOK", spec.type_ok)]
    base = bmc(spec, properties, k - 1, progress=progress, timeout_ms=timeout_ms)
    log += base.checks
    if base.verdict != "proved":
        base.checks = log
        return base
    states = [spec.fresh_state("p0")]
    steps: list[Transition] = []
    prefix: list[z3.BoolRef] = [f(states[0]) for _, f in properties]
    for step in range(1, k):
        t = spec.transition(states[-1], f"p{step}")
        steps.append(t)
        states.append(t.after)
        prefix.append(t.constraint)
        prefix.extend(f(t.after) for _, f in properties)
    last = states[-1]
    for action in spec.actions:
        guard, after = spec.apply(last, action)
        # one check over a few states: z3's default solver does better than the BMC pipeline here
        solver = z3.Solver()
        if timeout_ms:
            solver.set("timeout", timeout_ms)
        solver.add(*prefix, guard)
        solver.add(z3.Or(*(z3.Not(f(after)) for _, f in properties)))
        result = _timed_check(solver, log, f"induction step (k = {k}), {action}", progress)
        if result == z3.unknown:
            return _unknown(solver, k, log)
        if result == z3.sat:
            decoded, actions, broken = _failing(
                spec, solver.model(), [*states, after], steps, properties, action
            )
            return Outcome("cti", k, decoded, actions, broken, checks=log)
    return Outcome("proved", k, checks=log)
