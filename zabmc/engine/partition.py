"""One partition of a level-synchronous search: the states it found, and the part of the
seen set it owns.

A partitioned search splits the fingerprint space into ``count`` ranges by the top bits
(``owner = fp * count >> 64``); each partition keeps the seen fingerprints of its range.
The states themselves stay with the partition that found them: only fingerprints move.
Each round of a level runs in three steps that a driver orders
(:mod:`zabmc.engine.parallel`):

* :meth:`Partition.expand` expands each frontier state through the
  :class:`~zabmc.engine.expansion.Expander` and buckets the successors by the owner of
  their fingerprint into :class:`Batch` bytes: fingerprints, order keys, parents, actions
  and whether the step was free (a persistent step) as raw arrays, 27 bytes a candidate and
  no state. A partition keeps the states themselves (and its candidates for itself as they
  are); a candidate it sent to its owner in an earlier round is not sent again (the owner
  holds it by then: it could not be new).
* :meth:`Partition.merge` takes the batches sent to it, keeps per fingerprint the
  candidate with the smallest order key, drops those already seen, adds the rest to its
  seen set and answers each sender which of its candidates were new.
* :meth:`Partition.keep` takes those answers: the finder checks its new states in key order
  (the invariants, the witnesses still wanted) and holds them until the driver hands out
  their ranks: the states a free step found join this level as the next round's frontier
  (:meth:`Partition.join`), the others make the next level's (:meth:`Partition.rank`).

Order keys make the result independent of the number of partitions. A level's
states are ranked 0, 1, 2, ... in the order a one-core breadth-first search
explores them (the level's first states, then those that joined it, round by
round); a successor's key is ``parent rank << 16 | position among the parent's
successors``, the order in which the one-core search finds it. The candidate with
the smallest key wins, exactly the one a sequential search would have kept; a
state is checked when found and a deadlock when expanded, as there, so the first
event by key is the one the sequential search stops at.

The cycle proviso of a reduced expansion is kept the same way: the owners' answers say
which of a sender's candidates were new (:meth:`Partition.merge` returns them per
sender); a parent whose reduced successors were all old gets its remaining successors
expanded in a further round of the same level (:meth:`Partition.expand_owed`).

So a new state never crosses a process boundary. A partition's states are its lineage,
and lineages differ in how many successors they have: when one partition holds more than
:data:`REBALANCE_SKEW` above the mean of a round's frontier, the driver has it give
states, spread over its ranks, to the others (:meth:`Partition.give`,
:meth:`Partition.settle`), the only states that cross (one pickle a batch). Ranks, keys and
the parents' fingerprints are global, so where a state is held changes no result: not the
counts, the counterexample (its path is rebuilt from the seen sets' parent links, asked of
each fingerprint's owner) or the figures. (A state used to be sent, pickled, to the
partition owning its fingerprint or the spec's partition key: docs/scale-history.md says
why that went.)
"""

from __future__ import annotations

import collections
import copyreg
import io
import json
import pickle
import struct
from array import array
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from mypy_extensions import mypyc_attr

from zabmc.engine.encoding import StateCodec, key_fingerprint
from zabmc.engine.expansion import Expander
from zabmc.engine.model import Model, Property
from zabmc.engine.store import NO_PARENT, FingerprintStore

ACTION_BITS = 16  # a state's successors are numbered below 2**16 in its order key
#: The frontier states a partition expands before the owners merge their successors (a
#: window of a level's ranks is this many times the number of partitions): a window's
#: successors are let go of before the next window's are made.
WINDOW_STATES = 1 << 16
#: A partition with a costly key skips successors met before as they are, while at least
#: one in this many of a level's successors is (:meth:`Partition._emit`).
MET_MIN_HITS = 20
#: ... judged on a level of at least this many successors (the first levels have few).
MET_JUDGED = 10_000
#: candidates, bytes of the action names, bytes of the states, flags (:data:`BODILESS`)
_HEADER = struct.Struct("<QQQQ")
#: A batch's flag: it carries no states, only their fingerprints, keys and steps (the states
#: stay with the partition that found them).
BODILESS = 1
#: A round's frontier is evened out when its largest partition
#: holds more than this share above the mean (:func:`rebalance_plan`): giving a state costs
#: about a quarter of expanding it, and a partition's excess is waited for by every other.
#: (Measured on the ZK-3911 row to depth 34 with 5%: the larger partition held 4 to 5% above
#: the mean in most levels, never evened out.)
REBALANCE_SKEW = 0.01
#: ... and at least this many states above it (moving a few states costs more round trips
#: than it saves).
REBALANCE_MIN = 500
#: The wire form of a batch's states (frontier states given to even the load, and a
#: frontier's chunks under a memory bound): one pickle of the list, so that the parts the
#: states share (siblings share all but what their step changed) are written and rebuilt once.
PICKLE_PROTOCOL = 5


def owner_of(fps: np.ndarray, count: int) -> np.ndarray:
    """The partition owning each fingerprint: its top bits, scaled to ``count``."""
    if count == 1:
        return np.zeros(len(fps), dtype=np.int64)
    # fp * count >> 64 without 128-bit arithmetic: split the top 32 bits.
    return ((fps >> np.uint64(32)) * np.uint64(count) >> np.uint64(32)).astype(np.int64)


def owner_of_one(fp: int, count: int) -> int:
    return ((fp >> 32) * count) >> 32


