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
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Hashable, Sequence

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


class WithoutFaults:
    """An expander that gives ``base``'s successors but the fault steps (``is_fault``)."""

    def __init__(self, base: Expander, model: Model) -> None:
        self._base = base
        self._fault = model.is_fault

    def expand(self, state: Hashable) -> Expansion:
        expansion = self._base.expand(state)
        kept = [k for k, (a, _) in enumerate(expansion.successors) if not self._fault(a)]
        free = expansion.free
        return expansion._replace(
            successors=[expansion.successors[k] for k in kept],
            free=free if type(free) is bool else [is_free(free, k) for k in kept],
        )

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        return [(a, t) for a, t in self._base.expand_rest(state) if not self._fault(a)]


def run(config: dict, mode: str) -> dict:
    """One search in this process: its figures."""
    from spec.system import Params, SystemModel
    from zabmc.engine import CheckOptions, check_bfs
    from zabmc.engine.properties import select_properties
    from zabmc.engine.reduction import reducing_expander

    bounds = dict(config)
    if mode == "none":
        bounds |= dict.fromkeys(FAULT_BOUNDS, 0)
    model = SystemModel(Params(**bounds))
    checked, witnesses = select_properties(model, None)
    expander = reducing_expander(model, [p.name for p in (*checked, *witnesses)])
    if mode == "before":
        expander = WithoutFaults(expander, model)
    began = time.perf_counter()
    result = check_bfs(model, CheckOptions(check_deadlock=False, expander=expander))
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
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run(json.loads(args.row[0]), args.row[1])))
        return
    print(f"# {describe()}")
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
