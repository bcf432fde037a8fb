"""Records as layouts of fields, both ways: the one record style of both wire formats
(kazoo's ``serialization.py``, made two-way).

A :class:`Field` reads ``(buf, offset)`` into ``(value, new offset)`` and writes a value onto a
``bytearray``. A record is a class and the layout of its fields, in order:

* :func:`record` decorates a NamedTuple the codec declares itself (ZooKeeper's jute records,
  ``impl.jute``) with ``serialize``, ``write_into``, ``deserialize`` and a ``field`` to nest it;
* :class:`Layout` serves a class declared elsewhere (the peer messages of ``impl.core``, which
  knows nothing of bytes, coded by ``impl.wire``).

Both compile a layout the same way: a layout of fixed-size fields is read and written with one
precompiled big-endian ``struct``; any other, field by field. Anything that cannot be read
raises :class:`RecordError` naming the byte offset.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar


class RecordError(ValueError):
    """Bytes that are not the record they should be; the message names the offset."""


Reader = Callable[[bytes, int], tuple[Any, int]]
Writer = Callable[[bytearray, Any], None]


class Field(NamedTuple):
    """How one field of a record is read and written; ``fixed`` for a fixed-size field, whose
    ``convert`` (if any) turns the number read into the field's value, or raises
    ``ValueError`` to refuse it."""

    read: Reader
    write: Writer
    fixed: struct.Struct | None = None
    what: str = ""
    convert: Callable[[Any], Any] | None = None


def fixed(fmt: str, what: str, convert: Callable[[Any], Any] | None = None) -> Field:
    """A fixed-size field of one ``struct`` format character (big-endian)."""
    packer = struct.Struct(">" + fmt.lstrip(">"))
    unpack, pack, size = packer.unpack_from, packer.pack, packer.size

    def read(buf: bytes, offset: int) -> tuple[Any, int]:
        if offset + size > len(buf):
            raise RecordError(f"truncated {what} at byte {offset}")
        (value,) = unpack(buf, offset)
        if convert is not None:
            try:
                value = convert(value)
            except ValueError:
                raise RecordError(f"bad {what} {value} at byte {offset}") from None
        return value, offset + size

    def write(out: bytearray, value: Any) -> None:
        out += pack(value)

    return Field(read, write, packer, what, convert)


COUNT = struct.Struct(">i")
"""A vector's count (jute's int)."""


def vector(item: Field, count: struct.Struct = COUNT) -> Field:
    """A count, then that many ``item``s, as a tuple (``None`` for count -1)."""
    read_item, write_item, pack = item.read, item.write, count.pack

    def read(buf: bytes, offset: int) -> tuple[tuple[Any, ...] | None, int]:
        if offset + count.size > len(buf):
            raise RecordError(f"truncated vector length at byte {offset}")
        (n,) = count.unpack_from(buf, offset)
        if n < -1 or n > len(buf) - offset:
            raise RecordError(f"bad vector length {n} at byte {offset}")
        offset += count.size
        if n < 0:
            return None, offset
        items = []
        for _ in range(n):
            value, offset = read_item(buf, offset)
            items.append(value)
        return tuple(items), offset

    def write(out: bytearray, values: Any) -> None:
        if values is None:
            out += pack(-1)
            return
        out += pack(len(values))
        for value in values:
            write_item(out, value)

    return Field(read, write)


WriteInto = Callable[[Any, bytearray], None]
Serialize = Callable[[Any], bytes]
Deserialize = Callable[[bytes, int], tuple[Any, int]]


def compile_layout(
    name: str,
    make: Callable[[list[Any]], Any],
    values_of: Callable[[Any], Sequence[Any]],
    layout: Sequence[Field],
) -> tuple[WriteInto, Serialize, Deserialize]:
    """How to write a record onto a buffer and as bytes (its values in layout order, by
    ``values_of``), and how to read one back (``make`` builds it from the values read)."""
    fixed_parts = [f.fixed for f in layout]
    if all(fixed_parts):
        whole = struct.Struct(">" + "".join(f.format.lstrip(">") for f in fixed_parts))  # type: ignore[union-attr]
        pack, unpack, size = whole.pack, whole.unpack_from, whole.size
        starts, at = [], 0
        for part in fixed_parts:
            starts.append(at)
            at += part.size  # type: ignore[union-attr]
        converts = [(i, f) for i, f in enumerate(layout) if f.convert is not None]

        def write_into(value: Any, out: bytearray) -> None:
            out += pack(*values_of(value))

        def serialize(value: Any) -> bytes:
            return pack(*values_of(value))

        def deserialize(buf: bytes, offset: int = 0) -> tuple[Any, int]:
            if offset + size > len(buf):
                raise RecordError(f"truncated {name} at byte {offset}")
            values = unpack(buf, offset)
            if converts:
                values = list(values)
                for i, f in converts:
                    try:
                        values[i] = f.convert(values[i])  # type: ignore[misc]
                    except ValueError:
                        raise RecordError(
                            f"bad {f.what} {values[i]} in {name} at byte {offset + starts[i]}"
                        ) from None
            return make(values), offset + size

        return write_into, serialize, deserialize

    readers = [f.read for f in layout]
    writers = [f.write for f in layout]

    def write_fields(value: Any, out: bytearray) -> None:
        for write, v in zip(writers, values_of(value), strict=True):
            write(out, v)

    def serialize_fields(value: Any) -> bytes:
        out = bytearray()
        write_fields(value, out)
        return bytes(out)

    def read_fields(buf: bytes, offset: int = 0) -> tuple[Any, int]:
        values = []
        for read in readers:
            v, offset = read(buf, offset)
            values.append(v)
        return make(values), offset

    return write_fields, serialize_fields, read_fields


R = TypeVar("R")


def record(opcode: int | None, *layout: Field) -> Callable[[type[R]], type[R]]:
    """Give a NamedTuple (fields in ``layout`` order) its opcode ``type`` (requests only),
    ``serialize()``, ``write_into(out)``, ``deserialize(buf, offset)`` and a ``field`` to nest
    it in others."""

    def wrap(cls: type[R]) -> type[R]:
        write_into, serialize, deserialize = compile_layout(cls.__name__, cls._make, tuple, layout)  # type: ignore[attr-defined]

        if opcode is not None:  # headers have a field called type
            cls.type = opcode  # type: ignore[attr-defined]
        cls.write_into = write_into  # type: ignore[attr-defined]
        cls.serialize = serialize  # type: ignore[attr-defined]
        cls.deserialize = staticmethod(deserialize)  # type: ignore[attr-defined]
        cls.field = Field(deserialize, lambda out, value: write_into(value, out))  # type: ignore[attr-defined]
        return cls

    return wrap


class Layout:
    """The layout of a class declared elsewhere (a frozen dataclass, fields in order)."""

    def __init__(self, cls: type, *layout: Field) -> None:
        names = [f.name for f in dataclasses.fields(cls)][: len(layout)]
        get = attrgetter(*names)
        values_of = get if len(names) > 1 else (lambda value: (get(value),))
        self.cls = cls
        self.write_into, self.serialize, self.deserialize = compile_layout(
            cls.__name__, lambda values: cls(*values), values_of, layout
        )
        self.field = Field(self.deserialize, lambda out, value: self.write_into(value, out))
