"""States as packed bytes, and their fingerprints.

A partitioned search writes states to disk (a checkpoint's frontier, a frontier past
its memory bound), hands out the initial states packed, and names each by a 64-bit
fingerprint that must be the same in every process and every run. On disk it keeps
them in an encoding of its own, documented here and stable across Python versions
(a checkpoint names its format), derived from the state's shape, which the
:class:`~zabmc.engine.model.Model` contract fixes: ints, bools and (named) tuples
of them, and sequence values (:class:`SequenceValue`: an immutable sequence kept in
another shape than a tuple, equal to and hashed as the tuple of its items). ``None`` is
refused: its hash, the fingerprint's base, differs from process to process before Python
3.12. (The states that move between partitions during a search cross as one pickle
per batch, :class:`~zabmc.engine.partition.Batch`: written and read by the same
interpreter, and several times cheaper than packing them one by one.)

The encoding is a stream of 32-bit little-endian words ``payload << 3 | tag``:

========  ======================================================
tag       meaning of the payload
========  ======================================================
0 INT     the int itself (29 bits, signed)
1 CONST   0 False, 1 True
2 TUPLE   the number of items, which follow
3 RECORD  a NamedTuple class, by a 24-bit hash of its qualified name; its fields follow
4 SEGMENT the number of words that follow and make up one value
5 BIG     an int outside 29 bits: two words follow (64-bit, two's complement)
6 SEQ     a SequenceValue class, by a 24-bit hash of its qualified name; its items
          follow as one tuple
========  ======================================================

Every tuple in a state, down to ``SEGMENT_DEPTH``, is wrapped in a SEGMENT, so
packing memoizes parts: a successor shares its unchanged parts with its parent
(an action changes one server's part), so packing it is mostly dictionary
look-ups by identity and a join. Unpacking memoizes by the segment's bytes and
records the parts it builds for packing, so a state's successors pack their
shared parts from the memo.

The fingerprint (:func:`fingerprint`) is not taken of the bytes: it is Python's
own hash of the state (or of its key: a canonical form, a view), as the one-core
search counts states, spread by a 64-bit finalizer. The model's contract makes
that hash the same in every process and run, and it costs a sixth of hashing the
packed bytes (XXH3-64 of them was the fingerprint before; measured 4.4 against
27 us a system-spec state), and only the states sent to another partition are
packed at all. 0 is reserved (an empty mark) and maps to 1.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Hashable
from typing import Any

import xxhash

# Ordinary Python classes, apart from this module, which mypyc compiles: an exception class
# and a base class that specs subclass (docs/compiled.md).
from zabmc.engine.values import EncodingError, SequenceValue

INT, CONST, TUPLE, RECORD, SEGMENT, BIG, SEQ = range(7)
_SMALL_MIN, _SMALL_MAX = -(1 << 28), (1 << 28) - 1
_CONSTS: tuple[bool, ...] = (False, True)
#: How deep tuples inside tuples are packed as memoized segments (deeper ones: plain words).
SEGMENT_DEPTH = 4
#: Entries in one generation of a memo. Parents and their successors are packed together,
#: so a small memo finds what it needs; a large one costs hundreds of MB (measured).
MEMO_LIMIT = 1 << 13

_SMALL_INTS = {v: (v << 3).to_bytes(4, "little", signed=True) for v in range(-64, 1024)}
_FALSE = (CONST).to_bytes(4, "little")
_TRUE = ((1 << 3) | CONST).to_bytes(4, "little")

if sys.byteorder != "little":  # pragma: no cover - every supported platform is little-endian
    raise ImportError("the state encoding assumes a little-endian machine")


def _segment_head(body: bytes) -> bytes:
    return (((len(body) >> 2) << 3) | SEGMENT).to_bytes(4, "little")


class _Memo:
    """A bounded memo: look-ups try the young generation, then the old one.

    When the young one is full it becomes the old one, so what a search used
    lately stays and memory stays bounded, without a full clear's misses.
    """

    __slots__ = ("old", "young")

    def __init__(self) -> None:
        self.young: dict[Any, Any] = {}
        self.old: dict[Any, Any] = {}

    def put(self, key: Any, value: Any) -> None:
        young = self.young
        young[key] = value
        if len(young) >= MEMO_LIMIT:
            self.old, self.young = young, {}


def _class_tag(cls: type) -> int:
    return xxhash.xxh32_intdigest(f"{cls.__module__}.{cls.__qualname__}".encode()) & 0xFFFFFF


class StateCodec:
    """Packs states to bytes and back, and fingerprints them.

    One codec per process: its memos and its table of NamedTuple classes are
    caches, never part of the encoding, so two codecs always agree.
    """

    def __init__(self) -> None:
        self._tags: dict[type, int] = {}
        self._classes: dict[int, type] = {}
        # Per depth, since a part packs differently above and below SEGMENT_DEPTH.
        self._packed = [_Memo() for _ in range(SEGMENT_DEPTH + 1)]
        self._unpacked = _Memo()

    # -- packing ---------------------------------------------------------------

    def pack(self, state: Hashable) -> bytes:
        """The state's bytes: it and the tuples in it, down to ``SEGMENT_DEPTH``, as memoized
        segments."""
        return self._item(state, 0)

    def _body(self, value: Any, depth: int) -> bytes:
        kind = type(value)
        if kind is tuple:
            head = (len(value) << 3) | TUPLE
        elif issubclass(kind, tuple) and hasattr(kind, "_fields"):
            head = (self._tag(kind) << 3) | RECORD
        else:  # ints, bools and sequence values (their items as plain words)
            return self._words_bytes(value)
        if depth >= SEGMENT_DEPTH:
            return self._words_bytes(value)
        depth += 1
        parts = [head.to_bytes(4, "little", signed=True)]
        append = parts.append
        item = self._item
        young = self._packed[depth].young
        for v in value:
            # ints, bools and memoized parts inline (the common cases), without a call
            kind = type(v)
            if kind is int:
                small = _SMALL_INTS.get(v)
                append(small if small is not None else self._words_bytes(v))
            elif kind is bool:
                append(_TRUE if v else _FALSE)
            else:
                held = young.get(id(v))
                append(held[1] if held is not None and held[0] is v else item(v, depth))
        return b"".join(parts)

    def _item(self, value: Any, depth: int) -> bytes:
        """An item inside a tuple: a memoized segment when it is a tuple itself."""
        kind = type(value)
        if not issubclass(kind, (tuple, SequenceValue)):
            return self._words_bytes(value)
        # By identity, not equality: equal tuples may hold different NamedTuple types
        # (or True where 1 was), which must unpack as they were. A successor shares
        # its unchanged parts with its parent, so identity finds them.
        memo = self._packed[depth]
        held = memo.young.get(id(value))
        if held is not None and held[0] is value:
            return held[1]
        held = memo.old.get(id(value))
        if held is None or held[0] is not value:
            body = self._body(value, depth)
            held = (value, _segment_head(body) + body)
        memo.put(id(value), held)  # holding the value keeps its id unique
        return held[1]

    def _words_bytes(self, value: Any) -> bytes:
        kind = type(value)
        if kind is int and _SMALL_MIN <= value <= _SMALL_MAX:
            return (value << 3).to_bytes(4, "little", signed=True)
        words: list[int] = []
        self._words(value, words)
        return array("i", words).tobytes()

    def _words(self, value: Any, out: list[int]) -> None:
        kind = type(value)
        if kind is int:
            if _SMALL_MIN <= value <= _SMALL_MAX:
                out.append(value << 3)
            elif -(1 << 63) <= value < (1 << 63):
                out.append((2 << 3) | BIG)
                wide = value & 0xFFFF_FFFF_FFFF_FFFF
                out.extend(array("i", wide.to_bytes(8, "little")).tolist())
            else:
                raise EncodingError(f"an int in a state does not fit in 64 bits: {value}")
        elif kind is bool:
            out.append((int(value) << 3) | CONST)
        elif value is None:
            raise EncodingError(
                "a state may not hold None: its hash differs from process to process before "
                "Python 3.12, so partitions and a resumed run would not agree on fingerprints"
            )
        elif kind is tuple:
            out.append((len(value) << 3) | TUPLE)
            for item in value:
                self._words(item, out)
        elif issubclass(kind, tuple) and hasattr(kind, "_fields"):
            out.append((self._tag(kind) << 3) | RECORD)
            for item in value:
                self._words(item, out)
        elif issubclass(kind, SequenceValue):
            out.append((self._tag(kind) << 3) | SEQ)
            self._words(value.items(), out)
        else:
            raise EncodingError(
                f"a state may hold only ints, bools and tuples; found a {kind.__name__}"
            )

    def _tag(self, cls: type) -> int:
        tag = self._tags.get(cls)
        if tag is None:
            tag = _class_tag(cls)
            other = self._classes.get(tag)
            if other is not None and other is not cls:
                raise EncodingError(
                    f"{cls.__qualname__} and {other.__qualname__} share an encoding tag; rename one"
                )
            self._tags[cls] = tag
            self._classes[tag] = cls
        return tag

    # -- unpacking -------------------------------------------------------------

    def unpack(self, data: bytes) -> Any:
        """The state that :meth:`pack` turned into ``data``."""
        return self._parse(data, array("i", data).tolist(), 0, 0)[0]

    def _parse(self, data: bytes, words: list[int], pos: int, depth: int) -> tuple[Any, int]:
        word = words[pos]
        tag, payload = word & 7, word >> 3
        pos += 1
        if tag == INT:
            return payload, pos
        if tag == CONST:
            return _CONSTS[payload], pos
        if tag == SEGMENT:
            end = pos + payload
            seg = data[4 * pos - 4 : 4 * end]
            memo = self._unpacked
            value = memo.young.get(seg)
            if value is None:
                value = memo.old.get(seg)
                if value is None:
                    value = self._parse(data, words, pos, depth)[0]
                memo.put(seg, value)
                # The successors of this state share its parts: they pack by identity.
                self._packed[min(depth, SEGMENT_DEPTH)].put(id(value), (value, seg))
            return value, end
        if tag in (TUPLE, RECORD):
            cls = None if tag == TUPLE else self._class(payload)
            count = payload if cls is None else len(cls._fields)  # type: ignore[attr-defined]
            items = []
            parse = self._parse
            depth += 1
            for _ in range(count):
                item, pos = parse(data, words, pos, depth)
                items.append(item)
            return (tuple(items) if cls is None else tuple.__new__(cls, items)), pos
        if tag == SEQ:
            # a name of its own: compiled, ``items`` above is a list, and this is a tuple
            seq_items, pos = self._parse(data, words, pos, depth + 1)
            return self._class(payload).from_items(seq_items), pos  # type: ignore[attr-defined]
        if tag == BIG:
            raw = array("i", words[pos : pos + 2]).tobytes()
            return int.from_bytes(raw, "little", signed=True), pos + 2
        raise EncodingError(f"corrupt state encoding: tag {tag} at word {pos - 1}")

    def _class(self, tag: int) -> type:
        cls = self._classes.get(tag)
        if cls is None:
            matches = [c for c in _encoded_classes() if _class_tag(c) == tag]
            if len(matches) != 1:
                raise EncodingError(
                    f"{len(matches)} NamedTuple or SequenceValue classes have encoding tag "
                    f"{tag:#x}; expected one"
                )
            cls = matches[0]
            self._tag(cls)
        return cls


def _encoded_classes() -> list[type]:
    """Every NamedTuple and SequenceValue class defined so far (the decoder's registry,
    filled lazily)."""
    found, todo = [], [*tuple.__subclasses__(), *SequenceValue.__subclasses__()]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if hasattr(cls, "_fields") or issubclass(cls, SequenceValue):
            found.append(cls)
    return found


_MASK = (1 << 64) - 1


def fingerprint(value: Hashable) -> int:
    """A state's (or key's) 64-bit fingerprint: Python's own hash of it, never 0.

    The one-core search counts states by ``hash``, and the model's contract (ints, bools
    and tuples only) makes ``hash`` the same in every process, run and machine with a
    64-bit CPython (3.8 on: the tuple hash has not changed since), so every partition,
    every worker and a resumed run agree, and the partitioned search counts exactly what
    the one-core search counts. It costs a sixth of hashing the packed bytes (measured:
    4.4 against 27 us a system-spec state). MurmurHash3's finalizer spreads the bits,
    since a partition owns a range of the top ones.
    """
    h = hash(value) & _MASK
    h = ((h ^ (h >> 33)) * 0xFF51AFD7ED558CCD) & _MASK
    h = ((h ^ (h >> 33)) * 0xC4CEB9FE1A85EC53) & _MASK
    return (h ^ (h >> 33)) or 1


def key_fingerprint(key: Callable[[Hashable], Hashable] | None) -> Callable[[Hashable], int]:
    """The fingerprint of a state's key (its canonical form or view); ``None``: of itself."""
    if key is None:
        return fingerprint
    return lambda state: fingerprint(key(state))


__all__ = ["EncodingError", "SequenceValue", "StateCodec", "fingerprint", "key_fingerprint"]
