"""Breadth-first search of every reachable state, like TLC's default mode.

The seen set maps each state's 64-bit fingerprint to its parent's, so memory
grows with fingerprints, not states; only the current frontier holds whole
states. A violation's path is rebuilt by replaying the model from an initial
state and following the fingerprints, which is why ``successors`` must be
deterministic. Breadth-first order makes that path a shortest one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mypy_extensions import mypyc_attr

from zabmc.engine.collector import uncollected
from zabmc.engine.expansion import Expander, FullExpander, is_free, unfold
from zabmc.engine.model import Model
from zabmc.engine.properties import explain, select_properties, state_key_function
from zabmc.engine.result import ActionStats, CheckResult, Discovery, Progress, Step


@mypyc_attr(native_class=False)  # copied with dataclasses.replace and pickled, as it was
@dataclass
class CheckOptions:
    """How to search.

    ``max_depth`` bounds the number of actions from an initial state (None:
    no bound). ``invariants`` selects properties by name (None: every
    ``always`` property). ``symmetry`` merges states that differ only by a
    permutation of ids; the model must support it.
    """

    max_depth: int | None = None
    invariants: Sequence[str] | None = None
    check_deadlock: bool = True
    symmetry: bool = False
    progress: Callable[[Progress], None] | None = None
    progress_interval_s: float = 1.0
    #: Called with each new distinct state (the one explored, not its canonical form).
    on_state: Callable[[Hashable], None] | None = None
    #: What gives each state's successors (None: all of them, ``FullExpander``); a
    #: reducing one (:mod:`zabmc.engine.reduction`) must be built for the same properties.
    expander: Expander | None = None


def check_bfs(model: Model, options: CheckOptions | None = None) -> CheckResult:
    """Explore ``model`` breadth-first and check its properties."""
    with uncollected():  # states hold no cycles (zabmc.engine.collector)
        return _check_bfs(model, options or CheckOptions())


def _check_bfs(model: Model, options: CheckOptions) -> CheckResult:
    invariants, witnesses = select_properties(model, options.invariants)
    key = state_key_function(model, options.symmetry)
    identity_key = not options.symmetry and type(model).view is Model.view

    result = CheckResult(symmetry=options.symmetry)
    stats: dict[str, ActionStats] = {}
    seen: dict[int, int | None] = {}
    raw_seen: set[int] = set()
    witnessed: dict[str, int] = {}
    broken = model.invariant_checker(invariants)
    pending_witnesses = [(p.name, p.condition) for p in witnesses]
    started = time.monotonic()
    last_report = started
    violation: tuple[str, str | None, int] | None = None  # kind, property, fingerprint

    on_state = options.on_state

    def examine(state: Hashable, fp: int) -> tuple[str, str | None, int] | None:
        """Check a newly found state; return a violation or None."""
        if on_state is not None:
            on_state(state)
        name = broken(state)
        if name is not None:
            return ("invariant", name, fp)
        if pending_witnesses:
            for name, cond in list(pending_witnesses):
                if cond(state):
                    witnessed[name] = fp
                    pending_witnesses.remove((name, cond))
        return None

    frontier: list[tuple[Hashable, int]] = []
    for state in model.init_states():
        result.states_generated += 1
        fp = hash(state if identity_key else key(state))
        if fp in seen:
            continue
        seen[fp] = None
        frontier.append((state, fp))
        violation = examine(state, fp)
        if violation:
            break
    result.states_per_depth.append(len(frontier))

    depth = 0
    expanded = 0
    generated = result.states_generated
    expander = options.expander or FullExpander(model)
    # The violation is tested in the loop, not in its condition: mypy would take it for None
    # all through the body (and a compiled search would then refuse the one it finds).
    while frontier:
        if violation is not None:
            break
        if options.max_depth is not None and depth >= options.max_depth:
            break
        next_frontier: list[tuple[Hashable, int]] = []
        for position, (state, fp) in enumerate(frontier, start=1):
            fired = False
            expansion = expander.expand(state)
            batch = expansion.successors
            owed = not expansion.complete
            # A free successor (a persistent step) belongs to this level: it joins the
            # frontier being explored, which the loop above goes on to.
            free = expansion.free
            target = frontier if free is True else next_frontier
            while True:
                found = len(frontier) + len(next_frontier)
                for index, (action, succ) in enumerate(batch):
                    if type(free) is not bool:
                        target = frontier if is_free(free, index) else next_frontier
                    fired = True
                    generated += 1
                    st = stats.get(action.name)
                    if st is None:
                        st = stats[action.name] = ActionStats()
                    st.generated += 1
                    if identity_key:
                        sfp = hash(succ)
                    else:
                        # Canonical forms are costly; a concrete state met before has
                        # been canonicalized before, so skip it by its own fingerprint.
                        raw = hash(succ)
                        if raw in raw_seen:
                            continue
                        raw_seen.add(raw)
                        sfp = hash(key(succ))
                    if sfp in seen:
                        continue
                    seen[sfp] = fp
                    st.distinct += 1
                    target.append((succ, sfp))
                    violation = examine(succ, sfp)
                    if violation:
                        break
                if violation or not owed or len(frontier) + len(next_frontier) > found:
                    break
                # The cycle proviso: none of the reduced set was new, so take the rest.
                batch, owed, free, target = expander.expand_rest(state), False, False, next_frontier
            if violation:
                break
            expanded += 1
            if not expanded & 0xFF and options.progress is not None:
                now = time.monotonic()
                if now - last_report >= options.progress_interval_s:
                    last_report = now
                    queued = len(frontier) - position + len(next_frontier)
                    options.progress(
                        Progress(depth + 1, generated, len(seen), queued, now - started)
                    )
            if not fired and options.check_deadlock and not model.is_final(state):
                violation = ("deadlock", None, fp)
                break
        depth += 1
        result.states_per_depth[-1] = len(frontier)  # with the free successors it gained
        result.states_per_depth.append(len(next_frontier))
        frontier = next_frontier

    while result.states_per_depth and result.states_per_depth[-1] == 0:
        result.states_per_depth.pop()
    result.states_generated = generated
    result.distinct_states = len(seen)
    result.max_depth = len(result.states_per_depth) - 1
    result.complete = not frontier and violation is None
    result.actions = stats
    result.elapsed_s = time.monotonic() - started
    describe = getattr(expander, "describe", None)
    result.reduction = describe() if describe is not None else None

    fingerprint = (lambda s: hash(s)) if identity_key else (lambda s: hash(key(s)))
    if violation is not None:
        kind, prop, vfp = violation
        steps = rebuild_path(model, fingerprint, seen, vfp, expander)
        explanation = ""
        if prop is not None:
            explanation = explain(invariants, prop, steps[-1].state)
        result.violation = Discovery(kind, prop, steps, explanation)
    for p in witnesses:
        wfp = witnessed.get(p.name)
        result.examples[p.name] = (
            None
            if wfp is None
            else Discovery("example", p.name, rebuild_path(model, fingerprint, seen, wfp, expander))
        )
    return result


class Parents(Protocol):
    """A search's parent of each fingerprint it met (None for an initial state): the seen
    dict of :func:`check_bfs`, or the partitions' stores asked one by one."""

    def __getitem__(self, fp: int, /) -> int | None: ...


