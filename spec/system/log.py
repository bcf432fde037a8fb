"""Logs: the sequences the system spec keeps its histories in.

A transaction log only grows at its end or is cut back to a prefix, and a recorded run's
log grows to tens of thousands of entries. As a tuple, every append copies the whole log,
so a step of a long run costs in proportion to the run's length. So a log is a tuple only
while it is shorter than :data:`LONG` entries (as every log the checker explores is, so
its states are what they always were); from then on it is a :class:`Log`: the tuple cut
into chunks of :data:`CHUNK` entries and a tail shorter than a chunk. An append copies the
tail (and, once per chunk, the tuple of chunks), a prefix shares the chunks before its
end, and two logs that share chunks compare them by identity. The cut is fixed by the
length alone (chunk ``c`` holds entries ``c * CHUNK ..``), so equal contents have equal
parts.

For everything else a :class:`Log` is the tuple of its entries: it has their length,
indexing, slicing, iteration, order and equality (a tuple of the same entries is equal to
it), and its hash is the tuple's, computed incrementally (the tuple hash folds the entries
one by one: the fold after each chunk is kept, computed when a hash is first asked for, so
a log that is never hashed, as in a replay, never pays for it). So which of the two a log
is never changes a state's equality or fingerprint, only the cost of growing it; the
functions below (:func:`append`, :func:`concat`, :func:`put_entry`, :func:`insert`,
:func:`log_of`) keep to the rule; ``+`` and slices give a correct log either way.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any, Generic, TypeVar

from zabmc.engine import SequenceValue

T = TypeVar("T")

#: Entries per chunk: an append to a :class:`Log` copies at most this many references.
CHUNK = 64
#: The length from which a log is a :class:`Log`. Indexing a Log runs in Python, so below
#: this a tuple, which an append copies, costs less (measured on recorded runs).
LONG = 512

# CPython's tuple hash (Objects/tupleobject.c, 3.8 on, 64-bit): an xxHash-style fold.
_MASK = (1 << 64) - 1
_PRIME_1 = 11400714785074694791
_PRIME_2 = 14029467366897019727
_PRIME_5 = 2870177450012600261


def _fold(acc: int, items: Iterable[object]) -> int:
    """The tuple hash's accumulator after folding in ``items``."""
    for item in items:
        acc = (acc + (hash(item) & _MASK) * _PRIME_2) & _MASK
        acc = ((acc << 31 | acc >> 33) & _MASK) * _PRIME_1 & _MASK
    return acc


def _finish(acc: int, length: int) -> int:
    """The tuple hash from its accumulator: the length mixed in, as a signed int."""
    acc = (acc + (length ^ (_PRIME_5 ^ 3527539))) & _MASK
    if acc == _MASK:
        return 1546275796
    return acc - (1 << 64) if acc >> 63 else acc


