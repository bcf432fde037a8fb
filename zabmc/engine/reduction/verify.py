"""Checking a spec's mover declarations against the definition, state by state.

LTSmin checks each stubborn set it builds against the definition
(``pins2pins-por-check.c``); this does the same for right movers, on a set of
states (a whole small state space, in the tests). For each state ``s`` and each
step ``s -a-> t`` declared a right mover of process ``p``:

* every part of the state it changes is among the parts it declares written;
* for each step ``t -b-> u`` that does not involve ``p``, ``b`` is enabled at ``s``
  and ``s -b-> s1 -a-> u``: the mover commutes to the right of ``b``;
* at ``s1``, ``a`` is still declared a right mover (the declaration is stable).

And for persistent steps, :func:`check_persistent_steps` follows every path of other
steps from each state, a few steps deep, and checks that each of them commutes with the
declared step or overwrites it (the promise of
:meth:`zabmc.engine.reduction.movers.Movers.persistent_step`). Given the properties, it
also checks at each state of those paths what the engine relies on for each property:
that the step leaves the property's value as it was where the property reads nothing the
step changed at the first state, and otherwise, where the spec declares the property
goal-closed under the step, that the step takes no state of the goal set out of it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from zabmc.engine.model import Action, Expectation, Model, Property
from zabmc.engine.reduction.movers import Movers, changed_parts, goal_closed, parts_changed


def check_right_movers(
    model: Model, movers: Movers, states: Iterable[Hashable], limit: int = 10
) -> tuple[int, list[str]]:
    """How many mover steps were checked, and up to ``limit`` failures, each described."""
    failures: list[str] = []
    checked = 0
    for s in states:
        here = dict(model.successors(s))
        for a, t in here.items():
            writes = movers.right_mover(s, a, t)
            if writes is None:
                continue
            checked += 1
            p = movers.process(a)
            extra = parts_changed(movers, s, t) - writes
            if extra:
                failures.append(f"{a} writes {sorted(extra)}, not declared")
            for b, u in model.successors(t):
                if p in movers.involves(b):
                    continue
                s1 = here.get(b)
                if s1 is None:
                    failures.append(f"{b} is enabled after the mover {a} but not before it")
                    continue
                after = dict(model.successors(s1)).get(a)
                if after != u:
                    failures.append(f"{a} does not commute to the right of {b}")
                elif movers.right_mover(s1, a, after) is None:
                    failures.append(f"{a} is no longer a right mover after {b}")
            if len(failures) >= limit:
                return checked, failures[:limit]
    return checked, failures


def check_persistent_steps(
    model: Model,
    movers: Movers,
    states: Iterable[Hashable],
    depth: int = 3,
    limit: int = 10,
    properties: Sequence[Property] = (),
) -> tuple[int, list[str]]:
    """How many declared persistent steps were checked, and up to ``limit`` failures.

    For each state ``s`` whose declared persistent step is ``t``, every path of up to
    ``depth`` other steps ``b`` from ``s`` is followed. At each state ``u`` on it (``t``
    enabled there, leading to ``tu``), a step ``u -b-> u1`` must either commute with ``t``
    (``b`` is enabled at ``tu`` and leads to ``t``'s successor of ``u1``, and ``t`` is
    enabled at ``u1``), or overwrite it (``t`` is disabled at ``u1``, and ``b`` from ``tu``
    also reaches ``u1``), which ends that path. ``t`` must also change, at each ``u``, no
    more than it changes at ``s``: the parts it writes must not depend on the others' moves.

    With ``properties``, at each such ``u`` (``s`` included) and for each property ``P``:
    if ``P`` reads none of the parts ``t`` changes at ``s``, ``P`` has the same value at
    ``u`` and ``tu``; otherwise, if the spec declares ``P`` goal-closed under ``t`` at ``s``
    and ``s`` is not in ``P``'s goal set (violating an invariant, holding a witness), ``u``
    in the goal set implies ``tu`` in it.
    """
    failures: list[str] = []
    checked = 0

    def step_of(u: Hashable, label: Action) -> Hashable | None:
        return next((t for a, t in model.successors(u) if a == label), None)

    for s in states:
        declared = movers.persistent_step(s)
        if declared is None:
            continue
        checked += 1
        label, first = declared
        if first not in [t for a, t in model.successors(s) if a == label]:
            failures.append(f"{label} is declared at a state where it is not a step")
            continue
        writes = parts_changed(movers, s, first)
        unread: list[Property] = []
        closed: list[Property] = []
        for prop in properties:
            reads = movers.property_reads(prop.name)
            if reads is not None and not writes & reads:
                unread.append(prop)
            elif (
                reads is not None
                and goal_closed(movers, prop.name, s, label, first)
                and not _goal(prop, s)  # a goal here is reached here: nothing to keep
            ):
                closed.append(prop)

        _judge(label, unread, closed, s, first, failures)
        frontier: list[tuple[Hashable, Hashable]] = [(s, first)]
        for _ in range(depth):
            following: dict[tuple[Hashable, Hashable], None] = {}  # in order, each once
            for u, tu in frontier:
                for b, u1 in model.successors(u):
                    if b == label:
                        continue
                    tu1 = step_of(u1, label)
                    after = step_of(tu, b)
                    if tu1 is None:
                        if after != u1:
                            failures.append(f"{b} disables {label} without overwriting it")
                    elif after != tu1:
                        failures.append(f"{label} does not commute with {b}")
                    elif not parts_changed(movers, u1, tu1) <= writes:
                        failures.append(f"{label} writes more after {b} than where declared")
                    elif (u1, tu1) not in following:
                        following[u1, tu1] = None
                        _judge(label, unread, closed, u1, tu1, failures)
            if len(failures) >= limit:
                return checked, failures[:limit]
            frontier = list(following)
    return checked, failures


def _goal(prop: Property, u: Hashable) -> bool:
    """``u`` is in the goal set of ``prop``: it violates the invariant, or the witness holds."""
    holds = prop.condition(u)
    return not holds if prop.expectation is Expectation.ALWAYS else holds


def _judge(
    label: Action,
    unread: Sequence[Property],
    closed: Sequence[Property],
    u: Hashable,
    tu: Hashable,
    failures: list[str],
) -> None:
    """What the engine relies on for each property, at ``u`` and the step's ``tu``."""
    for prop in unread:
        if prop.condition(u) != prop.condition(tu):
            failures.append(f"{label} changes {prop.name}, which reads nothing it writes")
    for prop in closed:
        if _goal(prop, u) and not _goal(prop, tu):
            failures.append(f"{label} takes a state out of {prop.name}'s goal")


__all__ = ["changed_parts", "check_persistent_steps", "check_right_movers"]