def rebuild_path(
    model: Model,
    fingerprint: Callable[[Hashable], int],
    parents: Parents,
    target: int,
    expander: Expander | None = None,
) -> tuple[Step, ...]:
    """Replay the model from an initial state along the fingerprints leading to ``target``.

    At each step the first successor (in the expander's order) with the next
    fingerprint is taken, so the path is the same every run. A chained successor
    is unfolded into the model's own steps, so the path is one of the unreduced model.
    """
    expander = expander or FullExpander(model)
    chain = [target]
    while (parent := parents[chain[-1]]) is not None:
        chain.append(parent)
    chain.reverse()
    current = next((s for s in model.init_states() if fingerprint(s) == chain[0]), None)
    if current is None:
        raise RuntimeError("no initial state has the path's first fingerprint")
    steps = [Step(None, current)]
    for fp in chain[1:]:
        expansion = expander.expand(current)
        candidates = list(expansion.successors)
        if not expansion.complete:
            candidates += expander.expand_rest(current)
        for action, succ in candidates:
            if fingerprint(succ) == fp:
                steps.extend(Step(a, t) for a, t in unfold(action, succ))
                current = succ
                break
        else:
            raise RuntimeError(
                "replay found no successor with the recorded fingerprint: "
                "the model's successors are not deterministic"
            )
    return tuple(steps)


__all__ = ["CheckOptions", "check_bfs", "rebuild_path"]
