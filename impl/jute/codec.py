"""Jute primitives and the record decorator (kazoo's record style, both ways).

Every value is big-endian. A buffer or ustring is an int length then the bytes, a vector an
int count then the items; length -1 means ``None``. Readers take ``(buf, offset)`` and return
``(value, new offset)``; writers append to a ``bytearray``. Anything that cannot be read
raises :class:`JuteError` naming the byte offset.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

INT = struct.Struct(">i")
LONG = struct.Struct(">q")
BOOL = struct.Struct(">B")


class JuteError(ValueError):
    """Bytes that are not the record they should be; the message names the offset."""


Reader = Callable[[bytes, int], tuple[Any, int]]
Writer = Callable[[bytearray, Any], None]


class Field(NamedTuple):
    """How one field of a record is read and written; ``fixed`` for fixed-size fields."""

    read: Reader
    write: Writer
    fixed: struct.Struct | None = None


def _fixed(fmt: struct.Struct, what: str) -> Field:
    unpack, pack, size = fmt.unpack_from, fmt.pack, fmt.size

    def read(buf: bytes, offset: int) -> tuple[Any, int]:
        if offset + size > len(buf):
            raise JuteError(f"truncated {what} at byte {offset}")
        return unpack(buf, offset)[0], offset + size

    def write(out: bytearray, value: Any) -> None:
        out += pack(value)

    return Field(read, write, fmt)


def _read_length(buf: bytes, offset: int, what: str) -> tuple[int, int]:
    if offset + 4 > len(buf):
        raise JuteError(f"truncated {what} length at byte {offset}")
    (length,) = INT.unpack_from(buf, offset)
    offset += 4
    if length < -1 or offset + max(length, 0) > len(buf):
        raise JuteError(f"bad {what} length {length} at byte {offset - 4}")
    return length, offset


def read_buffer(buf: bytes, offset: int) -> tuple[bytes | None, int]:
    length, offset = _read_length(buf, offset, "buffer")
    if length < 0:
        return None, offset
    return bytes(buf[offset : offset + length]), offset + length


def write_buffer(out: bytearray, value: bytes | None) -> None:
    if value is None:
        out += INT.pack(-1)
    else:
        out += INT.pack(len(value))
        out += value


def read_ustring(buf: bytes, offset: int) -> tuple[str | None, int]:
    length, offset = _read_length(buf, offset, "string")
    if length < 0:
        return None, offset
    try:
        return str(buf[offset : offset + length], "utf-8"), offset + length
    except UnicodeDecodeError:
        raise JuteError(f"string at byte {offset} is not UTF-8") from None


def write_ustring(out: bytearray, value: str | None) -> None:
    write_buffer(out, None if value is None else value.encode())


Int = _fixed(INT, "int")
Long = _fixed(LONG, "long")
Buffer = Field(read_buffer, write_buffer)
UString = Field(read_ustring, write_ustring)


def _read_bool(buf: bytes, offset: int) -> tuple[bool, int]:
    if offset >= len(buf):
        raise JuteError(f"truncated bool at byte {offset}")
    value = buf[offset]
    if value > 1:
        raise JuteError(f"bad bool {value} at byte {offset}")
    return value == 1, offset + 1


Bool = Field(_read_bool, lambda out, value: out.append(1 if value else 0), BOOL)


def vector(item: Field) -> Field:
    """A jute vector of ``item``s, as a tuple (``None`` for length -1)."""
    read_item, write_item = item.read, item.write

    def read(buf: bytes, offset: int) -> tuple[tuple[Any, ...] | None, int]:
        if offset + 4 > len(buf):
            raise JuteError(f"truncated vector length at byte {offset}")
        (count,) = INT.unpack_from(buf, offset)
        if count < -1 or count > len(buf) - offset:
            raise JuteError(f"bad vector length {count} at byte {offset}")
        offset += 4
        if count < 0:
            return None, offset
        items = []
        for _ in range(count):
            value, offset = read_item(buf, offset)
            items.append(value)
        return tuple(items), offset

    def write(out: bytearray, values: Any) -> None:
        if values is None:
            out += INT.pack(-1)
            return
        out += INT.pack(len(values))
        for value in values:
            write_item(out, value)

    return Field(read, write)


R = TypeVar("R")


def record(opcode: int | None, *layout: Field) -> Callable[[type[R]], type[R]]:
    """Give a NamedTuple (fields in ``layout`` order) its opcode ``type`` (requests only),
    ``serialize()``,
    ``write_into(out)``, ``deserialize(buf, offset)`` and a ``field`` to nest it in others.
    A layout of fixed-size fields is read and written with one precompiled struct."""

    def wrap(cls: type[R]) -> type[R]:
        make = cls._make
        name = cls.__name__
        fixed = [f.fixed for f in layout]
        if all(fixed):
            whole = struct.Struct(">" + "".join(f.format.lstrip(">") for f in fixed))
            pack, unpack, size = whole.pack, whole.unpack_from, whole.size

            def write_into(self: Any, out: bytearray) -> None:
                out += pack(*self)

            def deserialize(buf: bytes, offset: int = 0) -> tuple[Any, int]:
                if offset + size > len(buf):
                    raise JuteError(f"truncated {name} at byte {offset}")
                values = unpack(buf, offset)
                if BOOL in fixed and any(
                    v > 1 for v, f in zip(values, fixed, strict=True) if f is BOOL
                ):
                    raise JuteError(f"bad bool in {name} at byte {offset}")
                return make(values), offset + size

        else:
            readers = [f.read for f in layout]
            writers = [f.write for f in layout]

            def write_into(self: Any, out: bytearray) -> None:
                for write, value in zip(writers, self, strict=True):
                    write(out, value)

            def deserialize(buf: bytes, offset: int = 0) -> tuple[Any, int]:
                values = []
                for read in readers:
                    value, offset = read(buf, offset)
                    values.append(value)
                return make(values), offset

        def serialize(self: Any) -> bytes:
            out = bytearray()
            write_into(self, out)
            return bytes(out)

        if opcode is not None:  # headers have a field called type
            cls.type = opcode
        cls.write_into = write_into
        cls.serialize = serialize
        cls.deserialize = staticmethod(deserialize)
        cls.field = Field(deserialize, lambda out, value: write_into(value, out))
        return cls

    return wrap
