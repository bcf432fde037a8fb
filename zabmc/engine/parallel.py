"""Breadth-first search over partitions of the fingerprint space, on every core.

The driver here only orders the levels, counts and commits; the partitions
(:mod:`zabmc.engine.partition`) hold the states and do the work. Per level, in
rounds:

1. every partition expands its frontier and buckets the successors by owner;
2. the batches, fingerprints only, move to their owners, which answer which
   candidates were new; the partitions that found them keep and check them (and,
   for a reduced expansion whose successors were all old, a further exchange
   expands the rest: the cycle proviso);
3. the states a persistent step found join the level: the driver sorts their
   keys, every partition ranks its own by them, and they are the next round's
   frontier. When none joined, the driver sorts the other new states' keys and
   every partition ranks its own as the next level (evened out when one partition
   found many more than the others); then, every few minutes, a checkpoint.

Partitions run in this process (``jobs=1``), in forked worker processes that
exchange batches through files, or as Ray actors (:mod:`zabmc.engine.ray_backend`).
The counts, the counterexample and the witnesses do not depend on which, nor
on the number of partitions.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from zabmc.engine import collector
from zabmc.engine.bfs import CheckOptions, rebuild_path
from zabmc.engine.checkpoint import Checkpoint, CheckpointError
from zabmc.engine.encoding import StateCodec, key_fingerprint
from zabmc.engine.expansion import Expander, FullExpander
from zabmc.engine.model import Model, Property
from zabmc.engine.partition import (
    WINDOW_STATES,
    Event,
    Frontier,
    LevelReport,
    MergeReport,
    Partition,
    owner_of_one,
    rebalance_plan,
)
from zabmc.engine.properties import explain, fingerprint_key, select_properties
from zabmc.engine.ray_backend import BackendUnavailable, RayWorkers
from zabmc.engine.result import ActionStats, CheckResult, Discovery, Progress
from zabmc.engine.store import FingerprintStore, collision_chances

#: A level this large is worth forking partitions for (``zabmc check``'s default hand-over).
HANDOVER_STATES = 5_000


@dataclass
class ScaleOptions:
    """How many partitions, where they run, and what a run keeps on disk.

    ``memory_bytes`` bounds the frontier a partition holds in memory (its share
    of the bound); the rest spills to ``spill_dir`` (default: a temporary
    folder). ``checkpoint`` is a folder written every ``checkpoint_every_s``
    seconds, at a level's end; ``resume`` continues from such a folder.
    ``signature`` names what was checked, so a checkpoint of another run is refused.

    ``handover`` keeps a small search cheap: the search runs as one partition in this
    process until a level's frontier holds that many states, then forks ``jobs`` worker
    processes that each adopt their part of it (:meth:`Partition.adopt`); the answers are
    the same. It applies to local processes without checkpoints or resume (with either the
    partitions run from the start). Under a memory bound the one partition holds a
    partition's share of it, and spills into a folder of its own, which the workers read
    when they adopt their parts.
    """

    jobs: int = 1
    backend: str = "local"  # "local" or "ray"
    address: str | None = None  # a Ray cluster's address ("auto": the one this machine joined)
    memory_bytes: int | None = None
    spill_dir: Path | None = None
    checkpoint: Path | None = None
    checkpoint_every_s: float = 300.0
    resume: Path | None = None
    signature: dict[str, Any] = field(default_factory=dict)
    #: Each partition's expander, made from the model (None: ``CheckOptions.expander``,
    #: which each worker process gets a copy of, or every successor).
    expander: Callable[[Model], Expander] | None = None
    handover: int | None = None


class Workers(Protocol):
    """The partitions of one search, wherever they run."""

    count: int

    def call(self, method: str, args: Sequence[tuple]) -> list[Any]:
        """Call ``method`` on every partition, partition ``w`` with ``args[w]``."""
        ...

    def call_one(self, index: int, method: str, *args: Any) -> Any: ...

    def exchange(self, method: str = "merge") -> list[Any]:
        """Move the last round's batches to their owners and merge them there (or hand
        them to another of the partitions' methods, which takes one per sender)."""
        ...

    def close(self) -> None: ...


