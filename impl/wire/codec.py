"""The binary codec of peer messages (kazoo's record style, but both ways).

Each message is a type byte then its fields, big-endian. ``encode`` turns a message from
``impl.core.messages`` into bytes; ``decode`` does the inverse and raises
:class:`RemoteProtocolError` naming the message and byte offset for anything it cannot read.
The first message on a connection is a :class:`Hello` with the codec version and server id.

Version 3 added the Lamport clock of recorded runs: a type byte with the :data:`STAMPED` bit
set is followed by the sender's clock (u64) before the fields; servers that do not record
send messages without it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

U8 = struct.Struct(">B")
U32 = struct.Struct(">I")
U64 = struct.Struct(">Q")
TXN_HEAD = struct.Struct(">QIQqI")
HELLO = struct.Struct(">4sHI")


class Reader:
    """Reads fields off one message body, naming the message and offset when it runs dry."""

    def __init__(self, data: bytes, what: str, offset: int = 1) -> None:
        self.data = data
        self.what = what
        self.offset = offset

    def take(self, fmt: struct.Struct) -> tuple[Any, ...]:
        if self.offset + fmt.size > len(self.data):
            raise RemoteProtocolError(f"truncated {self.what} at byte {self.offset}")
        values = fmt.unpack_from(self.data, self.offset)
        self.offset += fmt.size
        return values

    def raw(self, size: int) -> bytes:
        if self.offset + size > len(self.data):
            raise RemoteProtocolError(f"truncated {self.what} at byte {self.offset}")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def ints(self, *fmts: struct.Struct) -> list[int]:
        return [self.take(f)[0] for f in fmts]

    def boolean(self) -> bool:
        (value,) = self.take(U8)
        if value > 1:
            raise RemoteProtocolError(f"bad boolean {value} in {self.what} at byte {self.offset}")
        return bool(value)

    def role(self) -> Role:
        (value,) = self.take(U8)
        try:
            return Role(value)
        except ValueError:
            raise RemoteProtocolError(
                f"bad role {value} in {self.what} at byte {self.offset - 1}"
            ) from None

    def txn(self) -> Txn:
        zxid, origin, request_id, time_ms, size = self.take(TXN_HEAD)
        return Txn(zxid, origin, request_id, self.raw(size), time_ms)

    def snapshot(self) -> Snapshot:
        zxid, count = self.ints(U64, U32)
        if count > (len(self.data) - self.offset) // 12:
            raise RemoteProtocolError(f"bad run count {count} in {self.what}")
        runs = tuple((e, n) for e, n in (self.ints(U64, U32) for _ in range(count)))
        (size,) = self.take(U64)
        return Snapshot(zxid, runs, self.raw(size))

    def done(self) -> None:
        if self.offset != len(self.data):
            raise RemoteProtocolError(
                f"{len(self.data) - self.offset} trailing bytes after {self.what}"
            )


def _txn(t: Txn) -> bytes:
    return TXN_HEAD.pack(t.zxid, t.origin, t.request_id, t.time_ms, len(t.payload)) + t.payload


def _snapshot(s: Snapshot) -> bytes:
    runs = b"".join(U64.pack(e) + U32.pack(n) for e, n in s.runs)
    return U64.pack(s.zxid) + U32.pack(len(s.runs)) + runs + U64.pack(len(s.state)) + s.state


Codec = tuple[type, Callable[[Any], bytes], Callable[["Reader"], Record]]
"""A message class, how to write its fields, how to read them back."""


def _epoch_only(cls: type) -> Codec:
    return (cls, lambda m: U64.pack(m.epoch), lambda r: cls(*r.ints(U64)))


def _epoch_zxid(cls: type) -> Codec:
    return (cls, lambda m: U64.pack(m.epoch) + U64.pack(m.zxid), lambda r: cls(*r.ints(U64, U64)))


def _epoch_txn(cls: type) -> Codec:
    return (cls, lambda m: U64.pack(m.epoch) + _txn(m.txn), lambda r: cls(*r.ints(U64), r.txn()))


CODECS: dict[int, Codec] = {  # type code -> codec
    0x00: (
        Hello,
        lambda m: HELLO.pack(MAGIC, m.version, m.server_id),
        lambda r: _hello(*r.take(HELLO)),
    ),
    0x01: (
        Notification,
        lambda m: struct.pack(">IQQQB", m.leader, m.zxid, m.epoch, m.round, m.state),
        lambda r: Notification(*r.ints(U32, U64, U64, U64), r.role()),
    ),
    0x02: (
        FollowerInfo,
        lambda m: U64.pack(m.accepted_epoch),
        lambda r: FollowerInfo(*r.ints(U64)),
    ),
    0x03: _epoch_only(LeaderInfo),
    0x04: (
        AckEpoch,
        lambda m: struct.pack(">QQB", m.current_epoch, m.last_zxid, m.already_accepted),
        lambda r: AckEpoch(*r.ints(U64, U64), r.boolean()),
    ),
    0x05: _epoch_zxid(Diff),
    0x06: _epoch_zxid(Trunc),
    0x07: (
        Snap,
        lambda m: U64.pack(m.epoch) + _snapshot(m.snapshot),
        lambda r: Snap(*r.ints(U64), r.snapshot()),
    ),
    0x08: _epoch_only(NewLeader),
    0x09: _epoch_only(AckNewLeader),
    0x0A: _epoch_only(UpToDate),
    0x0B: _epoch_txn(Proposal),
    0x0C: _epoch_zxid(Ack),
    0x0D: _epoch_zxid(Commit),
    0x0E: _epoch_txn(Inform),
    0x0F: _epoch_only(Ping),
    0x10: (
        Request,
        lambda m: U64.pack(m.request_id) + U32.pack(len(m.payload)) + m.payload,
        lambda r: Request(r.ints(U64)[0], r.raw(r.ints(U32)[0])),
    ),
    0x11: (
        LearnerNote,
        lambda m: U64.pack(m.epoch) + U32.pack(len(m.payload)) + m.payload,
        lambda r: LearnerNote(r.ints(U64)[0], r.raw(r.ints(U32)[0])),
    ),
}
CODES = {cls: code for code, (cls, _, _) in CODECS.items()}


def _hello(magic: bytes, version: int, server_id: int) -> Hello:
    if magic != MAGIC:
        raise RemoteProtocolError(f"not a zabmc peer (magic {magic!r})")
    return Hello(version, server_id)


def encode(message: Record, clock: int | None = None) -> bytes:
    """The message's bytes; with ``clock``, stamped with that Lamport clock."""
    code = CODES[type(message)]
    if clock is None:
        return bytes((code,)) + CODECS[code][1](message)
    return bytes((code | STAMPED,)) + U64.pack(clock) + CODECS[code][1](message)


def decode(data: bytes) -> Record:
    return decode_stamped(data)[0]


def decode_stamped(data: bytes) -> tuple[Record, int | None]:
    """The message and its Lamport clock (``None`` if it was sent without one)."""
    if not data:
        raise RemoteProtocolError("empty message")
    code = data[0] & ~STAMPED
    entry = CODECS.get(code)
    if entry is None:
        raise RemoteProtocolError(f"unknown message type 0x{data[0]:02x}")
    clock = None
    offset = 1
    if data[0] & STAMPED:
        if code == 0x00:
            raise RemoteProtocolError("a Hello may not carry a clock")
        if len(data) < 1 + U64.size:
            raise RemoteProtocolError(f"truncated clock of {entry[0].__name__} at byte 1")
        (clock,) = U64.unpack_from(data, 1)
        offset += U64.size
    reader = Reader(data, entry[0].__name__, offset)
    try:
        record = entry[2](reader)
    except (struct.error, ValueError, OverflowError) as exc:
        raise RemoteProtocolError(f"malformed {entry[0].__name__}: {exc}") from None
    reader.done()
    return record, clock
