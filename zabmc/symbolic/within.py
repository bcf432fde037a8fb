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

**Server symmetry** (``symmetry``, ``zabmc prove --symmetry``): where the spec
declares its servers interchangeable (``symmetric_servers``) and the property is
one of its own (symmetric, as TLC's SYMMETRY needs too), a path mapped by a
permutation of the servers is a path, and it breaks the property where the
original does. Every path has exactly one image in which servers *first
appear* (as an argument of a step, in step order, then argument order) in the
order s1, s2, s3, ...: rename the k-th server to appear to s_k. So BMC may look
at those paths only; the persistent steps' rule is symmetric (the declared
conditions name no server), so they combine, but the trace normal form does not
(its order of instances names servers), and is turned off.

**Frames** (``frames``, with ``persistent``; ``zabmc prove --frames``): K counts
frames, each a step and then, where one is enabled (and the path does not end
there, at a violation), a forced receipt, as the explicit reduced search counts a
persistent step as no level of depth. The paths are the persistent rule's: a
forced step after a frame's step is the forced step the rule takes next anyway.
A path of K frames has K to 2K steps.

**Receipt frames** (``receipt_frames`` F, ``zabmc prove --receipt-frames F``): frames
that keep a path's length. ``depth`` K still counts steps; the unrolling has F frames,
each a step and then a slot that takes one of the spec's declared persistent steps (where
declared, visible or not) or stays idle, as the model chooses, and at most K of the 2F
slots take a step. Nothing is forced, so every path found is a path of the spec of its own
length; what the frames cut is the unrolling (F < K), and an unsatisfiable query covers
only the paths of at most K steps that fit in F such frames (every path when F = K).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import z3

