"""How many states a search meets before any fault happens, with a fault left and without.

The persistent steps that change what a crash keeps (a learner's durable receipts, a vote
adoption, a decided server's answer: spec/system/zab_persistence.py and
spec/system/independence.py) are declared only where no fault is left: while a crash, a
timeout or a cut can still happen, each of them is dependent on it (the fault keeps or
drops its effect), and a persistent set holding one must hold the faults and, through them,
the whole cluster's steps. So with a fault in the bounds, the states where it has not
happened yet are searched with little reduction, and every one of them has the fault's
successors besides. This script measures that part: for each configuration it runs the
reduced search (zabmc check's default) twice, each in a fresh process:

* ``before``: with the configuration's bounds, but never taking a fault step (the model's
  ``is_fault``): the states reached before any fault, as the search with those bounds
  reaches them (the declarations still see a fault left). A lower bound on that search;
* ``none``: with every fault bound at 0, where the declarations see no fault left.

    python bench/before_faults.py                 # 3 servers, the default bounds
    python bench/before_faults.py --row '{"voters": 3}' before   # one run, as JSON

One run (2 shared cores, load 4 to 5, so take the times as rough):

    configuration                                      before fault depth      s   no fault      s
    {"voters": 3}                                         3,088,876    29  477.6    367,076   37.7
    {"voters": 3, "max_timeouts": 0, "max_crashes": 1}    3,088,876    29  461.7    367,076   23.2

The same states before a crash as before a timeout: every declaration that waits for the
faults asks that none of them be left.

``--after`` measures what follows (one configuration, the first unless ``--config`` names
another): the distinct states one fault step leads to from the states before any fault
(the roots of the searches that follow, with no fault left), by fault; then the searches
from a seeded uniform sample of those roots, each alone and then together:

    python bench/before_faults.py --after --sample 40 --seed 1     # the defaults

One run (2 shared cores, load about 2; one core searches; the 274.4 s is from before
CollectingRoots stopped expanding each state twice):

    roots after one fault: 3,670,355 (ZabTimeout(1) 1,874,588, ZabTimeout(0) 1,600,369,
    ZabTimeout(2) 193,623, FLENotmsgTimeout(0) 971, FLENotmsgTimeout(1) 662,
    FLENotmsgTimeout(2) 142), from 3,088,876 states before it, 274.4 s

    alone: 35 roots with one server LOOKING (a follower timed out): 35 to 6,502 states;
           5 with all three LOOKING (the leader lost its quorum, or timed out):
           50,426  783,541  1,117,555  1,658,602  1,822,116;
           median 393, sum 5,460,529
    together, the first 10 roots: 1,660,186 states, 44.1 s; all 40: 5,431,565, 137.9 s

A search from a root where every server looks again is a second Fast Leader Election with
the first round's notifications still on their way, then discovery, sync and broadcast; the
whole fault-free search from the initial state holds 367,076 states.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Hashable, Sequence
from typing import Any

from machine import describe, in_fresh_process

from zabmc.engine.expansion import Expander, Expansion, is_free
from zabmc.engine.model import Action, Model

#: 3 servers, the default bounds (one timeout), and the same with a crash instead.
CONFIGS: list[dict] = [
    {"voters": 3},
    {"voters": 3, "max_timeouts": 0, "max_crashes": 1},
]

FAULT_BOUNDS = ("max_crashes", "max_partitions", "max_timeouts")

MODES = ("before", "none")

#: How many roots ``--after`` searches from together, in turn (a prefix of the sample).
TOGETHER = (1, 3, 10, 40)


class WithoutFaults:
    """An expander that gives ``base``'s successors but the fault steps (``is_fault``)."""

    def __init__(self, base: Expander, model: Model) -> None:
        self._base = base
        self._fault = model.is_fault

    def expand(self, state: Hashable) -> Expansion:
        expansion = self._base.expand(state)
        kept = [k for k in range(len(expansion.successors)) if self._kept(expansion.successors[k])]
        free = expansion.free
        return expansion._replace(
            successors=[expansion.successors[k] for k in kept],
            free=free if type(free) is bool else [is_free(free, k) for k in kept],
        )

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        return [step for step in self._base.expand_rest(state) if self._kept(step)]

    def _kept(self, step: tuple[Action, Hashable]) -> bool:
        """Whether ``step`` is kept: it is no fault. A fault step goes to :meth:`_left_out`."""
        if not self._fault(step[0]):
            return True
        self._left_out(*step)
        return False

    def _left_out(self, fault: Action, succ: Hashable) -> None:
        """A fault step left out; a subclass may record it."""


class CollectingRoots(WithoutFaults):
    """:class:`WithoutFaults`, counting the distinct successors of the fault steps it
    leaves out (by fingerprint) and keeping a uniform sample of them (reservoir sampling,
    seeded)."""

    def __init__(self, base: Expander, model: Model, sample: int, seed: int) -> None:
        super().__init__(base, model)
        self.seen: set[int] = set()
        self.by_fault: dict[str, int] = {}
        self.sample: list[tuple[str, Hashable]] = []  # (the fault, its successor)
        self._size = sample
        self._random = random.Random(seed)

    def _left_out(self, action: Action, succ: Hashable) -> None:
        if hash(succ) in self.seen:
            return
        self.seen.add(hash(succ))
        name = f"{action.name}({action.args[0]})" if action.args else action.name
        self.by_fault[name] = self.by_fault.get(name, 0) + 1
        if len(self.sample) < self._size:
            self.sample.append((name, succ))
        else:
            slot = self._random.randrange(len(self.seen))
            if slot < self._size:
                self.sample[slot] = (name, succ)