PartitionFactory = Callable[[int, int], Partition]


@dataclass(frozen=True)
class PartitionRecipe:
    """What a partition is built from, built where it runs: a :data:`PartitionFactory`.

    Ray pickles the factory into each actor, so it holds only what pickles: the model,
    the names of the properties to check and a function that makes the expander from the
    model. Each partition selects the properties and makes its expander itself, since a
    compiled spec's properties and expanders hold mypyc's function objects, which do not
    pickle (local worker processes are forked and need no pickling at all).
    """

    model: Model
    invariants: Sequence[str] | None  # CheckOptions.invariants: None for every one
    make_expander: Callable[[Model], Expander]
    symmetry: bool
    check_deadlock: bool
    spill_dir: Path
    memory: int | None

    def __call__(self, index: int, count: int) -> Partition:
        invariants, witnesses = select_properties(self.model, self.invariants)
        return Partition(
            self.model,
            self.make_expander(self.model),
            fingerprint_key(self.model, self.symmetry),
            invariants,
            witnesses,
            self.check_deadlock,
            index,
            count,
            self.spill_dir / f"part-{index}",
            self.memory,
            costly_key=self.symmetry,
        )


@dataclass(frozen=True)
class _Given:
    """The expander the caller gave (``CheckOptions.expander``), for every partition."""

    expander: Expander

    def __call__(self, _model: Model) -> Expander:
        return self.expander


class InProcess:
    """Partitions as objects of this process (one core)."""

    def __init__(self, factory: PartitionFactory, count: int) -> None:
        self.count = count
        self.parts = [factory(k, count) for k in range(count)]

    def call(self, method: str, args: Sequence[tuple]) -> list[Any]:
        return [getattr(p, method)(*a) for p, a in zip(self.parts, args, strict=True)]

    def call_one(self, index: int, method: str, *args: Any) -> Any:
        return getattr(self.parts[index], method)(*args)

    def exchange(self, method: str = "merge") -> list[Any]:
        return [
            getattr(dst, method)([src.outgoing(k) for src in self.parts])
            for k, dst in enumerate(self.parts)
        ]

    def close(self) -> None:
        self.parts = []


class HandOver:
    """One partition in this process, until :meth:`spread` hands the search to ``jobs``
    worker processes, forked with that partition: each adopts its part of it."""

    def __init__(
        self, factory: PartitionFactory, jobs: int, threshold: int, scratch: Path, spill_dir: Path
    ) -> None:
        self.inner: InProcess | Processes = InProcess(factory, 1)
        self.jobs, self.threshold = jobs, threshold
        self.scratch, self.spill_dir = scratch, spill_dir
        # Spilled before the hand-over, a frontier chunk is read by every worker as it
        # adopts its part: in a folder no partition spills into afterwards.
        self.spilled_before = spill_dir / "before-handover"
        part = self.inner.parts[0]
        part.spill_dir = part.frontier.spill_dir = self.spilled_before

    @property
    def count(self) -> int:
        return self.inner.count

    def call(self, method: str, args: Sequence[tuple]) -> list[Any]:
        return self.inner.call(method, args)

    def call_one(self, index: int, method: str, *args: Any) -> Any:
        return self.inner.call_one(index, method, *args)

    def exchange(self, method: str = "merge") -> list[Any]:
        return self.inner.exchange(method)

    def due(self, frontier: int) -> bool:
        """Whether a level's end with ``frontier`` states is the time to spread."""
        return isinstance(self.inner, InProcess) and frontier >= self.threshold

    def spread(self) -> None:
        """Fork the workers, at a level's end."""
        assert isinstance(self.inner, InProcess)
        part = self.inner.parts[0]
        spill_dir = self.spill_dir

        def adopt(index: int, count: int) -> Partition:
            part.adopt(index, count, spill_dir / f"part-{index}")
            return part

        exchange = self.scratch / "exchange"
        exchange.mkdir()
        self.inner = Processes(adopt, self.jobs, exchange)
        # Each worker has its copy now (every one has adopted its part when Processes
        # returns); the processes keep ``adopt``, and so ``part``: let go of what this
        # process held, and of the chunks spilled before.
        part.frontier = Frontier(part.codec.pack)
        part.store = FingerprintStore()
        shutil.rmtree(self.spilled_before, ignore_errors=True)

    def close(self) -> None:
        self.inner.close()


