"""Jute's primitives (kazoo's record style, both ways, from ``impl.fields``).

Every value is big-endian. A buffer or ustring is an int length then the bytes, a vector an
int count then the items; length -1 means ``None``. Readers take ``(buf, offset)`` and return
``(value, new offset)``; writers append to a ``bytearray``. Anything that cannot be read
raises :class:`JuteError` naming the byte offset. ``record`` and ``vector`` are the shared
record style's (``impl.fields``), which the peer messages use too.
"""

from __future__ import annotations

import struct

from impl.fields import Field, RecordError, fixed, record, vector

__all__ = [
    "BOOL",
    "INT",
    "LONG",
    "Bool",
    "Buffer",
    "Field",
    "Int",
    "JuteError",
    "Long",
    "UString",
    "read_buffer",
    "read_ustring",
    "record",
    "vector",
    "write_buffer",
    "write_ustring",
]

INT = struct.Struct(">i")
LONG = struct.Struct(">q")
BOOL = struct.Struct(">B")

JuteError = RecordError
"""Bytes that are not the jute record they should be (the shared :class:`RecordError`)."""


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


Int = fixed("i", "int")
Long = fixed("q", "long")
Buffer = Field(read_buffer, write_buffer)
UString = Field(read_ustring, write_ustring)


def _bool(value: int) -> bool:
    if value > 1:
        raise ValueError(value)
    return value == 1


Bool = fixed("B", "bool", _bool)