# Not a native class (docs/compiled.md): the tests and benches replace the methods of this
# module's public classes, and none of them is touched per successor.
@mypyc_attr(native_class=False)
@dataclass
class Batch:
    """Candidates for one partition from one sender: arrays, and the states or none.

    On the wire (:meth:`to_bytes`) the arrays are raw and the states, when a batch carries
    them (frontier states given to even the load: :meth:`Partition.give`), one pickle of
    their list; a batch of candidates carries none (:data:`BODILESS`). Pickled one by one, a
    state cost as much as expanding it; one pickle per batch writes each part the states
    share once and runs in C: 7 us to write and 4 to read a system-spec state, against 55
    us to pack it and 7 to unpack it in the engine's encoding
    (:mod:`zabmc.engine.encoding`), measured on system-2n's states. A batch is read only by
    a partition of the same search, in a process forked from the same interpreter or a Ray
    actor running the same zabmc; checkpoints and spilled frontiers keep the documented
    encoding.
    """

    fps: np.ndarray  # uint64
    keys: np.ndarray  # int64: parent rank << ACTION_BITS | successor position
    parents: np.ndarray  # uint64
    actions: np.ndarray  # uint16, indexes ``names``
    free: np.ndarray  # bool: the candidate came by a persistent step and joins its parent's level
    names: list[str]
    states: list[Any] | None  # None: a bodiless batch (the states stay with their finder)

    def __len__(self) -> int:
        return len(self.fps)

    def subset(self, only: np.ndarray) -> Batch:
        """The candidates at the positions ``only`` (with their states, if it carries them)."""
        states = self.states
        return Batch(
            self.fps[only],
            self.keys[only],
            self.parents[only],
            self.actions[only],
            self.free[only],
            self.names,
            None if states is None else [states[k] for k in only.tolist()],
        )

    def to_bytes(self) -> bytes:
        """The batch on the wire; its states one pickle of their own, or none."""
        names = json.dumps(self.names).encode()
        flags = 0
        if self.states is None:
            flags, states = BODILESS, b""
        else:
            states = _dump_states(self.states)
        return b"".join(
            [
                _HEADER.pack(len(self.fps), len(names), len(states), flags),
                self.fps.tobytes(),
                self.keys.tobytes(),
                self.parents.tobytes(),
                self.actions.tobytes(),
                self.free.tobytes(),
                names,
                states,
            ]
        )

    @staticmethod
    def from_bytes(data: bytes | memoryview) -> Batch:
        """A batch from :meth:`to_bytes`."""
        n, names_len, states_len, flags = _HEADER.unpack_from(data, 0)
        pos = _HEADER.size
        # the arrays in their order, each a run of bytes (a method of a class that mypyc
        # compiles as a Python class may hold no closure, so no helper with ``nonlocal``)
        fps = np.frombuffer(data, dtype=np.uint64, count=n, offset=pos)
        pos += 8 * n
        keys = np.frombuffer(data, dtype=np.int64, count=n, offset=pos)
        pos += 8 * n
        parents = np.frombuffer(data, dtype=np.uint64, count=n, offset=pos)
        pos += 8 * n
        actions = np.frombuffer(data, dtype=np.uint16, count=n, offset=pos)
        pos += 2 * n
        free = np.frombuffer(data, dtype=np.bool_, count=n, offset=pos)
        pos += n
        names = json.loads(bytes(data[pos : pos + names_len]))
        pos += names_len
        if flags & BODILESS:
            return Batch(fps, keys, parents, actions, free, names, None)
        states = pickle.loads(data[pos : pos + states_len])
        if len(states) != n:
            raise ValueError(f"a batch of {n} candidates carries {len(states)} states")
        return Batch(fps, keys, parents, actions, free, names, states)


#: A record (NamedTuple) rebuilt from its items without running its Python ``__new__``:
#: ``tuple.__new__(cls, items)``, a C call (the default, ``cls.__new__(cls, *items)``, runs
#: the class's generated ``__new__`` in Python for every record of every state).
_rebuild_record = tuple.__new__
#: The code of every ``namedtuple``'s own ``__getnewargs__`` (``tuple(self)``).
_NAMEDTUPLE_GETNEWARGS = collections.namedtuple("_Probe", "a").__getnewargs__.__code__  # type: ignore[attr-defined]  # mypy types a namedtuple's class as a plain tuple's


@mypyc_attr(native_class=False)  # a dict subclass, which pickle calls __missing__ of
class _Reducers(dict):
    """Per type, how a batch's pickle writes it (``Pickler.dispatch_table``), filled as types
    are met: a record type whose instances are its items and nothing else becomes
    ``_rebuild_record(cls, items)``; any other type is written as pickle writes it by default.

    Measured on system-2n's states: 10.5 against 15 us to write and 5.5 against 8.6 us to
    read a state (``bench/scale.py`` counts the states that move)."""

    def __missing__(self, cls: type) -> Callable[[Any], Any]:
        reducer = _record_reducer(cls) if _plain_record(cls) else _default_reducer
        self[cls] = reducer
        return reducer


def _record_reducer(cls: type) -> Callable[[Any], Any]:
    """How a batch's pickle writes a plain record of type ``cls``: from its items."""

    def reducer(obj: Any) -> tuple:
        return _rebuild_record, (cls, tuple(obj))

    return reducer


def _default_reducer(obj: Any) -> Any:
    """How pickle writes any other object by default."""
    return obj.__reduce_ex__(PICKLE_PROTOCOL)


def _plain_record(cls: type) -> bool:
    """A NamedTuple type (or a subclass) whose instances hold their items and nothing else,
    and which pickle writes, by default, as ``cls.__new__(cls, *items)``."""
    getnewargs = getattr(cls, "__getnewargs__", None)
    return (
        issubclass(cls, tuple)
        and cls.__dictoffset__ == 0  # no instance __dict__: nothing beside the items
        and cls.__reduce_ex__ is tuple.__reduce_ex__
        and cls.__reduce__ is tuple.__reduce__
        and getattr(getnewargs, "__code__", None) is _NAMEDTUPLE_GETNEWARGS
    )


_REDUCERS = _Reducers(copyreg.dispatch_table)


def _dump_states(states: list[Any]) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=PICKLE_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(states)
    return out.getvalue()


def _members(sorted_fps: np.ndarray, fps: np.ndarray) -> np.ndarray:
    """A boolean mask: which of ``fps`` are in ``sorted_fps`` (sorted, distinct)."""
    if not len(sorted_fps) or not len(fps):
        return np.zeros(len(fps), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_fps, fps), len(sorted_fps) - 1)
    return sorted_fps[at] == fps


class _Outgoing:
    """Candidates being collected for one destination."""

    def __init__(self) -> None:
        self.fps: list[int] = []
        self.keys: list[int] = []
        self.parents: list[int] = []
        self.actions: list[int] = []
        self.free: list[bool] = []
        self.states: list[Any] = []

    def batch(self, names: list[str]) -> Batch:
        """The candidates as a batch, with their states as they are (they never cross: the
        owners get the batch without them)."""
        return Batch(
            np.array(self.fps, dtype=np.uint64),
            np.array(self.keys, dtype=np.int64),
            np.array(self.parents, dtype=np.uint64),
            np.array(self.actions, dtype=np.uint16),
            np.array(self.free, dtype=np.bool_),
            list(names),
            self.states,
        )


