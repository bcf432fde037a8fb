"""Length-prefixed frames, sans-IO (h11 style), for both wire formats: bytes in, whole
messages or ``NEED_DATA`` out; a message out, its frames' bytes.

Two formats, one decoder:

* :data:`PEER`, between servers (``impl.wire``): a 5-byte header ``>IB`` (body length, flags),
  then the body. A message larger than one frame is split into several, all but the last
  flagged ``MORE``; unknown flags are refused, and so is a message over ``max_message``.
* :data:`CLIENT`, ZooKeeper's client protocol (``impl.jute``): a 4-byte signed length, then the
  body; a negative length is refused.

In both, a frame over ``max_frame`` bytes (1 MiB by default, ZooKeeper's ``jute.maxbuffer``)
is refused. A refusal raises :class:`FrameError` naming the byte offset in the stream; the
connection is then unusable.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

from impl.core.errors import RemoteProtocolError

MORE = 0x01
"""The flag of a peer frame that another frame of the same message follows."""
DEFAULT_MAX_FRAME = 1 << 20


class Sentinel(Enum):
    NEED_DATA = "need more bytes"


NEED_DATA = Sentinel.NEED_DATA


class FrameError(RemoteProtocolError):
    """A frame header no frame of this format may have."""


@dataclass(frozen=True, slots=True)
class Format:
    """How one wire format frames its messages."""

    header: struct.Struct
    """The length (first), then, for a format that splits messages, the flags byte."""
    split: bool
    """A message may span frames (flag ``MORE`` on all but its last)."""
    max_message: int | None = None
    """The largest message, across its frames (a format that splits needs one)."""


PEER = Format(struct.Struct(">IB"), split=True, max_message=256 << 20)
CLIENT = Format(struct.Struct(">i"), split=False)
_CLIENT_LENGTH = CLIENT.header


def frame(body: bytes) -> bytes:
    """``body`` as one client frame."""
    return _CLIENT_LENGTH.pack(len(body)) + body


def encode_frames(message: bytes, max_frame: int = DEFAULT_MAX_FRAME) -> bytes:
    """``message`` as one or more peer frames."""
    header = PEER.header
    if len(message) <= max_frame:
        return header.pack(len(message), 0) + message
    parts = []
    for start in range(0, len(message), max_frame):
        chunk = message[start : start + max_frame]
        more = MORE if start + max_frame < len(message) else 0
        parts.append(header.pack(len(chunk), more))
        parts.append(chunk)
    return b"".join(parts)


class FrameDecoder:
    """Buffers received bytes and hands back whole messages of one format."""

    def __init__(
        self,
        form: Format,
        max_frame: int = DEFAULT_MAX_FRAME,
        max_message: int | None = None,
    ) -> None:
        self.form = form
        self.max_frame = max_frame
        self.max_message = max_message or form.max_message
        self._buffer = bytearray()
        self._start = 0
        """Where the unconsumed bytes start (consumed bytes are dropped in bulk, not per frame)."""
        self._parts: list[bytes] = []
        self._partial = 0
        self.offset = 0
        """Bytes of the stream consumed so far (for error messages)."""

    def receive_data(self, data: bytes) -> None:
        if self._start and self._start == len(self._buffer):
            self._buffer.clear()
            self._start = 0
        self._buffer += data

    def buffered(self) -> bytes:
        """What is received but not yet consumed (to sniff a four-letter word)."""
        return bytes(self._buffer[self._start :])

    def next_frame(self) -> bytes | Sentinel:
        """The next whole message, or ``NEED_DATA``; raises :class:`FrameError` on a frame
        this format refuses."""
        header = self.form.header
        size = header.size
        while True:
            buffer, start = self._buffer, self._start
            if len(buffer) - start < size:
                return NEED_DATA
            if self.form.split:
                length, flags = header.unpack_from(buffer, start)
            else:
                (length,), flags = header.unpack_from(buffer, start), 0
            self._check(length, flags)
            end = start + size + length
            if len(buffer) < end:
                return NEED_DATA
            body = bytes(buffer[start + size : end])
            self.offset += size + length
            if end == len(buffer):
                buffer.clear()
                self._start = 0
            elif end > 1 << 16:
                del buffer[:end]
                self._start = 0
            else:
                self._start = end
            if flags & MORE:
                self._parts.append(body)
                self._partial += length
                continue
            if self._parts:
                self._parts.append(body)
                body = b"".join(self._parts)
                self._parts, self._partial = [], 0
            return body

    def _check(self, length: int, flags: int) -> None:
        if flags & ~MORE:
            raise FrameError(f"bad frame flags 0x{flags:02x} at byte {self.offset} of the stream")
        if length < 0:
            raise FrameError(f"frame length {length} at byte {self.offset} is negative")
        if length > self.max_frame:
            raise FrameError(
                f"frame length {length} at byte {self.offset} of the stream exceeds the "
                f"limit of {self.max_frame} bytes"
            )
        if self.max_message is not None and self._partial + length > self.max_message:
            raise FrameError(
                f"message at byte {self.offset} of the stream exceeds {self.max_message} bytes"
            )
