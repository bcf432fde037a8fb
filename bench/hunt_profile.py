"""Where a bug hunt's CPU goes, per phase, on one core: the reduction's persistent-step
analysis, the full successors, judging a persistent step, the invariants, and hashing.

The hunt (``zabmc check --bug BUG --coarse-election`` with the bounds given) is searched
twice in this process by the one-core breadth-first search (:func:`zabmc.engine.check_bfs`):
once as it is, for the CPU time a distinct state, and once with each phase wrapped in a
wall-clock timer (``perf_counter``; the wrappers cost CPU themselves, so compare phases with
each other, not with the plain run). Hashing is timed apart, on the successors of a sample
of the states (every ``--every``-th), since the search calls ``hash`` inline. A loaded
machine inflates the wall-clock parts: give the load (printed) with any figure.

    python bench/hunt_profile.py --bug ZK-4643 --bounds max_txns=2 max_epoch=3 \
        max_crashes=2 max_timeouts=0
    python bench/hunt_profile.py --bug ZK-3911 --skip-plain
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any


def build(bug: str, bounds: dict[str, int]) -> tuple[Any, Any, Any]:
    """The hunt's model, search options and expander, as ``zabmc check`` makes them."""
    from zabmc.cli.options import setup
    from zabmc.engine.checker import Checker

    spec = setup("system", {**bounds, "coarse_election": True}, bug, (), None, None)
    checker = Checker(spec.model).invariants(spec.invariants).reduction(True, False)
    options = checker.bfs_options()
    return spec.model, options, options.expander


def plain(bug: str, bounds: dict[str, int]) -> None:
    from zabmc.engine import check_bfs

    model, options, _ = build(bug, bounds)
    cpu = time.process_time()
    result = check_bfs(model, options)
    cpu = time.process_time() - cpu
    violation = result.violation
    print(
        f"plain: {result.distinct_states:,} distinct, {result.states_generated:,} generated, "
        f"violation {violation and violation.property} at {violation and len(violation.steps) - 1}"
        f" steps; CPU {cpu:.1f} s, {1e6 * cpu / result.distinct_states:.1f} us a distinct state,"
        f" load {os.getloadavg()[0]:.1f}"
    )


def timed(bug: str, bounds: dict[str, int], every: int) -> None:
    from zabmc.engine import check_bfs

    model, options, expander = build(bug, bounds)
    spent: Counter[str] = Counter()
    clock = time.perf_counter

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any) -> Any:
            start = clock()
            try:
                return fn(*args)
            finally:
                spent[name] += clock() - start

        return timed_call

    base = getattr(expander, "_base", None)
    if base is not None:  # a PersistentStepExpander over the full expansion
        successors = base._successors
        base._successors = wrap("full successors", lambda s: list(successors(s)))
        expander._step_of = wrap("persistent step (spec)", expander._step_of)
        expander._progress = wrap("progress", expander._progress)
        expander._parts_changed = wrap("parts changed", expander._parts_changed)
        if expander._closed is not None:
            expander._closed = wrap("goal closed", expander._closed)
    checker = model.invariant_checker
    model.invariant_checker = lambda invariants: wrap("invariants", checker(invariants))
    sample: list[Any] = []
    seen = [0]

    def on_state(state: Any) -> None:
        seen[0] += 1
        if seen[0] % every == 0:
            sample.append(state)

    options.on_state = on_state
    expand, rest = expander.expand, expander.expand_rest
    expander.expand = wrap("expand (all of it)", expand)
    expander.expand_rest = wrap("expand (all of it)", rest)
    start = clock()
    result = check_bfs(model, options)
    total = clock() - start
    succs = [t for s in sample for _, t in model.successors(s)]
    start = clock()
    for t in succs:
        hash(t)
    per_hash = (clock() - start) / max(len(succs), 1)
    spent["hash (estimated: sample)"] = per_hash * result.states_generated
    n = result.distinct_states
    print(f"timed: wall {total:.1f} s, load {os.getloadavg()[0]:.1f}; per distinct state:")
    for name, seconds in spent.most_common():
        print(f"  {name:26s} {seconds:7.1f} s  {1e6 * seconds / n:6.2f} us")
    print(
        f"  taken alone {getattr(expander, 'taken_alone', 0):,}, "
        f"refused {getattr(expander, 'refused', 0):,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bug", default="ZK-4643")
    parser.add_argument("--bounds", nargs="*", default=[], help="name=value, as zabmc check's")
    parser.add_argument("--every", type=int, default=50, help="sample for the hash timing")
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    bounds = {}
    for item in args.bounds:
        name, _, value = item.partition("=")
        bounds[name] = int(value)
    if not args.skip_plain:
        plain(args.bug, bounds)
    timed(args.bug, bounds, args.every)


if __name__ == "__main__":
    main()