@mypyc_attr(native_class=False)
@dataclass
class Frontier:
    """A level's states in rank order: ranks, fingerprints and states.

    A state is held as an object, or as packed bytes (an initial state, which the
    driver sends packed). Under a memory bound a chunk's states are held as one pickle of
    their list (:class:`Pickled`, the parts they share written once: about a fifth of
    what they take as objects, and a quarter of the CPU of packing them one by one in
    the engine's encoding), so that the bound counts real bytes, and chunks past it live
    in files, read back one at a time. Checkpoints keep the engine's encoding
    (:meth:`Partition.save`).
    """

    pack: Callable[[Any], bytes]
    spill_dir: Path | None = None
    memory_bytes: int | None = None
    chunks: list[tuple[np.ndarray, np.ndarray, list[Any] | Pickled] | Path] = field(
        default_factory=list
    )
    held_bytes: int = 0
    size: int = 0
    _spilled: int = 0

    def append(self, ranks: np.ndarray, fps: np.ndarray, states: list[Any]) -> None:
        if self.memory_bytes is None:
            self.size += len(ranks)
            self.chunks.append((ranks, fps, states))
            return
        self.append_pickled(ranks, fps, Pickled.of(states))

    def append_pickled(self, ranks: np.ndarray, fps: np.ndarray, states: Pickled) -> None:
        """Hold a chunk whose states are pickled already (in memory, or past the bound in
        a file)."""
        self.size += len(ranks)
        nbytes = len(states.blob)
        over = self.memory_bytes is not None and self.held_bytes + nbytes > self.memory_bytes
        if over and self.spill_dir is not None:
            self.spill_dir.mkdir(parents=True, exist_ok=True)
            path = self.spill_dir / f"frontier-{self._spilled}.npz"
            self._spilled += 1
            with path.open("wb") as out:
                np.savez(out, ranks=ranks, fps=fps, pickled=np.frombuffer(states.blob, np.uint8))
            self.chunks.append(path)
        else:
            self.held_bytes += nbytes
            self.chunks.append((ranks, fps, states))

    def __iter__(self) -> Iterator[tuple[int, int, Any]]:
        for chunk in self.chunks:
            ranks, fps, states = _read_chunk(chunk)
            yield from zip(ranks.tolist(), fps.tolist(), states, strict=True)

    def drain(self) -> Iterator[tuple[int, int, Any]]:
        """The states in rank order, as :meth:`__iter__`, letting go of each chunk once it
        is read: the states of a level expanded so far are not held to the level's end
        (only what their successors share with them stays)."""
        chunks = self.chunks
        chunks.reverse()  # taken from the end, in rank order
        while chunks:
            chunk = chunks.pop()
            if not isinstance(chunk, Path) and isinstance(chunk[2], Pickled):
                self.held_bytes -= len(chunk[2].blob)
            ranks, fps, states = _read_chunk(chunk)
            self.size -= len(ranks)
            del chunk
            yield from zip(ranks.tolist(), fps.tolist(), states, strict=True)
            del ranks, fps, states

    def clear(self) -> None:
        for chunk in self.chunks:
            if isinstance(chunk, Path):
                chunk.unlink(missing_ok=True)
        self.chunks, self.held_bytes, self.size = [], 0, 0


class Pickled(NamedTuple):
    """A chunk's states as one pickle of their list (:func:`_dump_states`)."""

    blob: bytes

    @staticmethod
    def of(states: list[Any]) -> Pickled:
        return Pickled(_dump_states(states))

    def states(self) -> list[Any]:
        return pickle.loads(self.blob)  # type: ignore[no-any-return]


Chunk = tuple[np.ndarray, np.ndarray, "list[Any] | Pickled"]


def _read_chunk(chunk: Path | Chunk) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """A frontier chunk's ranks, fingerprints and states; a spilled one is read back and
    its file removed (each chunk is read once)."""
    if isinstance(chunk, Path):
        contents = load_chunk(chunk)
        chunk.unlink()
        return contents
    return _contents(chunk)


def _contents(chunk: Chunk) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """An in-memory chunk with its states as a list."""
    ranks, fps, states = chunk
    return ranks, fps, states.states() if isinstance(states, Pickled) else states


def save_chunk(
    path: Path,
    ranks: np.ndarray,
    fps: np.ndarray,
    states: list[Any],
    pack: Callable[[Any], bytes],
) -> None:
    """Write frontier states to ``path``: ranks, fingerprints, offsets and the packed bytes."""
    states = [s if type(s) is bytes else pack(s) for s in states]
    sizes = np.fromiter((len(s) for s in states), dtype=np.uint64, count=len(states))
    offsets = np.zeros(len(states) + 1, dtype=np.uint64)
    np.cumsum(sizes, out=offsets[1:])
    blob = np.frombuffer(b"".join(states), dtype=np.uint8)
    with path.open("wb") as out:
        np.savez(out, ranks=ranks, fps=fps, offsets=offsets, blob=blob)


def load_chunk(path: Path) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """A chunk written by :func:`save_chunk` (states packed in the engine's encoding, as
    bytes), or spilled pickled by :meth:`Frontier.append_pickled` (states as objects)."""
    with np.load(path) as saved:
        if "pickled" in saved.files:
            return saved["ranks"], saved["fps"], pickle.loads(saved["pickled"].tobytes())
        ranks, fps, offsets = saved["ranks"], saved["fps"], saved["offsets"].tolist()
        blob = saved["blob"].tobytes()
    states = [blob[offsets[k] : offsets[k + 1]] for k in range(len(ranks))]
    return ranks, fps, states


#: An event that ends a search, in the one-core search's order: (order key, fingerprint, kind,
#: property). An invariant's violation happens when its state is found, so its key is the
#: state's; a deadlock happens when its state is expanded, after everything found before it.
Event = tuple[int, int, str, "str | None"]