class WorkerFailed(RuntimeError):
    """A partition's process raised; the message carries its traceback."""


def _serve(
    conn: Connection,
    factory: PartitionFactory,
    index: int,
    count: int,
    inherited: Sequence[Connection],
) -> None:
    """A worker process: hold one partition and answer the driver's calls.

    The driver's ends of the pipes came along with the fork; closing them here means
    that when the driver dies, even by SIGKILL, every worker reads EOF and ends.
    """
    for other in inherited:
        other.close()
    collector.stop()  # this process only searches: states hold no cycles
    # Ctrl-C reaches the whole process group: the driver handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        part = factory(index, count)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        return
    conn.send(("ok", None))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        method, args = request
        try:
            if method == "write_batches":
                folder, tag = args
                result = []
                for dst in range(count):
                    path = Path(folder) / f"{tag}-{index}-{dst}.bin"
                    path.write_bytes(part.outgoing(dst))
                    result.append(str(path))
            elif method == "merge_files":
                paths, then = args
                data = []
                for path in paths:
                    data.append(Path(path).read_bytes())
                    os.unlink(path)
                result = getattr(part, then)(data)
            else:
                result = getattr(part, method)(*args)
            conn.send(("ok", result))
        except BaseException as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


class Processes:
    """Partitions in forked worker processes; batches move through files.

    Forking hands every worker the model as it is, so nothing about the spec is
    pickled; what crosses processes afterwards is arrays and batches of states.
    """

    def __init__(self, factory: PartitionFactory, count: int, exchange_dir: Path) -> None:
        self.count = count
        self.exchange_dir = exchange_dir
        self._round = 0
        ctx = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.procs = []
        for k in range(count):
            parent, child = ctx.Pipe()
            self.conns.append(parent)
            proc = ctx.Process(
                target=_serve, args=(child, factory, k, count, list(self.conns)), daemon=True
            )
            proc.start()
            child.close()
            self.procs.append(proc)
        for k in range(count):
            self._answer(k)

    def _answer(self, k: int) -> Any:
        try:
            status, value = self.conns[k].recv()
        except EOFError:
            raise WorkerFailed(f"partition {k}'s process ended unexpectedly") from None
        if status == "error":
            raise WorkerFailed(f"partition {k} failed: {value}")
        return value

    def call(self, method: str, args: Sequence[tuple]) -> list[Any]:
        for conn, a in zip(self.conns, args, strict=True):
            conn.send((method, a))
        return [self._answer(k) for k in range(self.count)]

    def call_one(self, index: int, method: str, *args: Any) -> Any:
        self.conns[index].send((method, args))
        return self._answer(index)

    def exchange(self, method: str = "merge") -> list[Any]:
        self._round += 1
        paths = self.call("write_batches", [(str(self.exchange_dir), self._round)] * self.count)
        return self.call(
            "merge_files",
            [([paths[src][dst] for src in range(self.count)], method) for dst in range(self.count)],
        )

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
        self.conns, self.procs = [], []


class _Parents:
    """The seen sets' parent links, asked of the owning partition (for path rebuilding)."""

    def __init__(self, workers: Workers) -> None:
        self.workers = workers

    def __getitem__(self, fp: int) -> int | None:
        return self.workers.call_one(owner_of_one(fp, self.workers.count), "parent", fp)