from zabmc.symbolic.prove import (
    RESTART,
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


def first_appearance_order(actions: Sequence[Any], servers: int) -> list[tuple[int, list[int]]]:
    """For symmetry breaking: per instance, the servers that must have appeared before a
    step takes it, so that servers first appear in the order 0, 1, 2, ...

    An instance's argument at position p, server x, is a first appearance in order only
    if every server below x appeared before the step or is an argument before p.
    """
    needs = []
    for k, action in enumerate(actions):
        args = tuple(action.args)
        need = sorted(
            {m for p, x in enumerate(args) for m in range(min(x, servers)) if m not in args[:p]}
        )
        needs.append((k, need))
    return needs


def first_appearance(
    actions: Sequence[Any],
    needs: list[tuple[int, list[int]]],
    took: Sequence[z3.BoolRef],
    appeared: list[z3.BoolRef],
    name: str,
) -> tuple[list[z3.BoolRef], list[z3.BoolRef]]:
    """One step's symmetry-breaking constraints (servers first appear in the order s1, s2,
    ...), given which servers ``appeared`` before it; and which have appeared after it."""
    constraints = [
        z3.Implies(took[t], z3.And(*(appeared[m] for m in need))) for t, need in needs if need
    ]
    after = []
    for m, before in enumerate(appeared):
        touching = [took[t] for t, a in enumerate(actions) if m in a.args]
        flag = z3.Bool(f"{name}.appeared{m}")
        constraints.append(flag == z3.Or(before, *touching))
        after.append(flag)
    return constraints, after


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


def declared_persistent(spec: SymbolicSpec, template: Any) -> list[tuple[int, Any, Any]]:
    """Every persistent step the spec declares: (instance, guard, when declared), visible
    ones included (a receipt frame may take one: it is a real step either way)."""
    steps = getattr(spec, "persistent_steps", None)
    if steps is None:
        return []
    return [(t, spec.apply(template, spec.actions[t])[0], cond) for t, cond in steps(template)]


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
    symmetry: bool = False,
    frames: bool = False,
    receipt_frames: int | None = None,
    restart: str = RESTART,
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
    With ``symmetry`` servers first appear in the order s1, s2, ... (the spec must
    declare ``symmetric_servers``; "proved" keeps its meaning); with ``frames`` (and
    ``persistent``) ``depth`` counts frames of a step and its forced receipt;
    ``restart`` is the SAT solver's restart strategy (:func:`sat_solver`).
    With ``receipt_frames`` F (length-preserving frames, module docstring), ``depth``
    still counts steps: the unrolling has F frames, each a step and then, optionally,
    a declared receipt, and the path has at most ``depth`` steps; "proved" is then of
    the paths of at most ``depth`` steps laid out in at most F such frames.
    """
    if frames and not persistent:
        raise ValueError("frames are of a step and its forced receipt: they need persistent")
    if receipt_frames is not None and (persistent or frames):
        raise ValueError("receipt frames take a receipt optionally: not with persistent or frames")
    if receipt_frames is not None and not 1 <= receipt_frames <= depth:
        raise ValueError(f"receipt frames must be 1 to {depth}, got {receipt_frames}")
    unit = "frames" if frames else "steps"
    if receipt_frames is not None:
        unit = f"steps in {receipt_frames} frames"
    servers = getattr(spec, "symmetric_servers", None) if symmetry else None
    if symmetry and servers is None:
        raise ValueError("the spec declares no server symmetry")
    log: list[dict[str, Any]] = []
    template = spec.fresh_state("template")
    count = len(spec.actions)
    step = step_or_idle(spec, template)
    broken_in_template = z3.Or(*(z3.Not(f(template)) for _, f in properties))
    watch = getattr(spec, "overflow", None)
    full_in_template = watch(template) if watch is not None else z3.BoolVal(False)
    if persistent or symmetry or receipt_frames is not None:
        # the normal form may need a path these rules forbid (or a layout the frames lack)
        reduction = False
    ind = independence(template, spec.actions, spec.apply) if reduction else None
    declared = invisible_persistent(spec, template, broken_in_template) if persistent else []
    receipts = declared_persistent(spec, template) if receipt_frames is not None else []
    needs = first_appearance_order(spec.actions, servers) if servers is not None else []
    appeared: list[z3.BoolRef] = [z3.BoolVal(False)] * (servers or 0)
    path = _Unrolling(spec, template, step, broken_in_template, full_in_template)
    states = [spec.initial_state()]
    steps: list[_Unrolled] = []
    taken: list[z3.BoolRef] = []
    asserted = path.asserted
    previous: list[z3.BoolRef] | None = None
    states_b: list[Any] = []  # with frames: the state after each frame's forced receipt
    steps_b: list[_Unrolled] = []
    taken_b: list[z3.BoolRef] = []
    blocked: list[z3.BoolRef] | None = None
    for k in range(1, (depth if receipt_frames is None else receipt_frames) + 1):
        took, selector = one_hot(step.selector, count, f"s{k}", default=count)
        if declared:
            # a declared step enabled in the state before this step: this step takes one
            options = [(path.now(guard), path.now(cond), took[t]) for t, guard, cond in declared]
            one_enabled = z3.Or(*(z3.And(g, c) for g, c, _ in options))
            takes_one = z3.Or(*(z3.And(x, c) for _, c, x in options))
            asserted.append(z3.Implies(z3.And(one_enabled, z3.Or(*took)), takes_one))
        if needs:
            # a frame's forced receipt is left out: an order of first appearance over the
            # frames' steps alone is as good (each path has a renaming that keeps it)
            constraints, appeared = first_appearance(spec.actions, needs, took, appeared, f"s{k}")
            asserted.extend(constraints)
        broken_before = path.broken
        after = path.advance(took)
        moves = z3.Or(*took)
        if taken:
            asserted.append(z3.Implies(moves, taken[-1]))
        if stop_at_violation:
            asserted.append(z3.Implies(broken_before, z3.Not(moves)))
        taken.append(moves)
        if ind is not None and previous is not None:
            constraints, blocked = normal_form(ind, previous, took, blocked, f"s{k}")
            asserted.extend(constraints)
        previous = took
        before = states_b[-1] if states_b else states[-1]
        steps.append(_Unrolled(before, after, selector, z3.BoolVal(True)))
        states.append(after)
        if frames:
            # the frame's second step: a forced receipt, taken whenever one is enabled
            # (unless the path ends here, at a violation), else idle
            options_b = [(t, path.now(z3.And(guard, cond))) for t, guard, cond in declared]
            forced = {t: z3.Bool(f"s{k}.forced{t}") for t, _ in options_b}
            took_b = [forced.get(t, z3.BoolVal(False)) for t in range(count)]
            selector_b = _selector(step.selector, took_b, count)
            broken_mid = path.broken
            after_b = path.advance(took_b)
            moves_b = z3.Or(*forced.values())
            asserted.extend(z3.Implies(forced[t], e) for t, e in options_b)
            enabled_b = z3.Or(*(e for _, e in options_b))
            asserted.append(moves_b == z3.And(moves, z3.Not(broken_mid), enabled_b))
            taken_b.append(moves_b)
            steps_b.append(_Unrolled(states[-1], after_b, selector_b, z3.BoolVal(True)))
            states_b.append(after_b)
        elif receipt_frames is not None:
            # the frame's second step: a declared receipt or idle, as the model chooses (a
            # real step either way, so the path is one of the spec's, of its own length)
            options_b = [(t, path.now(z3.And(guard, cond))) for t, guard, cond in receipts]
            chosen = {t: z3.Bool(f"s{k}.receipt{t}") for t, _ in options_b}
            took_b = [chosen.get(t, z3.BoolVal(False)) for t in range(count)]
            selector_b = _selector(step.selector, took_b, count)
            broken_mid = path.broken
            after_b = path.advance(took_b)  # at most one, and its guard holds
            moves_b = z3.Or(*chosen.values())
            asserted.extend(z3.Implies(chosen[t], e) for t, e in options_b)
            asserted.append(z3.Implies(moves_b, z3.And(moves, z3.Not(broken_mid))))
            taken_b.append(moves_b)
            steps_b.append(_Unrolled(states[-1], after_b, selector_b, z3.BoolVal(True)))
            states_b.append(after_b)
    if receipt_frames is not None:
        asserted.append(z3.AtMost(*taken, *taken_b, depth))
    broken, fills = path.broken, path.fills
    solver = sat_solver(timeout_ms, restart)
    solver.add(*asserted, broken)
    result = _timed_check(solver, log, f"a violation within {depth} {unit}", progress)
    if result == z3.unknown:
        return _unknown(solver, depth, log)
    if result == z3.sat:
        model = solver.model()
        path_states, path_steps = _taken_path(
            model, states, steps, taken, states_b, steps_b, taken_b
        )
        decoded, actions, names = _failing(spec, model, path_states, path_steps, properties)
        return Outcome("counterexample", len(path_steps), decoded, actions, names, checks=log)
    # no path of the encoding breaks a property; exact only if none fills a channel
    solver = sat_solver(timeout_ms, restart)
    solver.add(*asserted, z3.Or(*fills))
    result = _timed_check(solver, log, f"a full channel within {depth} {unit}", progress)
    if result == z3.unknown:
        return _unknown(solver, depth, log)
    if result == z3.sat:
        model = solver.model()
        length = len(_taken_path(model, states, steps, taken, states_b, steps_b, taken_b)[1])
        return Outcome("overflow", length, reason="a container is full", checks=log)
    return Outcome("proved", depth, checks=log)


class _Unrolling:
    """The unrolled path so far: the current state's terms (over Init and the choices made),
    the constraints the steps assert, and per state whether a property is broken there and
    whether a channel is full (``fills``, one per state so far)."""

    def __init__(
        self,
        spec: SymbolicSpec,
        template: Any,
        step: StepOrIdle,
        broken_in_template: z3.BoolRef,
        full_in_template: z3.BoolRef,
    ) -> None:
        self.template = template
        self.slots = leaves(template)
        self.step = step
        self.broken_in_template = broken_in_template
        self.full_in_template = full_in_template
        self.current: list[z3.ExprRef] = leaves(spec.initial_state())
        self.asserted: list[z3.BoolRef] = []
        self.fills: list[z3.BoolRef] = []
        self.broken = self._observe()

    def now(self, term: z3.ExprRef) -> Any:
        """``term``, over the template, in the current state."""
        return z3.substitute(term, *zip(self.slots, self.current, strict=True))

    def advance(self, took: Sequence[z3.BoolRef]) -> Any:
        """One step or idle (``took``: one Bool per instance, at most one true): assert its
        constraint, move to the state after it, and return that state."""
        pairs = [
            *zip(self.slots, self.current, strict=True),
            *zip(self.step.hot, took, strict=True),
        ]
        self.current = list(z3.substitute(self.step.packed, *pairs).children())
        self.asserted.append(z3.substitute(self.step.constraint, *pairs))
        self.broken = self._observe()
        return with_leaves(self.template, self.current)

    def _observe(self) -> z3.BoolRef:
        self.fills.append(self.now(self.full_in_template))
        return self.now(self.broken_in_template)


def _selector(template_selector: z3.ExprRef, hot: list[Any], count: int) -> Any:
    """The selector ``hot`` stands for (as :func:`zabmc.symbolic.prove.one_hot`'s)."""
    sort = template_selector.sort()
    selector: Any = z3.BitVecVal(count, sort)
    for k in range(count - 1, -1, -1):
        if not z3.is_false(hot[k]):
            selector = z3.If(hot[k], z3.BitVecVal(k, sort), selector)
    return selector


def _taken_path(
    model: z3.ModelRef,
    states: list[Any],
    steps: list[_Unrolled],
    taken: list[z3.BoolRef],
    states_b: list[Any],
    steps_b: list[_Unrolled],
    taken_b: list[z3.BoolRef],
) -> tuple[list[Any], list[_Unrolled]]:
    """The states and steps a model takes, in order: each frame's step, then its forced
    receipt if it took one (without frames there are none, and the idle steps are the tail)."""

    def took(t: z3.BoolRef) -> bool:
        return z3.is_true(model.eval(t, model_completion=True))

    path_states, path_steps = [states[0]], []
    for k, (a_taken, a_step) in enumerate(zip(taken, steps, strict=True)):
        if not took(a_taken):
            break
        path_states.append(states[k + 1])
        path_steps.append(a_step)
        if states_b and took(taken_b[k]):
            path_states.append(states_b[k])
            path_steps.append(steps_b[k])
    return path_states, path_steps