@mypyc_attr(native_class=False)  # pickled between processes, as it was
@dataclass
class LevelReport:
    """What a partition found while expanding its frontier, for the driver to combine."""

    #: The first deadlock in rank order, keyed ``rank << ACTION_BITS``.
    violation: Event | None = None
    generated: dict[str, int] = field(default_factory=dict)
    expanded: int = 0
    owed: int = 0  # parents whose reduced expansion still waits for the owners' answer
    sizes: list[int] = field(default_factory=list)  # candidates per destination


@mypyc_attr(native_class=False)  # pickled between processes, as it was
@dataclass
class MergeReport:
    """What a partition added in a merge: the new states' order keys, per-action counts,
    and what checking them found."""

    keys: np.ndarray  # the new states of the next level, sorted
    free_keys: np.ndarray  # the new states that joined this level (persistent steps), sorted
    distinct: dict[str, int]
    #: Per sender, the positions of its candidates that were new.
    accepted: dict[int, np.ndarray]
    #: The new state with the smallest key that breaks an invariant.
    violation: Event | None = None
    #: Per watched witness, the new state with the smallest key satisfying it: (key, fp).
    witnesses: dict[str, tuple[int, int]] = field(default_factory=dict)


@mypyc_attr(native_class=False)  # tests and bench/parallel_profile.py wrap its methods
class Partition:
    """The search's work for one partition: the states it found, and the seen fingerprints
    it owns."""

    def __init__(
        self,
        model: Model,
        expander: Expander,
        key: Callable[[Hashable], Hashable] | None,
        invariants: Sequence[Property],
        witnesses: Sequence[Property],
        check_deadlock: bool,
        index: int,
        count: int,
        spill_dir: Path | None = None,
        memory_bytes: int | None = None,
        costly_key: bool = False,
    ) -> None:
        self.model, self.expander = model, expander
        self.index, self.count = index, count
        self.codec = StateCodec()
        self.fingerprint = key_fingerprint(key)
        self.key = key
        self.local = 0  # candidates this partition kept for itself (never serialized)
        self.moved = 0  # candidates it sent to another partition
        self.shipped = 0  # frontier states it gave another partition to even the load
        # The last round's candidates per destination, states included, until the owners'
        # answers say which to keep (:meth:`keep`).
        self._bodies: list[Batch] = []
        # Fingerprints this partition sent to another in an earlier round, sorted: their
        # owners hold them by now, so a candidate among them is not sent again.
        self._moved_before = np.empty(0, dtype=np.uint64)
        self.skipped = 0  # candidates not sent again for that reason
        # Per destination, the positions (among the round's candidates for it) of those
        # sent, when some were skipped: the owners' answers name positions in what they got.
        self._sent_positions: dict[int, np.ndarray] = {}
        self.broken = model.invariant_checker(invariants)
        self.witness_checks = [(p.name, p.condition) for p in witnesses]
        self.check_deadlock = check_deadlock
        self.store = FingerprintStore()
        self.spill_dir, self.memory_bytes = spill_dir, memory_bytes
        self.frontier = Frontier(self.codec.pack, spill_dir, memory_bytes)
        self._kept: Batch | None = None
        self._outgoing: list[_Outgoing] = []
        self._round_start = 0  # where this round's successors start in the log
        self._sent: set[int] = set()
        # With a costly key (a canonical form), the hashes of the successors met this level
        # as they are: one met before has had its key's fingerprint taken already, and that
        # is in ``_sent`` (see :meth:`_emit`). Dropped for good after a level where fewer
        # than one successor in MET_MIN_HITS was met before (then hashing them costs more
        # than it saves: TLC's states carry the step that made them, and seldom repeat).
        # Whether it is kept changes no result, only the work.
        self._met: set[int] | None = set() if costly_key and key is not None else None
        self._met_hits = 0
        # Parents whose reduced expansion owes the proviso: rank, fp, state, their candidates.
        self._owed: list[tuple[int, int, Hashable, int, list[tuple[int, int]]]] = []
        # New states of the next level, and of this level (persistent steps): keys, fps, states.
        self._pending: list[Chunk] = []
        self._joined: list[Chunk] = []
        self._watching: list[tuple[str, Callable[[Any], bool]]] = []
        # This round's successors (keys, action codes) and new states (keys, codes, free).
        self._codes: dict[str, int] = {}
        self._log_keys, self._log_codes = array("q"), array("q")
        self._log_accepted: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._batches: list[bytes] = []
        # The frontier being expanded, window by window, and its next state (rank, fp, state).
        self._draining: Iterator[tuple[int, int, Any]] | None = None
        self._next: tuple[int, int, Any] | None = None
        # What the expander had counted when this partition adopted its part (None: nothing).
        self._reduction_before: dict[str, Any] | None = None

    # -- a level ----------------------------------------------------------------

    def seed(self, ranks: list[int], fps: list[int], states: list[bytes]) -> None:
        """Take the initial states this partition owns (deduplicated and checked)."""
        fp_arr = np.array(fps, dtype=np.uint64)
        self.store.add(fp_arr, np.full(len(fps), NO_PARENT, dtype=np.uint64))
        self.frontier.append(np.array(ranks, dtype=np.int64), fp_arr, list(states))

    def expand(self, watching: Sequence[str], limit: int | None = None) -> LevelReport:
        """Expand the frontier states ranked below ``limit`` (None: every one), in rank
        order, and bucket their successors by owner.

        A level's round is expanded in windows of ranks, each merged before the next is
        expanded (:data:`WINDOW_STATES`), so that a window's successors, most of them
        states seen before, are let go of before the next window's are made; the windows
        come in rank order, so the merges still meet each state's candidates in key order.
        Stops at the first deadlock: the one-core search would stop there, and what the
        states before it found is merged all the same, since it was found before the
        deadlock. ``watching`` names the witnesses the next merges look for.
        """
        report = LevelReport()
        self._watching = [(n, c) for n, c in self.witness_checks if n in watching]
        self._log_keys, self._log_codes, self._log_accepted = array("q"), array("q"), []
        self._start_round()
        unpack = self.codec.unpack
        model, expander, emit = self.model, self.expander, self._emit
        if self._draining is None:
            self._draining = self.frontier.drain()
            self._next = next(self._draining, None)
        draining = self._draining
        current = self._next
        while current is not None and (limit is None or current[0] < limit):
            rank, fp, data = current
            # packed: an initial state, or one read back from a spilled or saved frontier
            state = unpack(data) if type(data) is bytes else data
            expansion = expander.expand(state)
            successors, complete = expansion.successors, expansion.complete
            if not successors and not complete:
                successors, complete = list(expander.expand_rest(state)), True
            if not successors:
                if self.check_deadlock and not model.is_final(state):
                    report.violation = (rank << ACTION_BITS, fp, "deadlock", None)
                    break
                current = next(draining, None)
                continue
            report.expanded += 1
            if complete:
                emit(rank, fp, state, successors, 0, expansion.free, None)
            else:
                sent: list[tuple[int, int]] = []
                emit(rank, fp, state, successors, 0, expansion.free, sent)
                self._owed.append((rank, fp, state, len(successors), sent))
            current = next(draining, None)
        self._next = current
        if current is None or report.violation is not None:
            self._draining = self._next = None
            self.frontier.clear()
        report.owed = len(self._owed)
        report.sizes = self._finish_round(report)
        return report

    def drop_frontier(self) -> None:
        """Let go of the frontier left when a search stops (a violation found mid-level, or
        the depth bound): its chunks spilled to disk are removed."""
        self._draining = self._next = None
        self.frontier.clear()

    def expand_owed(self, accepted: Sequence[np.ndarray]) -> LevelReport:
        """Expand the rest of each reduced parent none of whose successors was new.

        ``accepted[dst]`` are the positions, in this partition's last batch to
        ``dst``, of the candidates that partition found new.
        """
        report = LevelReport()
        new = {
            (dst, int(k))
            for dst, positions in enumerate(accepted)
            for k in (
                self._sent_positions[dst][positions] if dst in self._sent_positions else positions
            )
        }
        owed, self._owed = self._owed, []
        self._start_round()
        for rank, fp, state, done, sent in owed:
            if any(c in new for c in sent):
                continue
            rest = list(self.expander.expand_rest(state))
            self._emit(rank, fp, state, rest, done, False, None)
        report.sizes = self._finish_round(report)
        return report

    def _start_round(self) -> None:
        self._outgoing = [_Outgoing() for _ in range(self.count)]
        self._round_start = len(self._log_codes)

    def _emit(
        self,
        rank: int,
        parent_fp: int,
        parent: Hashable,
        successors: Sequence[tuple],
        first: int,
        free: bool | Sequence[bool],
        where: list[tuple[int, int]] | None,
    ) -> None:
        """Bucket a parent's successors by the owner of their fingerprint, and note in
        ``where`` (when given) where each went: (destination, position in its batch).

        Per successor this is the search's innermost loop: the successors per action are
        counted from the round's log when it ends (:meth:`_finish_round`).
        """
        fingerprint = self.fingerprint
        count: int = self.count
        sent: set[int] = self._sent
        outgoing: list[_Outgoing] = self._outgoing
        met: set[int] | None = self._met
        base: int = rank << ACTION_BITS
        # Every successor's key and action, so that a round cut short by a violation can be
        # counted up to it (:meth:`counted_until`), and the round's successors per action.
        # The keys of one parent's successors run on from ``base | first``: one extend.
        codes: dict[str, int] = self._codes
        self._log_keys.extend(range(base | first, (base | first) + len(successors)))
        made: list[int] = []
        # ``free`` for all of them, or one flag each (Expansion.free)
        every: bool = free if type(free) is bool else False  # type: ignore[assignment]
        flags: Sequence[bool] | None = None if type(free) is bool else free  # type: ignore[assignment]
        hits = 0
        position = first - 1
        for action, succ in successors:
            position += 1
            name: str = action.name
            code = codes.get(name)
            if code is None:
                code = codes[name] = len(codes)
            made.append(code)
            if met is not None:
                # Met this level as it is: its canonical form's fingerprint is in ``sent``
                # (both are the level's), so it would be skipped below; the one-core
                # search skips it the same way, by its own hash (:func:`check_bfs`).
                raw = hash(succ)
                if raw in met:
                    hits += 1
                    continue
                met.add(raw)
            fp: int = fingerprint(succ)
            if fp in sent:
                continue  # an earlier candidate of this partition had it: not new here
            dst = ((fp >> 32) * count) >> 32
            sent.add(fp)
            out = outgoing[dst]
            if where is not None:
                where.append((dst, len(out.fps)))
            out.fps.append(fp)
            out.keys.append(base | position)
            out.parents.append(parent_fp)
            out.actions.append(code)
            out.free.append(every if flags is None else flags[position - first])
            out.states.append(succ)
        self._log_codes.extend(made)
        if hits:
            self._met_hits += hits

    def _finish_round(self, report: LevelReport) -> list[int]:
        """Close the round: its successors per action into ``report``, the batches."""
        names = list(self._codes)
        made = np.bincount(
            np.frombuffer(self._log_codes, dtype=np.int64)[self._round_start :],
            minlength=len(names),
        )
        generated = report.generated
        for name, n in zip(names, made.tolist(), strict=True):
            if n:
                generated[name] = generated.get(name, 0) + n
        self._batches = []
        self._sent_positions = {}
        moved = []
        bodies = self._bodies = []
        for dst, out in enumerate(self._outgoing):
            full = out.batch(names)
            bodies.append(full)
            if dst == self.index:
                self.local += len(full)
                self._batches.append(b"")
                self._kept = full
                continue
            self.moved += len(full)
            fps = full.fps
            again = _members(self._moved_before, fps)
            # the owner gets the fingerprints and keys, not the states
            wire = replace(full, states=None)
            if again.any():
                only = self._sent_positions[dst] = np.flatnonzero(~again)
                self.skipped += len(fps) - len(only)
                wire = wire.subset(only)
                fps = fps[only]
            moved.append(fps)
            self._batches.append(wire.to_bytes())
        if moved:
            # distinct from each other (``_sent``) and from those before (skipped above)
            fresh = np.sort(np.concatenate(moved))
            before = self._moved_before
            self._moved_before = np.insert(before, np.searchsorted(before, fresh), fresh)
        self._outgoing = []
        return [len(b) for b in self._batches]

    def outgoing(self, dst: int) -> bytes:
        """The last round's batch for partition ``dst`` (taken: a second call gives b"")."""
        data, self._batches[dst] = self._batches[dst], b""
        return data

    def merge(self, incoming: Sequence[bytes]) -> MergeReport:
        """Add to the seen set the new fingerprints among the batches sent to this partition,
        one per sender (its own place in ``incoming`` is empty: it kept its candidates for
        itself), and say per sender which of its candidates were new: the senders keep and
        check those (:meth:`keep`)."""
        kept, self._kept = self._kept, None
        batches = [
            kept if k == self.index and kept is not None else Batch.from_bytes(b)
            for k, b in enumerate(incoming)
        ]
        fps = np.concatenate([b.fps for b in batches])
        keys = np.concatenate([b.keys for b in batches])
        accepted: dict[int, np.ndarray] = {}
        distinct: dict[str, int] = {}
        empty = np.empty(0, dtype=np.int64)
        if not len(fps):
            for k in range(len(batches)):
                accepted[k] = empty
            return MergeReport(empty, empty, distinct, accepted)
        sender = np.concatenate([np.full(len(b), k, dtype=np.int64) for k, b in enumerate(batches)])
        local = np.concatenate([np.arange(len(b), dtype=np.int64) for b in batches])
        order = np.lexsort((keys, fps))
        sorted_fps = fps[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = sorted_fps[1:] != sorted_fps[:-1]
        winners = order[first]
        winners = winners[~self.store.contains(fps[winners])]
        # In the order the one-core search finds them: by key.
        winners = winners[np.argsort(keys[winners], kind="stable")]
        parents = np.concatenate([b.parents for b in batches])[winners]
        self.store.add(fps[winners], parents)
        win_sender, win_local = sender[winners], local[winners]
        for k, batch in enumerate(batches):
            mine = np.sort(win_local[win_sender == k])
            accepted[k] = mine
            if len(mine):
                codes = np.bincount(batch.actions[mine], minlength=len(batch.names))
                for name, n in zip(batch.names, codes.tolist(), strict=True):
                    if n:
                        distinct[name] = distinct.get(name, 0) + n
        free = np.concatenate([b.free for b in batches])[winners]
        self._log_accepted.append((keys[winners], self._action_codes(batches, winners), free))
        return MergeReport(empty, empty, distinct, accepted)

    def keep(self, accepted: Sequence[np.ndarray]) -> MergeReport:
        """Keep the candidates of the last round that their owners found new
        (``accepted[dst]``: positions in this partition's last batch to ``dst``, as
        :meth:`expand_owed` takes them), check them in key order, as the one-core search
        checks a state when it finds it, and hold them. A new state's body never leaves the
        partition that found it."""
        bodies, self._bodies = self._bodies, []
        chosen = []
        for dst, positions in enumerate(accepted):
            if len(positions):
                sent = self._sent_positions.get(dst)
                chosen.append(bodies[dst].subset(positions if sent is None else sent[positions]))
        empty = np.empty(0, dtype=np.int64)
        report = MergeReport(empty, empty, {}, {})
        if not chosen:
            return report
        keys = np.concatenate([b.keys for b in chosen])
        order = np.argsort(keys, kind="stable")  # in the order the one-core search finds them
        fps = np.concatenate([b.fps for b in chosen])[order]
        free = np.concatenate([b.free for b in chosen])[order]
        found = [s for b in chosen for s in b.states]  # type: ignore[union-attr]
        self._hold(keys[order], fps, free, [found[k] for k in order.tolist()], report)
        return report

    def _hold(
        self,
        keys: np.ndarray,
        fps: np.ndarray,
        free: np.ndarray,
        states: list[Any],
        report: MergeReport,
    ) -> None:
        """Check new states (in key order) and hold them until the driver ranks them: those
        a free step found join this level, the others make the next."""
        self._check(keys, fps, states, report)
        nxt = np.flatnonzero(~free)
        joined = np.flatnonzero(free)
        report.keys, report.free_keys = keys[nxt], keys[joined]
        self._pending.append((keys[nxt], fps[nxt], self._held([states[k] for k in nxt.tolist()])))
        self._joined.append(
            (keys[joined], fps[joined], self._held([states[k] for k in joined.tolist()]))
        )

    def _action_codes(self, batches: Sequence[Batch], winners: np.ndarray) -> np.ndarray:
        """The action codes (this partition's, as in the round's log) of the winners."""
        codes = self._codes
        per_batch = []
        for batch in batches:
            mapping = []
            for name in batch.names:
                if name not in codes:
                    codes[name] = len(codes)
                mapping.append(codes[name])
            table = np.array(mapping or [0], dtype=np.int64)
            per_batch.append(table[batch.actions.astype(np.int64)])
        return np.concatenate(per_batch)[winners]

    def counted_until(self, limit: int) -> tuple[dict[str, int], dict[str, int], int, int]:
        """This round's figures up to the key ``limit``, as the one-core search has them when
        it stops there: successors per action, new states per action, and how many new
        states joined this level and the next."""
        names = list(self._codes)
        keys = np.frombuffer(self._log_keys, dtype=np.int64)
        codes = np.frombuffer(self._log_codes, dtype=np.int64)
        made = np.bincount(codes[keys <= limit], minlength=len(names))
        generated = {n: int(k) for n, k in zip(names, made.tolist(), strict=True) if k}
        distinct: dict[str, int] = {}
        joined = following = 0
        for win_keys, win_codes, free in self._log_accepted:
            before = win_keys <= limit
            for code in win_codes[before].tolist():
                distinct[names[code]] = distinct.get(names[code], 0) + 1
            joined += int(np.count_nonzero(free[before]))
            following += int(np.count_nonzero(~free[before]))
        return generated, distinct, joined, following

    def _check(
        self, keys: np.ndarray, fps: np.ndarray, states: list[Any], report: MergeReport
    ) -> None:
        """Check new states in key order: the first broken invariant, and the first state
        satisfying each watched witness before it."""
        broken, watching = self.broken, list(self._watching)
        for key, fp, state in zip(keys.tolist(), fps.tolist(), states, strict=True):
            name = broken(state)
            if name is not None:
                report.violation = (key, fp, "invariant", name)
                return
            if watching:
                for name, cond in list(watching):
                    if cond(state):
                        report.witnesses[name] = (key, fp)
                        watching.remove((name, cond))

    def join(self, free_keys: np.ndarray, first_rank: int) -> int:
        """Make the states that joined this level by a persistent step the frontier of its
        next round, ranked ``first_rank + `` their place among ``free_keys`` (every
        partition's, sorted): the one-core search explores them after the level's others."""
        return self._to_frontier(self._joined, free_keys, first_rank)

    def rank(self, level_keys: np.ndarray) -> int:
        """Order the states merged this level by their rank among ``level_keys`` (all
        partitions' new keys, sorted) and make them the next frontier."""
        self._sent = set()
        if self._met is not None:
            tried = len(self._met) + self._met_hits
            few = tried >= MET_JUDGED and self._met_hits * MET_MIN_HITS < tried
            self._met = None if few else set()
            self._met_hits = 0
        self._owed = []
        self._joined = []
        return self._to_frontier(self._pending, level_keys, 0)

    def _held(self, states: list[Any]) -> list[Any] | Pickled:
        """New states as this partition holds them until they make a frontier: under a
        memory bound pickled, one pickle a round."""
        return states if self.memory_bytes is None or not states else Pickled.of(states)

    def _to_frontier(
        self,
        held: list[tuple[np.ndarray, np.ndarray, list[Any] | Pickled]],
        all_keys: np.ndarray,
        first_rank: int,
    ) -> int:
        if not held:
            return 0
        keys = np.concatenate([p[0] for p in held])
        fps = np.concatenate([p[1] for p in held])
        ranks = np.searchsorted(all_keys, keys) + first_rank
        if self.memory_bytes is not None and bool(np.all(ranks[1:] > ranks[:-1])):
            # Merged window after window, in key order: each merge's pickle is a chunk of
            # the frontier as it is, never unpickled to be put in order.
            start = 0
            for part_keys, _, states in held:
                end = start + len(part_keys)
                if end > start:
                    pickled = states if isinstance(states, Pickled) else Pickled.of(states)
                    self.frontier.append_pickled(ranks[start:end], fps[start:end], pickled)
                start = end
            held.clear()
            return len(ranks)
        states = [s for p in held for s in _contents(p)[2]]
        held.clear()
        order = np.argsort(ranks, kind="stable")
        chunk = 1 << 16
        for start in range(0, len(order), chunk):
            part = order[start : start + chunk]
            self.frontier.append(ranks[part], fps[part], [states[k] for k in part.tolist()])
        return len(order)

    # -- the hand-over ----------------------------------------------------------

    def adopt(self, index: int, count: int, spill_dir: Path | None) -> None:
        """Become partition ``index`` of ``count``, from the one partition of a search that
        ran so far in one process, at a level's end (:func:`zabmc.engine.parallel.check_parallel`
        with ``handover``: every worker forks with that partition and adopts its part).

        The frontier keeps every ``count``-th state by rank (so that each window of ranks is
        shared evenly), in rank order; the seen set keeps the fingerprints this partition
        owns. What the one partition counted so far (its traffic, its reduction) stays with
        partition 0's.
        """
        old = self.frontier
        self.index, self.count = index, count
        self.spill_dir = spill_dir
        self.frontier = Frontier(self.codec.pack, spill_dir, self.memory_bytes)
        for chunk in old.chunks:
            ranks, fps, states = load_chunk(chunk) if isinstance(chunk, Path) else _contents(chunk)
            mine = _every(ranks, index, count)
            if mine.any():
                kept = [s for s, m in zip(states, mine.tolist(), strict=True) if m]
                self.frontier.append(ranks[mine], fps[mine], kept)
        mine = owner_of(self.store.fingerprints, count) == index
        store = FingerprintStore()
        store.add(self.store.fingerprints[mine], self.store.parents[mine])
        self.store = store
        if index != 0:
            self.local = self.moved = self.skipped = self.shipped = 0
            self._reduction_before = self.reduction()

    # -- questions after the search -------------------------------------------

    def reduction(self) -> dict[str, Any] | None:
        """What this partition's expander reduced (None: it does not reduce)."""
        describe = getattr(self.expander, "describe", None)
        if describe is None:
            return None
        return _less(describe(), self._reduction_before)

    def parent(self, fp: int) -> int | None:
        """The parent of a fingerprint this partition owns (None: an initial state)."""
        return self.store.parent(fp)

    def traffic(self) -> tuple[int, int, int, int]:
        """Candidates kept here, candidates owned by another partition, those of them not
        sent since this partition had sent them in an earlier round, and frontier states
        given to another partition to even the load, so far."""
        return self.local, self.moved, self.skipped, self.shipped

    def store_figures(self) -> tuple[int, int, int | None, int, int]:
        """States held, bytes held, smallest gap, first and last fingerprint."""
        fps = self.store.fingerprints
        first = int(fps[0]) if len(fps) else 0
        last = int(fps[-1]) if len(fps) else 0
        return len(fps), self.store.nbytes, self.store.smallest_gap(), first, last

    # -- checkpoints ------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write this partition's seen set and frontier into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.store.save(folder / "seen.npz")
        for k, chunk in enumerate(self.frontier.chunks):
            # in the engine's encoding, whatever the frontier holds (pickles are this
            # interpreter's, a checkpoint is not)
            contents = load_chunk(chunk) if isinstance(chunk, Path) else _contents(chunk)
            save_chunk(folder / f"frontier-{k}.npz", *contents, self.codec.pack)

    def load(self, folders: Sequence[Path]) -> None:
        """Take, from every saved partition, the seen fingerprints this partition owns and
        every ``count``-th frontier state by rank (so a checkpoint may be resumed with
        another number of partitions)."""
        all_fps: list[np.ndarray] = []
        all_parents: list[np.ndarray] = []
        ranks: list[np.ndarray] = []
        fps: list[np.ndarray] = []
        states: list[Any] = []
        for folder in folders:
            seen_fps, seen_parents = FingerprintStore.load(folder / "seen.npz")
            mine = owner_of(seen_fps, self.count) == self.index
            all_fps.append(seen_fps[mine])
            all_parents.append(seen_parents[mine])
            for path in sorted(folder.glob("frontier-*.npz")):
                f_ranks, f_fps, f_states = load_chunk(path)
                mine = _every(f_ranks, self.index, self.count)
                ranks.append(f_ranks[mine])
                fps.append(f_fps[mine])
                states.extend(s for s, m in zip(f_states, mine.tolist(), strict=True) if m)
        self.store = FingerprintStore()
        if all_fps:
            self.store.add(np.concatenate(all_fps), np.concatenate(all_parents))
        self.frontier = Frontier(self.codec.pack, self.spill_dir, self.memory_bytes)
        if ranks:
            self._refill(np.concatenate(ranks), np.concatenate(fps), states)

    def _refill(self, ranks: np.ndarray, fps: np.ndarray, states: list[Any]) -> None:
        """Append these states to the frontier in rank order, a chunk at a time."""
        order = np.argsort(ranks, kind="stable")
        chunk = 1 << 16
        for start in range(0, len(order), chunk):
            part = order[start : start + chunk]
            self.frontier.append(ranks[part], fps[part], [states[k] for k in part.tolist()])

    # -- evening the load -----------------------------------------------------------

    def give(self, plan: dict[int, int]) -> int:
        """Give ``plan[dst]`` of this level's frontier states to partition ``dst``: states
        spread evenly over this partition's ranks, so that every window of ranks stays as
        evenly shared as the level (their batches are sent by the driver's next exchange,
        which :meth:`settle` takes). Returns the frontier states left here."""
        count = sum(plan.values())
        self._batches = [b""] * self.count
        if not count:
            return self.frontier.size
        ranks, fps, states = self._take_frontier()
        size = len(ranks)
        # the k-th given is the state at (k + 1/2) size / count: distinct, spread evenly
        given = ((2 * np.arange(count, dtype=np.int64) + 1) * size) // (2 * count)
        # ... dealt to the destinations in turn, each spread over the whole range too
        deal = sorted(((j + 0.5) / n, dst) for dst, n in plan.items() for j in range(n))
        to = np.array([dst for _, dst in deal], dtype=np.int64)
        keep = np.ones(size, dtype=bool)
        keep[given] = False
        zeros = np.zeros(count, dtype=np.uint64)
        for dst in plan:
            at = given[to == dst]
            batch = Batch(
                fps[at],
                ranks[at].astype(np.int64),
                zeros[: len(at)],
                zeros[: len(at)].astype(np.uint16),
                np.zeros(len(at), dtype=np.bool_),
                [],
                [states[k] for k in at.tolist()],
            )
            self._batches[dst] = batch.to_bytes()
        self.shipped += count
        kept = np.flatnonzero(keep)
        self._refill(ranks[kept], fps[kept], [states[k] for k in kept.tolist()])
        return self.frontier.size

    def settle(self, incoming: Sequence[bytes]) -> int:
        """Take the frontier states other partitions gave this one (:meth:`give`), in rank
        order among its own. Returns the frontier's size."""
        batches = [Batch.from_bytes(b) for b in incoming if b]
        if not batches:
            return self.frontier.size
        ranks, fps, states = self._take_frontier()
        self._refill(
            np.concatenate([ranks, *(b.keys for b in batches)]),
            np.concatenate([fps, *(b.fps for b in batches)]),
            states + [s for b in batches for s in b.states],  # type: ignore[union-attr]
        )
        return self.frontier.size

    def _take_frontier(self) -> tuple[np.ndarray, np.ndarray, list[Any]]:
        """The whole frontier, taken out of it (ranks, fingerprints, states)."""
        ranks: list[np.ndarray] = []
        fps: list[np.ndarray] = []
        states: list[Any] = []
        for chunk in self.frontier.chunks:
            r, f, s = load_chunk(chunk) if isinstance(chunk, Path) else _contents(chunk)
            ranks.append(r)
            fps.append(f)
            states.extend(s)
        self.frontier.clear()
        if not ranks:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint64), []
        return np.concatenate(ranks), np.concatenate(fps), states


