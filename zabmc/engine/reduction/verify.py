"""Checking a spec's mover declarations against the definition, state by state.

LTSmin checks each stubborn set it builds against the definition
(``pins2pins-por-check.c``); this does the same for right movers, on a set of
states (a whole small state space, in the tests). For each state ``s`` and each
step ``s -a-> t`` declared a right mover of process ``p``:

* every part of the state it changes is among the parts it declares written;
* for each step ``t -b-> u`` that does not involve ``p``, ``b`` is enabled at ``s``
  and ``s -b-> s1 -a-> u``: the mover commutes to the right of ``b``;
* at ``s1``, ``a`` is still declared a right mover (the declaration is stable).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from zabmc.engine.model import Model
from zabmc.engine.reduction.movers import Movers


def changed_parts(before: Hashable, after: Hashable) -> set[str]:
    """The top-level fields of a NamedTuple state that differ (every field if not one)."""
    fields = getattr(before, "_fields", None)
    if fields is None:
        return set() if before == after else {"<state>"}
    return {f for f in fields if getattr(before, f) != getattr(after, f)}


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
            extra = changed_parts(s, t) - writes
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


__all__ = ["changed_parts", "check_right_movers"]
