"""Which fields of a system state make a bug hunt's states distinct: for each candidate field,
how many of the hunt's distinct states remain when that field is erased.

A field whose erasure collapses many states is a candidate for a state cut (keeping it at
a fixed value where nothing reads it: spec.system.election.votes.kept_vote,
spec.system.discovery.epoch_decided). The census says only what would collapse; whether the
data is dead there is for the spec and its perturbation tests to show. Only 64-bit hashes of
the projections are kept (numpy), so memory grows by 8 bytes a state and a candidate; the
projections are pure Python and cost far more than the search (about 1 ms a state).

    python bench/state_census.py --bug ZK-4643 --bounds max_crashes=1
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.hunt_profile import build
from spec.system.constants import BROADCAST, DISCOVERY, LEADING

Projection = Callable[[Any], Any]
Where = Callable[[Any, int], bool]

GROUPS = {"leaders": "L", "learners": "R", "servers": "S", "elections": "E"}


def erase(group: str, fields: list[str], where: Where | None = None) -> Projection:
    """The state with ``fields`` of each record of a per-server ``group`` erased (where
    ``where(state, i)`` holds, or everywhere)."""

    def project(s: Any) -> Any:
        records = getattr(s, group)
        erased = tuple(
            r._replace(**dict.fromkeys(fields)) if where is None or where(s, i) else r
            for i, r in enumerate(records)
        )
        return s._replace(**{group: erased})

    return project


def erase_in(group: str, field: str) -> Projection:
    """The state with ``field`` of the single record ``group`` (network, ghost, recorder)
    erased."""
    return lambda s: s._replace(**{group: getattr(s, group)._replace(**{field: None})})


def established(s: Any, i: int) -> bool:
    srv = s.servers[i]
    return srv.state == LEADING and srv.zab_state != DISCOVERY


def broadcasting(s: Any, i: int) -> bool:
    return s.servers[i].zab_state == BROADCAST


def offline(s: Any, i: int) -> bool:
    return not s.servers[i].online


def candidates(state: Any) -> dict[str, Projection]:
    found: dict[str, Projection] = {}
    for group, short in GROUPS.items():
        for field in type(getattr(state, group)[0])._fields:
            found[f"{short}.{field}"] = erase(group, [field])
    for field in type(state.leaders[0])._fields:
        found[f"L.{field} once established"] = erase("leaders", [field], established)
        found[f"L.{field} in BROADCAST"] = erase("leaders", [field], broadcasting)
    for field in type(state.servers[0])._fields:
        found[f"S.{field} while down"] = erase("servers", [field], offline)
    for group in ("network", "ghost", "recorder"):
        for field in type(getattr(state, group))._fields:
            found[f"{group}.{field}"] = erase_in(group, field)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bug", default="ZK-4643")
    parser.add_argument("--bounds", nargs="*", default=[], help="name=value, as zabmc check's")
    args = parser.parse_args()
    bounds = dict(max_txns=2, max_epoch=3, max_crashes=2, max_timeouts=0)
    for item in args.bounds:
        name, _, value = item.partition("=")
        bounds[name] = int(value)
    from zabmc.engine import check_bfs

    model, options, _ = build(args.bug, bounds)
    (start,) = model.init_states()
    cands = candidates(start)
    hashes = {name: array("q") for name in cands}
    whole = array("q")

    def on_state(s: Any) -> None:
        whole.append(hash(s))
        for name, project in cands.items():
            hashes[name].append(hash(project(s)))

    options.on_state = on_state
    began = time.monotonic()
    result = check_bfs(model, options)
    v = result.violation
    print(
        f"{args.bug} {bounds}: {result.distinct_states:,} distinct states, violation "
        f"{v and v.property} at {v and v.length} steps, {time.monotonic() - began:.0f} s"
    )
    n = len(np.unique(np.frombuffer(whole, dtype=np.int64)))
    rows = sorted(
        (len(np.unique(np.frombuffer(h, dtype=np.int64))), name) for name, h in hashes.items()
    )
    for left, name in rows:
        if left < n:
            print(f"  {name:40s} {left:11,d}  {left / n:6.3f}")
    print(f"  ({sum(left == n for left, _ in rows)} other candidates collapse nothing)")


if __name__ == "__main__":
    main()
