"""Where a partitioned search's CPU goes, per partition: expansion, merging, keeping and
checking, evening out the load, and waiting at the barriers.

One row's prefix (``--depth``) is searched three ways, each in a fresh process:

* ``j1``: ``-j 1``, one partition in this process (the figure ``-j N`` is compared with);
* ``inproc2``: two partitions in this process (``InProcess``): the partitioned algorithm's
  own extra work, with no second process to contend with and no barriers;
* ``j2``: ``-j 2`` as ``zabmc check`` runs it (forked workers, ``--handover``).

Each partition's calls are timed by category (CPU seconds, ``time.process_time``, for the
calls the driver makes; wall-clock ``perf_counter`` for the per-state parts inside them,
which a loaded machine inflates), with the bytes and candidates it moved per level; each
worker's wall time spent waiting for the driver's next call, and the driver's own CPU. The
timers cost CPU themselves (about 0.3 us a successor): compare the modes with each other,
not with ``bench/scale.py``'s figures.

    python bench/parallel_profile.py --row system-3911 --depth 30
    python bench/parallel_profile.py --row system-3911 --depth 30 --modes j2 --json out.json
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: category -> seconds, per partition index (a worker process holds one)
_spent: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
#: per partition index, per level: bytes sent, candidates kept, candidates moved, expanded
_levels: dict[int, list[list[int]]] = collections.defaultdict(lambda: [[0, 0, 0, 0]])


def _instrument() -> None:
    """Wrap the partition's methods and the per-state functions with timers."""
    from zabmc.engine import parallel, partition

    cls = partition.Partition
    clock, wall = time.process_time, time.perf_counter

    def timed_method(name: str, category: str, use_wall: bool = False) -> None:
        inner = getattr(cls, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            start, start_cpu = wall(), 0.0 if use_wall else clock()
            try:
                return inner(self, *args, **kwargs)
            finally:
                spent = _spent[self.index]
                spent[f"{category} (wall)" if not use_wall else category] += wall() - start
                if not use_wall:
                    spent[category] += clock() - start_cpu

        setattr(cls, name, wrapper)

    for name in (
        "expand",
        "expand_owed",
        "merge",
        "keep",
        "join",
        "rank",
        "give",
        "settle",
        "adopt",
    ):
        timed_method(name, name)
    timed_method("_finish_round", "expand:finish_round", use_wall=True)
    timed_method("_check", "keep:check", use_wall=True)

    init = cls.__init__

    def timed_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        expander = self.expander
        expand, expand_rest = expander.expand, expander.expand_rest
        me = self

        def t_expand(state: Any) -> Any:
            start = wall()
            try:
                return expand(state)
            finally:
                _spent[me.index]["expand:successors"] += wall() - start

        def t_rest(state: Any) -> Any:
            start = wall()
            try:
                return expand_rest(state)
            finally:
                _spent[me.index]["expand:successors"] += wall() - start

        # an instance attribute of the expander would be shared by the partitions of one
        # process (InProcess with one expander): wrap through a per-partition proxy instead
        self.expander = _Proxy(expander, t_expand, t_rest)

    cls.__init__ = timed_init

    # bytes and candidates per level: counted where a round closes
    finish = cls._finish_round

    def counting_finish(self: Any, report: Any) -> Any:
        local_before, moved_before = self.local, self.moved
        sizes = finish(self, report)
        row = _levels[self.index][-1]
        row[0] += sum(sizes)
        row[1] += self.local - local_before
        row[2] += self.moved - moved_before
        row[3] += report.expanded
        return sizes

    cls._finish_round = counting_finish
    rank = cls.rank

    def leveled(self: Any, keys: Any) -> Any:
        out = rank(self, keys)
        _levels[self.index].append([0, 0, 0, 0])
        return out

    cls.rank = leveled

    # a worker process: time its waits for the driver and write its figures when it ends
    serve = parallel._serve

    def timed_serve(conn, factory, index, count, inherited):  # type: ignore[no-untyped-def]
        _spent.clear()  # forked: what the driver counted before is the driver's
        _levels.clear()
        recv, send = conn.recv, conn.send
        mark: list = [None, 0.0, None]  # last answer's wall time, request's CPU start, method
        calls: list[float] = []  # CPU seconds of each call the driver made of every worker
        detail: list[tuple] = []  # per expansion call: index, method, states, successors, CPU

        def timed_recv():  # type: ignore[no-untyped-def]
            if mark[0] is not None:
                _spent[index]["wait (wall)"] += wall() - mark[0]
            request = recv()
            mark[1], mark[2] = clock(), request and request[0]
            return request

        def timed_send(answer):  # type: ignore[no-untyped-def]
            spent = clock() - mark[1]
            if mark[2] == "merge_files":
                _spent[index]["merge_files (incl. merge)"] += spent
            if mark[2] not in ("parent", None):
                calls.append(spent)
                value = answer[1] if isinstance(answer, tuple) and len(answer) == 2 else None
                if mark[2] in ("expand", "expand_owed") and value is not None:
                    made = sum(value.generated.values())
                    detail.append((len(calls) - 1, mark[2], value.expanded, made, spent))
            send(answer)
            mark[0] = wall()

        conn.recv, conn.send = timed_recv, timed_send
        started_cpu, started_wall = clock(), wall()
        try:
            serve(conn, factory, index, count, inherited)
        finally:
            _spent[index]["process CPU"] = clock() - started_cpu
            _spent[index]["process wall"] = wall() - started_wall
            with open(os.path.join(os.environ["PROFILE_DIR"], f"worker-{index}.json"), "w") as f:
                json.dump(
                    {
                        "spent": _spent[index],
                        "levels": _levels[index],
                        "calls": calls,
                        "detail": detail,
                    },
                    f,
                )

    parallel._serve = timed_serve

    spread = parallel.HandOver.spread

    def timed_spread(self: Any) -> Any:
        _handover_at.append(clock())
        return spread(self)

    parallel.HandOver.spread = timed_spread


_handover_at: list[float] = []


class _Proxy:
    def __init__(self, inner: Any, expand: Any, expand_rest: Any) -> None:
        self._inner, self.expand, self.expand_rest = inner, expand, expand_rest

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def child(row: str, mode: str, depth: int | None, handover: int) -> dict:
    from scale import build

    from zabmc.engine import parallel
    from zabmc.engine.parallel import InProcess, ScaleOptions, check_parallel

    _instrument()
    model, options = build(row)
    if depth is not None:
        options.max_depth = depth
    folder = tempfile.mkdtemp(prefix="zabmc-profile-")
    os.environ["PROFILE_DIR"] = folder
    if mode == "inproc2":
        parallel._start = lambda factory, scale, scratch: InProcess(factory, 2)  # type: ignore
        scale = ScaleOptions(jobs=1)
    elif mode == "j1":
        scale = ScaleOptions(jobs=1)
    else:
        scale = ScaleOptions(jobs=2, handover=handover)
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    result = check_parallel(model, options, scale)
    driver_cpu = time.process_time() - started_cpu
    wall = time.perf_counter() - started_wall
    parts = {}
    if mode == "j2":
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name)) as f:
                parts[name.removesuffix(".json")] = json.load(f)
        before = (_handover_at[0] - started_cpu) if _handover_at else driver_cpu
        driver = {"before hand-over": before, "after hand-over": driver_cpu - before}
    else:
        for index in sorted(_spent):
            parts[f"partition-{index}"] = {"spent": _spent[index], "levels": _levels[index]}
        driver = {"total": driver_cpu}
    return {
        "mode": mode,
        "distinct": result.distinct_states,
        "generated": result.states_generated,
        "wall_s": wall,
        "driver_cpu": driver,
        "parts": parts,
        "traffic": list(result.traffic or ()),
        "load": os.getloadavg()[0],
    }


