"""Candidate partition keys for a spec: how many successors stay local, and balance.

For a partitioned search (``zabmc check -j N``) a state's owner is decided by the fingerprint
of the model's ``partition_key``; a successor owned by the partition that expanded its parent
is kept as a Python object, any other is pickled with its batch, moved and unpickled. This
explores a row breadth-first as the search does (the row's expander: persistent steps taken
alone) and, for each candidate key and ``--parts`` partitions, prints the fraction of
successors whose owner is their parent's, the largest partition's share of the distinct
states (1/N is perfect balance), and "paced": per level the largest partition's states,
summed, over all states (a level lasts as long as its slowest partition: 1/N is perfect,
1 is no parallelism at all).

    python bench/partition_keys.py --row system-2n --parts 2
    python bench/partition_keys.py --row protocol-351k --parts 2

A protocol row counts states by a view (``TlcCompatModel.view``: the Zab state without pc),
so its keys are taken of the view, as the search takes the model's ``partition_key``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Hashable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import build

from zabmc.engine.encoding import fingerprint
from zabmc.engine.expansion import FullExpander


def _roles(s) -> tuple:  # type: ignore[no-untyped-def]
    return tuple((v.state, v.zab_state, v.accepted_epoch, v.current_epoch) for v in s.servers)


#: name -> key of a system state (None: the state itself, the engine's default)
SYSTEM: dict[str, Callable[[Hashable], Hashable] | None] = {
    "state (default)": None,
    "recorder": lambda s: s.recorder,
    "roles: (state, zab_state, epochs) per server": _roles,
    "roles + online": lambda s: tuple(
        (v.online, v.state, v.zab_state, v.accepted_epoch, v.current_epoch) for v in s.servers
    ),
    "servers": lambda s: s.servers,
    "recorder + roles": lambda s: (s.recorder, _roles(s)),
    "recorder + servers": lambda s: (s.recorder, s.servers),
    "roles + history lengths": lambda s: tuple(
        (v.state, v.zab_state, v.accepted_epoch, v.current_epoch, len(v.history)) for v in s.servers
    ),
    "votes": lambda s: tuple(e.vote for e in s.elections),
    "votes + rounds": lambda s: tuple((e.vote, e.round) for e in s.elections),
    "votes + recorder": lambda s: (tuple(e.vote for e in s.elections), s.recorder),
    "votes + ghost": lambda s: (tuple(e.vote for e in s.elections), s.ghost),
    "histories": lambda s: tuple(v.history for v in s.servers),
    "ghost": lambda s: s.ghost,
    "servers without last_processed, last_snapshot": lambda s: tuple(
        (
            v.online,
            v.state,
            v.zab_state,
            v.accepted_epoch,
            v.current_epoch,
            v.history,
            v.last_committed,
        )
        for v in s.servers
    ),
    "roles + histories": lambda s: (_roles(s), tuple(v.history for v in s.servers)),
    "votes + histories": lambda s: (
        tuple(e.vote for e in s.elections),
        tuple(v.history for v in s.servers),
    ),
    "roles + histories + ghost": lambda s: (
        _roles(s),
        tuple(v.history for v in s.servers),
        s.ghost,
    ),
    "servers + votes": lambda s: (s.servers, tuple(e.vote for e in s.elections)),
    "histories + epochs": lambda s: tuple(
        (v.history, v.accepted_epoch, v.current_epoch) for v in s.servers
    ),
    "histories + epochs + online": lambda s: tuple(
        (v.online, v.history, v.accepted_epoch, v.current_epoch) for v in s.servers
    ),
    "histories + epochs + ghost (the spec's)": lambda s: (
        tuple((v.history, v.accepted_epoch, v.current_epoch) for v in s.servers),
        s.ghost,
    ),
    "persisted: histories, epochs, snapshots": lambda s: tuple(
        (v.history, v.accepted_epoch, v.current_epoch, v.last_snapshot) for v in s.servers
    ),
}

#: name -> key of a protocol state's view (ZabState)
PROTOCOL: dict[str, Callable[[Hashable], Hashable] | None] = {
    "view (default)": None,
    "roles: (state, zab_state, epochs)": lambda v: (
        v.state,
        v.zab_state,
        v.accepted_epoch,
        v.current_epoch,
    ),
    "serverVars (roles + histories + last committed)": lambda v: (
        v.state,
        v.zab_state,
        v.accepted_epoch,
        v.current_epoch,
        v.history,
        v.last_committed,
    ),
    "histories": lambda v: v.history,
    "roles + histories": lambda v: (
        v.state,
        v.zab_state,
        v.accepted_epoch,
        v.current_epoch,
        v.history,
    ),
    "serverVars + leaderVars": lambda v: (
        v.state,
        v.zab_state,
        v.accepted_epoch,
        v.current_epoch,
        v.history,
        v.last_committed,
        v.learners,
        v.cepoch_recv,
        v.acke_recv,
        v.ackld_recv,
        v.send_counter,
    ),
    "histories + current epochs": lambda v: (v.history, v.current_epoch),
    "histories + zab states": lambda v: (v.history, v.zab_state),
    "histories + last committed": lambda v: (v.history, v.last_committed),
    "histories + epochs": lambda v: (v.history, v.accepted_epoch, v.current_epoch),
    "recorder": lambda v: v.recorder,
    "roles + recorder": lambda v: (v.state, v.zab_state, v.current_epoch, v.recorder),
}


def owner(fp: int, parts: int) -> int:
    return ((fp >> 32) * parts) >> 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--row", default="system-2n")
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--depth", type=int, help="explore the levels up to this depth only")
    args = parser.parse_args()
    model, options = build(args.row)
    expander = options.expander or FullExpander(model)
    candidates = PROTOCOL if args.row.startswith("protocol") else SYSTEM
    names = list(candidates)
    view = model.view
    keys = [(lambda k: lambda s: k(view(s)))(candidates[n] or (lambda v: v)) for n in names]
    local = [0] * len(names)
    per_part = [[0] * args.parts for _ in names]
    paced = [0] * len(names)  # per level, the largest partition's states, summed
    seen: set = set()
    frontier = []
    started = time.perf_counter()

    def owners(state: Hashable) -> list[int]:
        return [owner(fingerprint(k(state)), args.parts) for k in keys]

    for state in model.init_states():
        if view(state) not in seen:
            seen.add(view(state))
            frontier.append(state)
    pairs = 0
    depth = 0
    while frontier and (args.depth is None or depth < args.depth):
        depth += 1
        following = []
        level = [[0] * args.parts for _ in names]
        for state in frontier:
            mine = owners(state)
            for c, o in enumerate(mine):
                per_part[c][o] += 1
                level[c][o] += 1
            expansion = expander.expand(state)
            successors = expansion.successors
            if not successors and not expansion.complete:
                successors = list(expander.expand_rest(state))
            for _action, succ in successors:
                pairs += 1
                for c, o in enumerate(owners(succ)):
                    local[c] += o == mine[c]
                if view(succ) not in seen:
                    seen.add(view(succ))
                    following.append(succ)
        frontier = following
        for c, counted in enumerate(level):
            paced[c] += max(counted)
    print(
        f"{args.row}: {len(seen):,} states, {pairs:,} successors, {args.parts} partitions "
        f"({time.perf_counter() - started:.0f} s)"
    )
    print(f"{'key':<46} {'local':>6} {'largest share':>13} {'paced':>6}")
    for c, name in enumerate(names):
        share = max(per_part[c]) / len(seen)
        print(f"{name:<46} {local[c] / pairs:>6.3f} {share:>13.3f} {paced[c] / len(seen):>6.3f}")


if __name__ == "__main__":
    main()