def reduced_search(model: Model, expander: Expander) -> Any:
    """A breadth-first search of ``model`` through ``expander`` (the reduction of
    :func:`reducing_expander_for`, or an expander wrapping it), checking every invariant
    and witness but not deadlocks: zabmc check's default search."""
    from zabmc.engine import CheckOptions, check_bfs

    return check_bfs(model, CheckOptions(check_deadlock=False, expander=expander))


def run_after(config: dict, sample: int, seed: int) -> dict:
    """``--after``: the roots one fault leads to, and the searches from a sample of them."""
    from spec.system import Params, SystemModel
    from spec.system.scenarios import StartingFrom

    model = SystemModel(Params(**config))
    collecting = CollectingRoots(reducing_expander_for(model), model, sample, seed)
    began = time.perf_counter()
    before = reduced_search(model, collecting)
    figures: dict[str, Any] = {
        "before": before.distinct_states,
        "roots": len(collecting.seen),
        "by_fault": dict(sorted(collecting.by_fault.items(), key=lambda kv: -kv[1])),
        "before_s": round(time.perf_counter() - began, 1),
        "alone": [],
        "together": [],
    }
    sample = collecting.sample
    random.Random(seed).shuffle(sample)  # a reservoir's order is not uniform; mix it
    for fault, root in sample:
        sub = StartingFrom(model.params, root)
        looking = sum(s.startswith("LOOKING") for s in model.server_status(root))
        states = reduced_search(sub, reducing_expander_for(sub)).distinct_states
        figures["alone"].append([fault, looking, states])
    roots = [root for _, root in sample]
    for count in (n for n in TOGETHER if n <= len(roots)):
        sub = StartingFrom(model.params, *roots[:count])
        began = time.perf_counter()
        result = reduced_search(sub, reducing_expander_for(sub))
        figures["together"].append(
            [count, result.distinct_states, round(time.perf_counter() - began, 1)]
        )
    return figures


def print_after(figures: dict[str, Any]) -> None:
    """``--after``'s report: the roots, then each sampled root's search, then together."""
    faults = ", ".join(f"{name} {n:,}" for name, n in figures["by_fault"].items())
    print(
        f"roots after one fault: {figures['roots']:,} ({faults}), "
        f"from {figures['before']:,} states before it, {figures['before_s']} s"
    )
    print(f"{'fault':22} {'servers LOOKING':>15} {'states from it':>15}")
    for fault, looking, states in figures["alone"]:
        print(f"{fault:22} {looking:>15} {states:>15,}")
    sizes = sorted(states for _, _, states in figures["alone"])
    if sizes:
        median, largest = sizes[len(sizes) // 2], sizes[-1]
        print(f"alone: median {median:,}, largest {largest:,}, sum {sum(sizes):,}")
    for count, states, seconds in figures["together"]:
        print(f"together, the first {count} roots: {states:,} states, {seconds} s")


def reducing_expander_for(model: Model) -> Expander:
    """The reduction zabmc check uses for ``model``'s invariants and witnesses."""
    from zabmc.engine.properties import select_properties
    from zabmc.engine.reduction import reducing_expander

    checked, witnesses = select_properties(model, None)
    return reducing_expander(model, [p.name for p in (*checked, *witnesses)])


def run(config: dict, mode: str) -> dict:
    """One search in this process: its figures."""
    from spec.system import Params, SystemModel

    bounds = dict(config)
    if mode == "none":
        bounds |= dict.fromkeys(FAULT_BOUNDS, 0)
    model = SystemModel(Params(**bounds))
    expander = reducing_expander_for(model)
    if mode == "before":
        expander = WithoutFaults(expander, model)
    began = time.perf_counter()
    result = reduced_search(model, expander)
    v = result.violation
    return {
        "distinct": result.distinct_states,
        "depth": result.max_depth,
        "complete": result.complete,
        "verdict": v.property if v else "ok",
        "wall_s": round(time.perf_counter() - began, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row", nargs=2, metavar=("CONFIG", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--after", action="store_true", help="the roots one fault leads to, and searches from them"
    )
    parser.add_argument("--config", default=json.dumps(CONFIGS[0]), help="--after's bounds")
    parser.add_argument("--sample", type=int, default=40, help="--after's sampled roots")
    parser.add_argument("--seed", type=int, default=1, help="--after's sampling seed")
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run(json.loads(args.row[0]), args.row[1])))
        return
    print(f"# {describe()}")
    if args.after:
        print(f"# --after --config '{args.config}' --sample {args.sample} --seed {args.seed}")
        print_after(run_after(json.loads(args.config), args.sample, args.seed))
        return
    head = f"{'before fault':>12} {'depth':>5} {'s':>6}  {'no fault':>9} {'s':>6}"
    print(f"{'configuration':50} {head}")
    for config in CONFIGS:
        before, none = (in_fresh_process(__file__, config, m) for m in MODES)
        print(
            f"{json.dumps(config):50} {before['distinct']:>12,} {before['depth']:>5} "
            f"{before['wall_s']:>6.1f}  {none['distinct']:>9,} {none['wall_s']:>6.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