#: the driver's calls, timed in CPU seconds (and wall seconds, to scale the parts inside)
COARSE = ("expand", "expand_owed", "merge", "keep", "join", "rank", "give", "settle", "adopt")


def show(fig: dict) -> None:
    print(
        f"\n== {fig['mode']}: {fig['distinct']:,} states, {fig['generated']:,} generated, "
        f"wall {fig['wall_s']:.1f} s, load {fig['load']:.1f}, driver CPU "
        + ", ".join(f"{k} {v:.1f} s" for k, v in fig["driver_cpu"].items())
    )
    names = list(fig["parts"])
    spent = {n: fig["parts"][n]["spent"] for n in names}
    # The parts inside a call are timed by the wall clock (a CPU clock costs 2 us a read
    # here): counted as CPU at the ratio of CPU to wall time of the calls they are in.
    ratio = {}
    for n, s in spent.items():
        busy = sum(s.get(f"{c} (wall)", 0) for c in COARSE)
        ratio[n] = sum(s.get(c, 0) for c in COARSE) / max(busy, 1e-9)
    cats = sorted({c for s in spent.values() for c in s if not c.endswith(" (wall)")})
    print(f"{'CPU s (parts: wall x CPU/wall)':<36}" + "".join(f"{n:>14}" for n in names))
    for c in cats:
        cells = [s.get(c, 0) * (ratio[n] if ":" in c else 1) for n, s in spent.items()]
        print(f"{c:<36}" + "".join(f"{v:>14.2f}" for v in cells))
    print(f"{'CPU/wall in calls':<36}" + "".join(f"{ratio[n]:>14.2f}" for n in names))
    for n in names:
        s = spent[n]
        if "wait (wall)" in s:
            waited, lasted = s["wait (wall)"], s["process wall"]
            print(f"{n}: waiting {waited:.1f} s of wall, process wall {lasted:.1f}")
    calls = [fig["parts"][n].get("calls") for n in names]
    if all(calls):
        paced = sum(max(c) for c in zip(*calls, strict=True))
        own = [sum(c) for c in calls]
        print(
            f"paced (slowest worker's CPU a call, summed) {paced:.2f} s; per worker CPU in calls "
            + ", ".join(f"{o:.2f}" for o in own)
            + "; idle at barriers (paced - own) "
            + ", ".join(f"{paced - o:.2f}" for o in own)
        )
    details = [fig["parts"][n].get("detail") for n in names]
    if all(details):
        # the expansion calls: how uneven the states were, and how uneven their CPU
        by_states = by_cpu = total = 0.0
        for calls_k in zip(*details, strict=True):
            states = [c[2] for c in calls_k]
            cpu = [c[4] for c in calls_k]
            total += sum(cpu) / len(cpu)
            by_cpu += max(cpu) - sum(cpu) / len(cpu)
            mean = sum(states) / len(states)
            if mean:
                by_states += (max(states) / mean - 1) * sum(cpu) / len(cpu)
        print(
            f"expansion calls: mean CPU {total:.2f} s; the slowest worker's excess {by_cpu:.2f} s "
            f"(an excess in states alone would make {by_states:.2f} s of it)"
        )
    for n in names:
        levels = fig["parts"][n]["levels"]
        sent = sum(r[0] for r in levels)
        kept = sum(r[1] for r in levels)
        moved = sum(r[2] for r in levels)
        expanded = sum(r[3] for r in levels)
        print(
            f"{n}: expanded {expanded:,}, candidates kept {kept:,}, moved {moved:,}, "
            f"{sent / 1e6:.1f} MB sent ({sent / max(moved, 1):.0f} B a moved candidate)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--row", default="system-3911")
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--handover", type=int, default=5000)
    parser.add_argument("--modes", nargs="*", default=["j1", "inproc2", "j2"])
    parser.add_argument("--json", help="write every mode's figures here")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        row, mode, depth, handover = args.child
        print(json.dumps(child(row, mode, int(depth) or None, int(handover))))
        return
    figures = []
    for mode in args.modes:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                args.row,
                mode,
                str(args.depth or 0),
                str(args.handover),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        fig = json.loads(out.splitlines()[-1])
        figures.append(fig)
        show(fig)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