def _every(ranks: np.ndarray, index: int, count: int) -> np.ndarray:
    """Which of these ranks fall to partition ``index`` of ``count`` dealt in turn."""
    return np.asarray(ranks, dtype=np.int64) % count == index


def rebalance_plan(sizes: Sequence[int]) -> list[dict[int, int]] | None:
    """Per partition, how many frontier states to give which other, so that each holds
    about the mean; None when the largest is within :data:`REBALANCE_SKEW` (and
    :data:`REBALANCE_MIN` states) of the mean. The largest surplus goes first to the
    largest deficit, so every partition gives or takes, never both."""
    count = len(sizes)
    total = sum(sizes)
    if count < 2 or not total:
        return None
    # each partition's share of the total: the mean, one more for the ``total % count``
    # largest (a partition a state over the mean gives nothing)
    target = [total // count] * count
    for k in sorted(range(count), key=lambda k: -sizes[k])[: total % count]:
        target[k] += 1
    over = max(s - t for s, t in zip(sizes, target, strict=True))
    if over <= REBALANCE_SKEW * total / count or over < REBALANCE_MIN:
        return None
    pairs = list(zip(sizes, target, strict=True))
    giving = sorted(([s - t, k] for k, (s, t) in enumerate(pairs) if s > t), reverse=True)
    taking = sorted(([t - s, k] for k, (s, t) in enumerate(pairs) if s < t), reverse=True)
    plan: list[dict[int, int]] = [{} for _ in range(count)]
    g = t = 0
    while g < len(giving) and t < len(taking):
        n = min(giving[g][0], taking[t][0])
        plan[giving[g][1]][taking[t][1]] = n
        giving[g][0] -= n
        taking[t][0] -= n
        if not giving[g][0]:
            g += 1
        if not taking[t][0]:
            t += 1
    return plan


def _less(counted: Any, before: Any) -> Any:
    """``counted`` with the numbers of ``before`` (the same shape, or None) taken off."""
    if before is None:
        return counted
    if isinstance(counted, dict):
        return {k: _less(v, before.get(k)) for k, v in counted.items()}
    if isinstance(counted, int) and not isinstance(counted, bool):
        return counted - before
    return counted


__all__ = [
    "Batch",
    "Frontier",
    "LevelReport",
    "MergeReport",
    "Partition",
    "owner_of",
    "owner_of_one",
    "rebalance_plan",
]
