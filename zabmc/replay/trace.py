"""What a trace is once read: a header, and events that each know where they came from.

Values are normalised as they are read so that a binding compares plain tuples: a zxid is an
``(epoch, counter)`` pair, a role or phase is its index in
:data:`~zabmc.replay.vocabulary.ROLES` / :data:`~zabmc.replay.vocabulary.PHASES`, a message
is a tuple ``(type, field, ...)`` in the order :data:`~zabmc.replay.vocabulary.MESSAGES`
lists its fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple, overload

from zabmc.replay.vocabulary import MESSAGES, PHASES, ROLES

Zxid = tuple[int, int]


class TraceError(Exception):
    """A trace that cannot be read: the message names the file and line."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class Vote(NamedTuple):
    leader: int
    zxid: Zxid
    epoch: int
    round: int


class History(Sequence[Zxid]):
    """A recorded history, which shares its zxids with the histories it was built from.

    It is the first ``length`` zxids of a *store*, a list that is only ever appended to, so
    a zxid once in a store never changes: histories built one from another by keeping a
    prefix and appending (what trace format version 2 records per event) share one store,
    and a change costs what it appends, not what it keeps. Two histories on the same store
    agree on their common prefix by construction (:meth:`shared`), which is what lets a
    replay compare only what changed. It is an immutable value: equal to a history, or a
    tuple, of the same zxids.
    """

    __slots__ = ("_length", "_store")

    def __init__(self, zxids: Iterable[Zxid] = ()) -> None:
        self._store: list[Zxid] = list(zxids)
        self._length = len(self._store)

    @classmethod
    def _view(cls, store: list[Zxid], length: int) -> History:
        h = cls.__new__(cls)
        h._store, h._length = store, length
        return h

    def changed(self, keep: int, append: Sequence[Zxid]) -> History:
        """This history's first ``keep`` zxids (at most its length), then ``append``: in
        time and memory what ``append`` holds, but when a different tail replaces a cut one
        (then the kept prefix is copied to a store of its own, once)."""
        n, store = self._length, self._store
        if not 0 <= keep <= n:
            raise ValueError(f"keeps {keep} of a history of {n} zxids")
        if not append:
            return self if keep == n else History._view(store, keep)
        end = keep + len(append)
        if len(store) == keep:  # the store's end: appending changes no history on it
            store.extend(append)
        elif len(store) < end or store[keep:end] != list(append):
            store = store[:keep]  # a new tail where the store holds another
            store.extend(append)
        return History._view(store, end)

    def shared(self, other: History) -> int:
        """How long a prefix this history and ``other`` are known to share without looking
        at it: the shorter length when they share a store, else 0."""
        if self._store is other._store:
            return min(self._length, other._length)
        return 0

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Zxid: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Zxid, ...]: ...
    def __getitem__(self, index: int | slice) -> Zxid | tuple[Zxid, ...]:
        """A zxid, or a slice as a tuple."""
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            return tuple(self._store[start:stop:step])
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("history index out of range")
        return self._store[index]

    def __iter__(self) -> Iterator[Zxid]:
        return islice(self._store, self._length)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            if self._length != other._length:
                return False
            return (  # on one store, equal lengths are one prefix
                self._store is other._store
                or self._store[: self._length] == other._store[: other._length]
            )
        if isinstance(other, tuple):
            return self._length == len(other) and tuple(self._store[: self._length]) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._store[: self._length]))  # as the equal tuple's

    def __repr__(self) -> str:
        return f"History({self._store[: self._length]!r})"

    def __reduce__(self) -> tuple:
        return (History, (self._store[: self._length],))  # the zxids, not the whole store


class ObservedState(NamedTuple):
    """A server's observable state after a step (the trace's ``state`` object). A state
    read from a trace holds a :class:`History`; one computed from a model, a tuple."""

    role: int
    phase: int
    acceptedEpoch: int
    currentEpoch: int
    lastZxid: Zxid
    lastCommitted: Zxid
    vote: Vote
    history: Sequence[Zxid]


#: The fields of :class:`ObservedState`, as the trace names them.
STATE_FIELDS = ObservedState._fields


@dataclass(frozen=True, slots=True)
class Header:
    """Line 1 of a trace file."""

    version: int
    level: str
    voters: tuple[int, ...]
    observers: tuple[int, ...]
    bounds: dict[str, int] | None
    impl: str
    source: str
    seed: int | None
    server: int | None
    run: str
    mutations: tuple[str, ...]

    @property
    def servers(self) -> tuple[int, ...]:
        return (*self.voters, *self.observers)


class Event(NamedTuple):
    """One step of a run, with the file and line it was read from."""

    seq: int
    server: int
    action: str
    args: tuple[int, ...]
    msg: tuple | None
    state: ObservedState
    clock: int | None
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def call(self) -> str:
        """The step as ``Name(arg, ...)``."""
        return f"{self.action}({', '.join(str(a) for a in self.args)})"


@dataclass(frozen=True, slots=True)
class Trace:
    """A whole run, its events in one order (merged, for per-process files)."""

    header: Header
    events: tuple[Event, ...]
    files: tuple[str, ...]

    @property
    def name(self) -> str:
        return (
            self.files[0]
            if len(self.files) == 1
            else f"{self.header.run} ({len(self.files)} files)"
        )


# Rendering, for reports: back to the trace's own spelling.


def zxid_text(z: Zxid) -> str:
    return f"{z[0]}:{z[1]}"


def msg_text(msg: tuple | None) -> str:
    """A message as ``TYPE field=value ...``, zxids as ``epoch:counter``."""
    if msg is None:
        return "none"
    kind = msg[0]
    parts = [kind]
    for (name, how), value in zip(MESSAGES[kind].items(), msg[1:], strict=True):
        if how == "zxid":
            value = zxid_text(value)
        elif how == "state":
            value = ROLES[value]
        parts.append(f"{name}={value}")
    return " ".join(parts)


def state_field_text(name: str, value: object) -> str:
    """One field of an :class:`ObservedState` as a reader should see it."""
    if name == "role":
        return ROLES[value]  # type: ignore[index]
    if name == "phase":
        return PHASES[value]  # type: ignore[index]
    if name in ("lastZxid", "lastCommitted"):
        return zxid_text(value)  # type: ignore[arg-type]
    if name == "vote":
        v = value
        return (
            f"leader {v.leader} zxid {zxid_text(v.zxid)} epoch {v.epoch} "  # type: ignore[union-attr]
            f"round {v.round}"  # type: ignore[union-attr]
        )
    if name == "history":
        return "[" + " ".join(zxid_text(z) for z in value) + "]"  # type: ignore[union-attr]
    return str(value)