class Log(SequenceValue, Generic[T]):
    """An immutable sequence with a cheap append and prefix; equal to the tuple of its entries.

    ``_chunks`` holds the full chunks, ``_tail`` the entries after the last full chunk
    (fewer than :data:`CHUNK`), ``_base`` the entries in chunks, ``_n`` the length (both
    kept: indexing runs in Python, once per read of an entry), ``_folds[c]`` the hash
    accumulator after chunk ``c``, for the first chunks (those folded so far: a prefix or an
    append keeps them).
    """

    __slots__ = ("_base", "_chunks", "_folds", "_hash", "_n", "_tail")

    _chunks: tuple[tuple[T, ...], ...]
    _tail: tuple[T, ...]
    _base: int
    _n: int
    _folds: tuple[int, ...]
    _hash: int | None

    def __init__(self, items: Iterable[T] = ()) -> None:
        items = tuple(items)
        cut = len(items) - len(items) % CHUNK
        self._chunks = tuple(items[k : k + CHUNK] for k in range(0, cut, CHUNK))
        self._tail = items[cut:]
        self._base, self._n = cut, len(items)
        self._folds = ()
        self._hash = None

    @staticmethod
    def _make(chunks: tuple, tail: tuple, folds: tuple[int, ...]) -> Log:
        log = _new(Log)
        log._chunks, log._tail = chunks, tail
        log._base = base = len(chunks) * CHUNK
        log._n = base + len(tail)
        log._folds, log._hash = folds, None
        return log

    @classmethod
    def from_items(cls, items: tuple) -> Log[T]:
        """The log of ``items`` (the engine's decoder builds one so)."""
        return cls(items)

    def items(self) -> tuple[T, ...]:
        """The entries as a tuple (what the engine's encoding packs)."""
        return tuple(self)

    # -- growing and cutting ----------------------------------------------------

    def append(self, item: T) -> Log[T]:
        """This log with ``item`` at the end."""
        tail = (*self._tail, item)
        if len(tail) < CHUNK:
            return self._make(self._chunks, tail, self._folds)
        return self._make((*self._chunks, tail), (), self._folds)

    def extend(self, items: Iterable[T]) -> Log[T]:
        """This log with ``items`` at the end."""
        return self._cut(self._n, tuple(items))

    def _cut(self, k: int, items: tuple[T, ...] = ()) -> Log[T] | tuple[T, ...]:
        """The first ``k`` entries (``0 <= k <= len``), then ``items``: the chunks before
        entry ``k`` are shared, and only ``items`` and the entries of ``k``'s chunk before it
        are copied (a tuple when the result is short)."""
        c, r = divmod(k, CHUNK)
        chunks = self._chunks
        if c == len(chunks):
            if not items and r == len(self._tail):
                return self
            rest = self._tail[:r] + items
        else:
            rest = chunks[c][:r] + items
            chunks = chunks[:c]
        folds = self._folds[:c]
        if len(chunks) * CHUNK + len(rest) < LONG:
            return (*chain.from_iterable(chunks), *rest)
        if len(rest) < CHUNK:
            return self._make(chunks, rest, folds)
        cut = len(rest) - len(rest) % CHUNK
        new = tuple(rest[k : k + CHUNK] for k in range(0, cut, CHUNK))
        return self._make(chunks + new, rest[cut:], folds)

    def _range(self, start: int, stop: int) -> tuple[T, ...]:
        """Entries ``start`` to ``stop - 1`` as a tuple (``0 <= start``, ``stop <= len``)."""
        if start >= stop:
            return ()
        base = self._base
        if start >= base:
            return self._tail[start - base : stop - base]
        first = start // CHUNK
        parts = [
            chunk[max(start - c * CHUNK, 0) : stop - c * CHUNK]
            for c, chunk in enumerate(self._chunks[first : (stop - 1) // CHUNK + 1], first)
        ]
        if stop > base:
            parts.append(self._tail[: stop - base])
        return tuple(chain.from_iterable(parts))

    # -- the sequence -------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        if type(index) is slice:
            start, stop, step = index.indices(self._n)
            if step != 1:
                return log_of(tuple(self)[index])
            if start == 0:
                return self._cut(max(stop, 0))
            return log_of(self._range(start, stop))
        if index < 0:
            index += self._n
            if index < 0:
                raise IndexError("Log index out of range")
        if index >= self._base:
            return self._tail[index - self._base]
        return self._chunks[index // CHUNK][index % CHUNK]

    def __iter__(self) -> Iterator[T]:
        if not self._chunks:
            return iter(self._tail)
        return chain(chain.from_iterable(self._chunks), self._tail)

    def __reversed__(self) -> Iterator[T]:
        return reversed(tuple(self))

    def __contains__(self, item: object) -> bool:
        return item in self._tail or any(item in chunk for chunk in self._chunks)

    def index(self, item: T) -> int:
        """The position of the first entry equal to ``item`` (``ValueError`` if none)."""
        return tuple(self).index(item)

    def __add__(self, other: object) -> Log[T]:
        if not isinstance(other, (Log, tuple)):
            return NotImplemented
        return self.extend(other)

    def __radd__(self, other: object) -> Log[T]:
        if not isinstance(other, tuple):
            return NotImplemented
        return Log(other).extend(self)

    # -- as the tuple of its entries ---------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is Log:
            # the parts are fixed by the entries, and shared chunks compare by identity
            return self._tail == other._tail and self._chunks == other._chunks
        if isinstance(other, tuple):
            return len(other) == self._n and tuple(self) == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        """``hash(tuple(self))``, without building the tuple: the chunks' folds are kept."""
        h = self._hash
        if h is None:
            if not self._chunks:
                h = hash(self._tail)
            else:
                folds = self._folds
                if len(folds) < len(self._chunks):  # fold the chunks added since
                    acc = folds[-1] if folds else _PRIME_5
                    new = []
                    for chunk in self._chunks[len(folds) :]:
                        acc = _fold(acc, chunk)
                        new.append(acc)
                    # a fact about the chunks, kept for the logs made from this one
                    self._folds = folds = (*folds, *new)
                h = _finish(_fold(folds[-1], self._tail), self._n)
            self._hash = h
        return h

    def __lt__(self, other: object) -> bool:
        return _ordered(self, other, tuple.__lt__)

    def __le__(self, other: object) -> bool:
        return _ordered(self, other, tuple.__le__)

    def __gt__(self, other: object) -> bool:
        return _ordered(self, other, tuple.__gt__)

    def __ge__(self, other: object) -> bool:
        return _ordered(self, other, tuple.__ge__)

    def __repr__(self) -> str:
        return f"Log({tuple(self)!r})"

    def __reduce__(self) -> tuple[type, tuple[tuple[T, ...]]]:
        return (Log, (tuple(self),))


def _ordered(a: Log, b: object, op: Any) -> Any:
    """Order as tuples of entries (as a tuple of the entries would)."""
    if isinstance(b, Log):
        b = tuple(b)
    if not isinstance(b, tuple):
        return NotImplemented
    return op(tuple(a), b)


_new = object.__new__

#: A log: a tuple while shorter than LONG entries, a Log from then on.
Entries = tuple[T, ...] | Log[T]


def search(log: Entries[T], item: object) -> int:
    """Where ``item`` goes in the sorted ``log``: ``bisect_left``, in C for a long log too
    (the chunk is found by its first entry, then the place in it)."""
    if type(log) is tuple:
        return bisect_left(log, item)
    chunks = log._chunks  # type: ignore[union-attr]
    c = bisect_left(chunks, (item,))  # the first chunk whose first entry is item or later
    if c and chunks[c - 1][-1] >= item:  # type: ignore[operator]
        return (c - 1) * CHUNK + bisect_left(chunks[c - 1], item)
    if c < len(chunks):
        return c * CHUNK
    return c * CHUNK + bisect_left(log._tail, item)  # type: ignore[union-attr]


def log_of(items: Iterable[T]) -> Entries[T]:
    """The log of ``items``."""
    items = tuple(items)
    return items if len(items) < LONG else Log(items)


def concat(log: Entries[T], items: tuple[T, ...]) -> Entries[T]:
    """``log \\o items``."""
    if type(log) is tuple:
        return log_of(log + items)
    return log._cut(log._n, items)  # type: ignore[union-attr]


def append(log: Entries[T], item: T) -> Entries[T]:
    """``Append(log, item)``."""
    if type(log) is tuple:
        return (*log, item) if len(log) < LONG - 1 else Log((*log, item))
    return log.append(item)  # type: ignore[union-attr]


def put_entry(log: Entries[T], index: int, item: T) -> Entries[T]:
    """``[log EXCEPT ![index] = item]`` (0-based): a long log copies one chunk's worth."""
    if type(log) is tuple:
        changed = list(log)
        changed[index] = item
        return tuple(changed)
    n = len(log)
    k = index + n if index < 0 else index
    if not 0 <= k < n:
        raise IndexError("log index out of range")
    return log._cut(k, (item, *log._range(k + 1, n)))  # type: ignore[union-attr]


def insert(log: Entries[T], index: int, item: T) -> Entries[T]:
    """``log`` with ``item`` before entry ``index`` (at the end or past it: appended)."""
    n = len(log)
    if index >= n:
        return append(log, item)
    if type(log) is tuple:
        return log_of((*log[:index], item, *log[index:]))
    return log._cut(index, (item, *log._range(index, n)))  # type: ignore[union-attr]
