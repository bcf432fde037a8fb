"""The append-only txn log: segment files ``log.<first zxid in hex>`` of CRC'd records.

A record is ``>II`` (body length, crc32 of the body), then the body: ``>QIQq`` (zxid, origin,
request id, the leader's timestamp) and the payload. Recovery keeps every complete record. In
the newest segment an incomplete last record, a last record whose checksum fails, or a
zero-filled tail is a torn write, provided no good record follows it: it is cut off and
reported. Anything else that does not read back (a bad record with a good one after it, a
bad record in an older segment, zxids out of order) is corruption and stops the server with
the file and byte offset.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from impl.core.history import is_next_zxid
from impl.core.messages import Txn
from impl.core.zxid import format_zxid
from impl.storage.errors import CorruptDataError
from impl.storage.files import fsync_dir

PREFIX = "log."
RECORD_HEAD = struct.Struct(">II")
TXN_HEAD = struct.Struct(">QIQq")
MAX_RECORD = 512 << 20


def encode_record(txn: Txn) -> bytes:
    body = TXN_HEAD.pack(txn.zxid, txn.origin, txn.request_id, txn.time_ms) + txn.payload
    return RECORD_HEAD.pack(len(body), zlib.crc32(body)) + body


@dataclass
class Segment:
    path: Path
    zxids: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    size: int = 0

    @property
    def first(self) -> int:
        return self.zxids[0] if self.zxids else 0

    @property
    def last(self) -> int:
        return self.zxids[-1] if self.zxids else 0


def list_segments(directory: Path) -> list[Path]:
    found = []
    for path in directory.glob(PREFIX + "*"):
        suffix = path.name[len(PREFIX) :]
        if len(suffix) == 16 and all(c in "0123456789abcdef" for c in suffix):
            found.append((int(suffix, 16), path))
    return [path for _, path in sorted(found)]


def read_segment(
    path: Path, newest: bool, warn: Callable[[str], None]
) -> tuple[Segment, list[Txn]]:
    """Read one segment; in the newest one a torn tail is cut off (and reported)."""
    data = path.read_bytes()
    segment = Segment(path)
    txns: list[Txn] = []
    offset = 0
    while offset < len(data):
        problem = _record_problem(data, offset)
        if problem is None:
            length, _ = RECORD_HEAD.unpack_from(data, offset)
            start = offset + RECORD_HEAD.size
            zxid, origin, request_id, time_ms = TXN_HEAD.unpack_from(data, start)
            payload = data[start + TXN_HEAD.size : start + length]
            if txns and not is_next_zxid(txns[-1].zxid, zxid):
                raise CorruptDataError(
                    f"{path}: record at byte {offset} has zxid {format_zxid(zxid)}, "
                    f"which cannot follow {format_zxid(txns[-1].zxid)}"
                )
            txns.append(Txn(zxid, origin, request_id, payload, time_ms))
            segment.zxids.append(zxid)
            segment.offsets.append(offset)
            offset = start + length
            continue
        torn, reason = problem
        later = _next_good_record(data, offset + 1) if torn else None
        if later is not None:
            reason += f"; a good record follows at byte {later}"
        if not (newest and torn) or later is not None:
            raise CorruptDataError(f"{path}: corrupt record at byte {offset} ({reason})")
        warn(
            f"{path}: cut a torn tail of {len(data) - offset} bytes at byte {offset} ({reason}); "
            f"kept {len(txns)} complete records"
        )
        with open(path, "r+b") as f:
            f.truncate(offset)
            f.flush()
            os.fsync(f.fileno())
        break
    segment.size = offset
    return segment, txns


def _record_problem(data: bytes, offset: int) -> tuple[bool, str] | None:
    """None if a good record starts at ``offset``; else (could it be a torn write?, why)."""
    rest = len(data) - offset
    if not any(data[offset:]):
        return (True, "zero-filled tail")
    if rest < RECORD_HEAD.size:
        return (True, "incomplete record header")
    length, crc = RECORD_HEAD.unpack_from(data, offset)
    end = offset + RECORD_HEAD.size + length
    if length < TXN_HEAD.size or length > MAX_RECORD:
        return (end >= len(data), f"impossible record length {length}")
    if end > len(data):
        return (True, f"record of {length} bytes cut short")
    if zlib.crc32(data[offset + RECORD_HEAD.size : end]) != crc:
        return (end == len(data), "checksum mismatch")
    return None


def _next_good_record(data: bytes, start: int) -> int | None:
    """The offset of the first checksum-valid record at or after ``start``, if any: a torn
    write leaves nothing readable behind it, so one there means the damage is in the middle."""
    for offset in range(start, len(data) - RECORD_HEAD.size - TXN_HEAD.size + 1):
        length, crc = RECORD_HEAD.unpack_from(data, offset)
        end = offset + RECORD_HEAD.size + length
        if length < TXN_HEAD.size or end > len(data):
            continue
        if zlib.crc32(data[offset + RECORD_HEAD.size : end]) == crc:
            return offset
    return None


class TxnLog:
    """Appends to the newest segment; truncates and drops segments on request."""

    def __init__(self, directory: Path, segments: list[Segment]) -> None:
        self.directory = directory
        self.segments = segments
        self.fd: int | None = None
        if segments:
            self.fd = os.open(segments[-1].path, os.O_WRONLY | os.O_APPEND)

    @property
    def last_zxid(self) -> int:
        for segment in reversed(self.segments):
            if segment.zxids:
                return segment.last
        return 0

    def append(self, txns: Iterable[Txn]) -> None:
        data = bytearray()
        segment = self.segments[-1] if self.fd is not None else None
        for txn in txns:
            if segment is None:
                segment = self._new_segment(txn.zxid)
            record = encode_record(txn)
            segment.zxids.append(txn.zxid)
            segment.offsets.append(segment.size + len(data))
            data += record
        if segment is None or self.fd is None:
            return
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        segment.size += len(data)

    def dup_fd(self) -> int | None:
        """A duplicate of the current segment's descriptor, for an fsync on another thread."""
        return os.dup(self.fd) if self.fd is not None else None

    def roll(self) -> None:
        """Sync and close the current segment; the next append starts a new one."""
        if self.fd is not None:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None

    def truncate(self, zxid: int) -> None:
        """Drop every record after ``zxid``, durably."""
        self.roll()
        while self.segments and self.segments[-1].first > zxid:
            os.unlink(self.segments.pop().path)
        if self.segments:
            segment = self.segments[-1]
            keep = sum(1 for z in segment.zxids if z <= zxid)
            if keep < len(segment.zxids):
                segment.size = segment.offsets[keep]
                del segment.zxids[keep:], segment.offsets[keep:]
                with open(segment.path, "r+b") as f:
                    f.truncate(segment.size)
                    os.fsync(f.fileno())
            self.fd = os.open(segment.path, os.O_WRONLY | os.O_APPEND)
        fsync_dir(self.directory)

    def drop_through(self, zxid: int) -> None:
        """Delete whole segments whose records are all at or before ``zxid``."""
        while len(self.segments) > 1 and self.segments[0].last <= zxid:
            os.unlink(self.segments.pop(0).path)
        if self.segments and self.fd is None and self.segments[0].last <= zxid:
            os.unlink(self.segments.pop(0).path)

    def clear(self) -> None:
        self.roll()
        for segment in self.segments:
            os.unlink(segment.path)
        self.segments = []
        fsync_dir(self.directory)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _new_segment(self, first: int) -> Segment:
        path = self.directory / f"{PREFIX}{first:016x}"
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fsync_dir(self.directory)
        segment = Segment(path)
        self.segments.append(segment)
        return segment
