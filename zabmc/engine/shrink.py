"""Shrinking a counterexample: a shorter path that still breaks the same invariant.

A candidate is a sequence of action labels, replayed from the path's initial
state: an action that is not enabled where it comes is skipped, and the
replay stops at the first state that breaks an invariant. The candidate is
kept when that invariant is the one the original path broke first, and what
it keeps is the path the replay actually took, so every step of the result is
a legal transition and its last state the first violation.

Faults go first: the shrinker tries to drop every step the model marks as a
fault (:meth:`Model.is_fault`), then each one alone, so that the result needs
as few crashes and timeouts as it can. Then delta debugging (Zeller's ddmin,
complement removal) drops ever smaller chunks of steps until no single step
can go. Everything is deterministic: the same path shrinks to the same path.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from zabmc.engine.model import Action, Model, Property
from zabmc.engine.result import Discovery, Step

Attempt = Callable[[Sequence[Action]], "list[Step] | None"]


def replayer(
    model: Model, initial: Hashable, invariants: Sequence[Property], target: str
) -> Attempt:
    """A function that replays actions and returns the path when it breaks ``target`` first."""
    checks = [(p.name, p.condition) for p in invariants]

    def attempt(actions: Sequence[Action]) -> list[Step] | None:
        state = initial
        path = [Step(None, state)]
        for action in actions:
            state_after = next((t for a, t in model.successors(state) if a == action), None)
            if state_after is None:
                continue
            state = state_after
            path.append(Step(action, state))
            failed = next((name for name, cond in checks if not cond(state)), None)
            if failed is not None:
                return path if failed == target else None
        return None

    return attempt


def labels(path: Sequence[Step]) -> list[Action]:
    return [s.action for s in path[1:] if s.action is not None]


def drop_faults(model: Model, path: list[Step], attempt: Attempt) -> list[Step]:
    """Remove every fault at once if that still fails, else each fault alone, latest first."""
    actions = labels(path)
    if any(model.is_fault(a) for a in actions):
        shorter = attempt([a for a in actions if not model.is_fault(a)])
        if shorter is not None:
            return shorter
    position = len(actions) - 1
    while position >= 0:
        if position < len(actions) and model.is_fault(actions[position]):
            shorter = attempt(actions[:position] + actions[position + 1 :])
            if shorter is not None:
                path, actions = shorter, labels(shorter)
        position -= 1
    return path


def ddmin(path: list[Step], attempt: Attempt) -> list[Step]:
    """Delta debugging: remove chunks of steps, halving the chunk size when none can go."""
    actions = labels(path)
    parts = 2
    while len(actions) >= 2:
        size = -(-len(actions) // parts)
        for start in range(0, len(actions), size):
            shorter = attempt(actions[:start] + actions[start + size :])
            if shorter is not None:
                path, actions = shorter, labels(shorter)
                parts = max(parts - 1, 2)
                break
        else:
            if size == 1:
                break
            parts = min(parts * 2, len(actions))
    return path


def shrink(model: Model, found: Discovery, invariants: Sequence[Property]) -> Discovery:
    """A path no longer than ``found`` that breaks the same invariant first."""
    if found.property is None:
        return found
    attempt = replayer(model, found.steps[0].state, invariants, found.property)
    path = attempt(labels(found.steps))
    if path is None:  # the path does not replay as recorded: leave it alone
        return found
    while True:
        length = len(path)
        path = ddmin(drop_faults(model, path, attempt), attempt)
        if len(path) == length:
            break
    return Discovery(found.kind, found.property, tuple(path), found.explanation)


__all__ = ["ddmin", "drop_faults", "replayer", "shrink"]
