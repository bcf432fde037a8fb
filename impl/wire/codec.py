"""The binary codec of peer messages (kazoo's record style, but both ways).

Each message is a type byte then its fields, big-endian, in the record style of both wire
formats (``impl.fields``): one :class:`~impl.fields.Layout` per message type, in
:data:`CODECS`. ``encode`` turns a message from ``impl.core.messages`` into bytes; ``decode``
does the inverse and raises
:class:`RemoteProtocolError` naming the message and byte offset for anything it cannot read.
The first message on a connection is a :class:`Hello` with the codec version and server id.

Version 3 added the Lamport clock of recorded runs: a type byte with the :data:`STAMPED` bit
set is followed by the sender's clock (u64) before the fields; servers that do not record
send messages without it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from impl.core.errors import RemoteProtocolError
from impl.core.messages import (
    Ack,
    AckEpoch,
    AckNewLeader,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    LearnerNote,
    Message,
    NewLeader,
    Notification,
    Ping,
    Proposal,
    Request,
    Snap,
    Snapshot,
    Trunc,
    Txn,
    UpToDate,
)
from impl.core.roles import Role
from impl.fields import Field, Layout, RecordError, fixed

VERSION = 3
MAGIC = b"ZABm"
STAMPED = 0x80
"""Set in the type byte: a u64 Lamport clock follows it."""


@dataclass(frozen=True, slots=True)
class Hello:
    """Opens every connection, in both directions."""

    version: int
    server_id: int


Record = Message | Hello

U32 = struct.Struct(">I")
U64 = struct.Struct(">Q")
RUN = struct.Struct(">QI")
TXN_HEAD = struct.Struct(">QIQqI")
HELLO = struct.Struct(">4sHI")

u32 = fixed("I", "u32")
u64 = fixed("Q", "u64")


def _boolean(value: int) -> bool:
    if value > 1:
        raise ValueError(value)
    return bool(value)


boolean = fixed("B", "boolean", _boolean)
role = fixed("B", "role", Role)


def _raw(buf: bytes, offset: int, size: int, what: str) -> bytes:
    if offset + size > len(buf):
        raise RecordError(f"truncated {what} at byte {offset}")
    return buf[offset : offset + size]


def _read_payload(buf: bytes, offset: int) -> tuple[bytes, int]:
    size, offset = u32.read(buf, offset)
    return _raw(buf, offset, size, "payload"), offset + size


def _write_payload(out: bytearray, payload: bytes) -> None:
    out += U32.pack(len(payload))
    out += payload


payload = Field(_read_payload, _write_payload)
"""A u32 length, then that many bytes."""


def _read_txn(buf: bytes, offset: int) -> tuple[Txn, int]:
    if offset + TXN_HEAD.size > len(buf):
        raise RecordError(f"truncated txn at byte {offset}")
    zxid, origin, request_id, time_ms, size = TXN_HEAD.unpack_from(buf, offset)
    offset += TXN_HEAD.size
    return Txn(zxid, origin, request_id, _raw(buf, offset, size, "txn payload"), time_ms), (
        offset + size
    )


def _write_txn(out: bytearray, t: Txn) -> None:
    out += TXN_HEAD.pack(t.zxid, t.origin, t.request_id, t.time_ms, len(t.payload))
    out += t.payload


txn = Field(_read_txn, _write_txn)


def _read_snapshot(buf: bytes, offset: int) -> tuple[Snapshot, int]:
    zxid, offset = u64.read(buf, offset)
    count, offset = u32.read(buf, offset)
    if count > (len(buf) - offset) // 12:
        raise RecordError(f"bad run count {count} at byte {offset - 4}")
    runs = tuple(RUN.unpack_from(buf, offset + RUN.size * i) for i in range(count))
    offset += RUN.size * count
    size, offset = u64.read(buf, offset)
    return Snapshot(zxid, runs, _raw(buf, offset, size, "snapshot state")), offset + size


def _write_snapshot(out: bytearray, s: Snapshot) -> None:
    out += U64.pack(s.zxid) + U32.pack(len(s.runs))
    for run in s.runs:
        out += RUN.pack(*run)
    out += U64.pack(len(s.state))
    out += s.state


snapshot = Field(_read_snapshot, _write_snapshot)


def _read_hello(buf: bytes, offset: int) -> tuple[Hello, int]:
    if offset + HELLO.size > len(buf):
        raise RecordError(f"truncated Hello at byte {offset}")
    magic, version, server_id = HELLO.unpack_from(buf, offset)
    if magic != MAGIC:
        raise RemoteProtocolError(f"not a zabmc peer (magic {magic!r})")
    return Hello(version, server_id), offset + HELLO.size


class _Hello:
    """Hello's layout starts with the constant MAGIC, which no field of it holds."""

    cls = Hello
    deserialize = staticmethod(_read_hello)

    @staticmethod
    def serialize(m: Hello) -> bytes:
        return HELLO.pack(MAGIC, m.version, m.server_id)


CODECS: dict[int, Layout | type[_Hello]] = {  # type code -> the message's layout
    0x00: _Hello,
    0x01: Layout(Notification, u32, u64, u64, u64, role),
    0x02: Layout(FollowerInfo, u64),
    0x03: Layout(LeaderInfo, u64),
    0x04: Layout(AckEpoch, u64, u64, boolean),
    0x05: Layout(Diff, u64, u64),
    0x06: Layout(Trunc, u64, u64),
    0x07: Layout(Snap, u64, snapshot),
    0x08: Layout(NewLeader, u64),
    0x09: Layout(AckNewLeader, u64),
    0x0A: Layout(UpToDate, u64),
    0x0B: Layout(Proposal, u64, txn),
    0x0C: Layout(Ack, u64, u64),
    0x0D: Layout(Commit, u64, u64),
    0x0E: Layout(Inform, u64, txn),
    0x0F: Layout(Ping, u64),
    0x10: Layout(Request, u64, payload),
    0x11: Layout(LearnerNote, u64, payload),
}
CODES = {layout.cls: code for code, layout in CODECS.items()}


def encode(message: Record, clock: int | None = None) -> bytes:
    """The message's bytes; with ``clock``, stamped with that Lamport clock."""
    code = CODES[type(message)]
    if clock is None:
        return bytes((code,)) + CODECS[code].serialize(message)
    return bytes((code | STAMPED,)) + U64.pack(clock) + CODECS[code].serialize(message)


def decode(data: bytes) -> Record:
    return decode_stamped(data)[0]


def decode_stamped(data: bytes) -> tuple[Record, int | None]:
    """The message and its Lamport clock (``None`` if it was sent without one)."""
    if not data:
        raise RemoteProtocolError("empty message")
    code = data[0] & ~STAMPED
    layout = CODECS.get(code)
    if layout is None:
        raise RemoteProtocolError(f"unknown message type 0x{data[0]:02x}")
    name = layout.cls.__name__
    clock = None
    offset = 1
    if data[0] & STAMPED:
        if code == 0x00:
            raise RemoteProtocolError("a Hello may not carry a clock")
        if len(data) < 1 + U64.size:
            raise RemoteProtocolError(f"truncated clock of {name} at byte 1")
        (clock,) = U64.unpack_from(data, 1)
        offset += U64.size
    try:
        record, end = layout.deserialize(data, offset)
    except RecordError as exc:
        raise RemoteProtocolError(f"malformed {name}: {exc}") from None
    if end != len(data):
        raise RemoteProtocolError(f"{len(data) - end} trailing bytes after {name}")
    return record, clock