@dataclass
class _Run:
    """The driver's running totals: what a checkpoint saves besides the partitions."""

    level: int = 0
    generated: int = 0
    states_per_depth: list[int] = field(default_factory=list)
    actions: dict[str, list[int]] = field(default_factory=dict)  # name -> [generated, distinct]
    witnesses: dict[str, int] = field(default_factory=dict)  # name -> fingerprint
    elapsed_s: float = 0.0


def check_parallel(
    model: Model, options: CheckOptions | None = None, scale: ScaleOptions | None = None
) -> CheckResult:
    """Explore ``model`` breadth-first over ``scale.jobs`` partitions and check its properties."""
    # In this process too: with -j 1 it holds the partition (zabmc.engine.collector).
    with collector.uncollected():
        return _check_parallel(model, options or CheckOptions(), scale or ScaleOptions())


def _check_parallel(model: Model, options: CheckOptions, scale: ScaleOptions) -> CheckResult:
    if scale.jobs < 1:
        raise ValueError(f"the number of partitions must be at least 1, got {scale.jobs}")
    invariants, witnesses = select_properties(model, options.invariants)
    key = fingerprint_key(model, options.symmetry)
    codec = StateCodec()
    fingerprint = key_fingerprint(key)
    signature = dict(scale.signature)
    checkpoint = Checkpoint(scale.checkpoint) if scale.checkpoint is not None else None
    resumed = None
    if scale.resume is not None:
        resumed = Checkpoint(scale.resume).read(signature)

    scratch = Path(tempfile.mkdtemp(prefix="zabmc-search-"))
    spill_dir = scale.spill_dir or scratch / "spill"
    memory = None if scale.memory_bytes is None else max(1, scale.memory_bytes // scale.jobs)

    given = options.expander or FullExpander(model)
    make_expander: Callable[[Model], Expander]
    if scale.expander is not None:
        make_expander = scale.expander
    elif options.expander is None:
        make_expander = FullExpander
    else:
        make_expander = _Given(options.expander)
    factory = PartitionRecipe(
        model,
        options.invariants,
        make_expander,
        options.symmetry,
        options.check_deadlock,
        spill_dir,
        memory,
    )

    started = time.monotonic()
    handover = (
        scale.handover is not None
        and scale.jobs > 1
        and scale.backend == "local"
        and checkpoint is None
        and resumed is None
    )
    workers: Workers
    if handover:
        assert scale.handover is not None
        workers = HandOver(factory, scale.jobs, scale.handover, scratch, spill_dir)
    else:
        workers = _start(factory, scale, scratch)
    try:
        violation = None
        if resumed is not None:
            run = _Run(**resumed.meta["run"])
            workers.call("load", [(resumed.partitions,)] * workers.count)
        else:
            run = _Run()
            violation = _seed(model, codec, fingerprint, workers, run, invariants, witnesses)
        return _search(
            model,
            options,
            scale,
            signature,
            workers,
            run,
            invariants,
            witnesses,
            fingerprint,
            checkpoint,
            started,
            violation,
            given,
        )
    finally:
        workers.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _start(factory: PartitionFactory, scale: ScaleOptions, scratch: Path) -> Workers:
    if scale.backend == "ray":
        return RayWorkers(factory, scale.jobs, scale.address)
    if scale.backend != "local":
        raise ValueError(f"unknown backend {scale.backend!r}; choose from: local, ray")
    if scale.jobs == 1:
        return InProcess(factory, 1)
    exchange = scratch / "exchange"
    exchange.mkdir()
    return Processes(factory, scale.jobs, exchange)


def _seed(
    model: Model,
    codec: StateCodec,
    fingerprint: Callable[[Hashable], int],
    workers: Workers,
    run: _Run,
    invariants: Sequence[Property],
    witnesses: Sequence[Property],
) -> Event | None:
    """Hand each initial state, once, to its owner, ranked in the model's order, and check
    it as the one-core search does: invariants, then the witnesses not yet found."""
    given: list[tuple[list[int], list[int], list[bytes]]] = [
        ([], [], []) for _ in range(workers.count)
    ]
    seen: set[int] = set()
    violation: Event | None = None
    first_broken = model.invariant_checker(invariants)
    for state in model.init_states():
        run.generated += 1
        fp = fingerprint(state)
        if fp in seen:
            continue
        ranks, fps, states = given[owner_of_one(fp, workers.count)]
        ranks.append(len(seen))
        fps.append(fp)
        states.append(codec.pack(state))
        seen.add(fp)
        broken = first_broken(state)
        if broken is not None:
            violation = (len(seen) - 1, fp, "invariant", broken)
            break
        for p in witnesses:
            if p.name not in run.witnesses and p.condition(state):
                run.witnesses[p.name] = fp
    workers.call("seed", given)
    run.states_per_depth = [len(seen)]
    return violation


def _search(
    model: Model,
    options: CheckOptions,
    scale: ScaleOptions,
    signature: dict[str, Any],
    workers: Workers,
    run: _Run,
    invariants: Sequence,
    witnesses: Sequence,
    fingerprint: Callable[[Hashable], int],
    checkpoint: Checkpoint | None,
    started: float,
    violation: Event | None,
    expander: Expander,
) -> CheckResult:
    """The levels, each in rounds: a round expands a frontier and merges what it found;
    the states a persistent step found join the level and make the next round's frontier.

    Every state of a level gets a rank, the place the one-core search explores it at
    (the level's first states, then those that joined it, round by round), and every
    candidate a key, ``parent's rank << 16 | its place among the parent's successors``,
    the order in which the one-core search finds it. A round's keys all follow the
    previous round's, so the first event of the first round that has one is the one-core
    search's first.
    """
    before = run.elapsed_s
    last_checkpoint = time.monotonic()
    complete = False
    while violation is None:
        if options.max_depth is not None and run.level >= options.max_depth:
            break
        first_rank, size = 0, run.states_per_depth[-1]
        keys: list[np.ndarray] = []
        while True:  # the rounds of one level
            # A round in windows of ranks, each merged before the next is expanded
            # (Partition.expand); the free states of its windows join the level together.
            joined: list[np.ndarray] = []
            window_start, end = first_rank, first_rank + size
            while violation is None:
                limit = window_start + WINDOW_STATES * workers.count
                violation = _window(
                    run, workers, witnesses, keys, joined, limit if limit < end else None
                )
                if limit >= end:
                    break
                window_start = limit
            if violation is not None:
                break
            free_keys = np.sort(np.concatenate(joined)) if joined else np.empty(0, np.int64)
            if not len(free_keys):
                break
            first_rank += size
            size = len(free_keys)
            sizes = workers.call("join", [(free_keys, first_rank)] * workers.count)
            _even_out(workers, sizes)
            run.states_per_depth[-1] += size
        if violation is not None:
            break
        level_keys = np.sort(np.concatenate(keys)) if keys else np.empty(0, dtype=np.int64)
        sizes = workers.call("rank", [(level_keys,)] * workers.count)
        _even_out(workers, sizes)
        if not len(level_keys):
            complete = True
            break
        run.states_per_depth.append(len(level_keys))
        run.level += 1
        now = time.monotonic()
        run.elapsed_s = before + now - started
        if options.progress is not None:
            distinct = sum(run.states_per_depth)
            options.progress(
                Progress(run.level, run.generated, distinct, len(level_keys), run.elapsed_s)
            )
        if isinstance(workers, HandOver) and workers.due(len(level_keys)):
            workers.spread()
        if checkpoint is not None and now - last_checkpoint >= scale.checkpoint_every_s:
            checkpoint.write(workers, {"run": run.__dict__}, signature)
            last_checkpoint = time.monotonic()
    workers.call("drop_frontier", [()] * workers.count)
    return _result(
        model,
        options,
        workers,
        run,
        violation,
        complete,
        invariants,
        witnesses,
        fingerprint,
        before + time.monotonic() - started,
        expander,
    )


def _even_out(workers: Workers, sizes: Sequence[int]) -> None:
    """Even out the frontier the partitions hold for the next round when one holds many
    more states than the mean (:func:`rebalance_plan`). Each keeps the
    states it found, and states found by one stay with their lineage: one partition's
    states may have more successors than another's, level after level, and each round's
    slowest partition sets its time. A state's rank, not where it is held, decides what it
    finds: the answers do not change."""
    plan = rebalance_plan(sizes)
    if plan is not None:
        workers.call("give", [(p,) for p in plan])
        workers.exchange("settle")


def _window(
    run: _Run,
    workers: Workers,
    witnesses: Sequence,
    keys: list[np.ndarray],
    joined: list[np.ndarray],
    limit: int | None,
) -> Event | None:
    """Expand the frontier states ranked below ``limit`` (None: the rest of the round) and
    merge what they found: the next level's keys go to ``keys``, those of the states that
    join this level to ``joined``. Returns the first event, counted as far as the one-core
    search gets; else counts the window."""
    watching = [p.name for p in witnesses if p.name not in run.witnesses]
    reports = workers.call("expand", [(watching, limit)] * workers.count)
    events = [r.violation for r in reports if r.violation is not None]
    expanded = [reports]
    rounds: list[list[MergeReport]] = []
    owed = sum(r.owed for r in reports)
    while True:
        merges = workers.exchange()
        rounds.append(merges)
        # per partition, the positions of its candidates (per owner) that were new
        accepted = [tuple([m.accepted[src] for m in merges]) for src in range(workers.count)]
        # the states stay where they were found: the finders keep the new ones
        rounds.append(workers.call("keep", [(a,) for a in accepted]))
        if not owed:
            break
        expanded.append(workers.call("expand_owed", [(a,) for a in accepted]))
        owed = 0
    found: dict[str, tuple[int, int]] = {}
    next_before = sum(len(k) for k in keys)  # the next level's states of earlier windows
    joined_before = sum(len(k) for k in joined)  # this round's free states, earlier windows
    for merged in rounds:
        for m in merged:
            keys.append(m.keys)
            if m.violation is not None:
                events.append(m.violation)
            for name, hit in m.witnesses.items():
                found[name] = min(found.get(name, hit), hit)
    violation = min(events) if events else None
    for name, (key, fp) in found.items():
        # the one-core search stops at the violation: it never sees what follows
        if violation is None or key < violation[0]:
            run.witnesses[name] = fp
    if violation is not None:
        # Counted as far as the one-core search got: up to the violating state, or
        # up to the state that deadlocks (its own expansion found nothing).
        key, _, kind, _ = violation
        run.states_per_depth[-1] += joined_before
        _count_until(run, workers, key if kind == "invariant" else key - 1, next_before)
        return violation
    for reported in expanded:
        _count_generated(run, reported)
    for merged in rounds:
        _count_distinct(run, merged)
    joined.extend(m.free_keys for merged in rounds for m in merged)
    return None


def _count_generated(run: _Run, reports: Sequence[LevelReport]) -> None:
    for r in reports:
        for name, n in r.generated.items():
            run.actions.setdefault(name, [0, 0])[0] += n
            run.generated += n


def _count_until(run: _Run, workers: Workers, limit: int, next_before: int) -> None:
    """Count the last round up to the key ``limit``: its successors and new states, those
    that joined this level and those of the next (after ``next_before`` of earlier rounds)."""
    joined = following = 0
    for generated, distinct, j, f in workers.call("counted_until", [(limit,)] * workers.count):
        for name, n in generated.items():
            run.actions.setdefault(name, [0, 0])[0] += n
            run.generated += n
        for name, n in distinct.items():
            run.actions.setdefault(name, [0, 0])[1] += n
        joined += j
        following += f
    run.states_per_depth[-1] += joined
    run.states_per_depth.append(next_before + following)


def _count_distinct(run: _Run, merges: Sequence[MergeReport]) -> None:
    for m in merges:
        for name, n in m.distinct.items():
            run.actions.setdefault(name, [0, 0])[1] += n


def _result(
    model: Model,
    options: CheckOptions,
    workers: Workers,
    run: _Run,
    violation: Event | None,
    complete: bool,
    invariants: Sequence,
    witnesses: Sequence,
    fingerprint: Callable[[Hashable], int],
    elapsed: float,
    expander: Expander,
) -> CheckResult:
    result = CheckResult(symmetry=options.symmetry)
    figures = workers.call("store_figures", [()] * workers.count)
    # Cut short by a violation, the stores hold the whole last round; the one-core search
    # had seen the states up to the violation, which the levels count.
    held = sum(f[0] for f in figures)
    result.distinct_states = held if violation is None else sum(run.states_per_depth)
    result.states_generated = run.generated
    result.states_per_depth = list(run.states_per_depth)
    while result.states_per_depth and result.states_per_depth[-1] == 0:
        result.states_per_depth.pop()
    result.max_depth = len(result.states_per_depth) - 1
    result.complete = complete
    result.actions = {n: ActionStats(g, d) for n, (g, d) in run.actions.items()}
    result.elapsed_s = elapsed
    result.store_bytes = sum(f[1] for f in figures)
    result.smallest_gap = _smallest_gap(figures)
    traffic = workers.call("traffic", [()] * workers.count)
    result.traffic = (sum(t[0] for t in traffic), sum(t[1] for t in traffic))
    result.moves_skipped = sum(t[2] for t in traffic)
    result.states_given = sum(t[3] for t in traffic)
    result.reduction = _reduction(workers.call("reduction", [()] * workers.count))
    parents = _Parents(workers)
    if violation is not None:
        _rank, vfp, kind, prop = violation
        steps = rebuild_path(model, fingerprint, parents, vfp, expander)  # type: ignore[arg-type]
        explanation = "" if prop is None else explain(invariants, prop, steps[-1].state)
        result.violation = Discovery(kind, prop, steps, explanation)
    for p in witnesses:
        wfp = run.witnesses.get(p.name)
        if wfp is None:
            result.examples[p.name] = None
            continue
        steps = rebuild_path(model, fingerprint, parents, wfp, expander)  # type: ignore[arg-type]
        result.examples[p.name] = Discovery("example", p.name, steps)
    return result


def _reduction(described: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The partitions' accounts of their reduction as one: their counts added up."""
    if described[0] is None:
        return None

    def add(a: Any, b: Any) -> Any:
        if isinstance(a, dict):
            return {k: add(v, b[k]) for k, v in a.items()}
        if isinstance(a, int) and not isinstance(a, bool):
            return a + b
        return a

    total = described[0]
    for other in described[1:]:
        total = add(total, other)
    return total


def _smallest_gap(figures: Sequence[tuple[int, int, int | None, int, int]]) -> int | None:
    """The smallest gap between any two fingerprints: partitions hold consecutive ranges."""
    gaps = [f[2] for f in figures if f[2] is not None]
    held = [f for f in figures if f[0]]
    for a, b in itertools.pairwise(held):
        gaps.append(b[3] - a[4])
    return min(gaps) if gaps else None


def collision_figures(result: CheckResult) -> tuple[float, float]:
    """TLC's optimistic and observed chances of a fingerprint collision in ``result``."""
    return collision_chances(result.distinct_states, result.states_generated, result.smallest_gap)


__all__ = [
    "HANDOVER_STATES",
    "BackendUnavailable",
    "CheckpointError",
    "HandOver",
    "InProcess",
    "Processes",
    "ScaleOptions",
    "WorkerFailed",
    "check_parallel",
    "collision_figures",
]
