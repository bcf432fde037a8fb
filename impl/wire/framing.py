"""Length-prefixed frames, sans-IO (h11 style): bytes in, whole messages or ``NEED_DATA`` out.

A frame is a 5-byte header, ``>IB`` (body length, flags), then the body. A message larger than
one frame is split into several, all but the last flagged ``MORE``. Frames over
``max_frame`` bytes (1 MiB by default) and messages over ``max_message`` are refused with a
:class:`RemoteProtocolError`, as are unknown flags; the connection is then unusable.
"""

from __future__ import annotations

import struct
from enum import Enum

from impl.core.errors import RemoteProtocolError

HEADER = struct.Struct(">IB")
MORE = 0x01
DEFAULT_MAX_FRAME = 1 << 20
DEFAULT_MAX_MESSAGE = 256 << 20


class Sentinel(Enum):
    NEED_DATA = "need more bytes"


NEED_DATA = Sentinel.NEED_DATA


def encode_frames(message: bytes, max_frame: int = DEFAULT_MAX_FRAME) -> bytes:
    """``message`` as one or more frames."""
    if len(message) <= max_frame:
        return HEADER.pack(len(message), 0) + message
    parts = []
    for start in range(0, len(message), max_frame):
        chunk = message[start : start + max_frame]
        more = MORE if start + max_frame < len(message) else 0
        parts.append(HEADER.pack(len(chunk), more))
        parts.append(chunk)
    return b"".join(parts)


class FrameDecoder:
    """Buffers received bytes and hands back whole messages."""

    def __init__(
        self, max_frame: int = DEFAULT_MAX_FRAME, max_message: int = DEFAULT_MAX_MESSAGE
    ) -> None:
        self.max_frame = max_frame
        self.max_message = max_message
        self._buffer = bytearray()
        self._parts: list[bytes] = []
        self._partial = 0
        self.offset = 0
        """Bytes consumed so far on this connection (for error messages)."""

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_message(self) -> bytes | Sentinel:
        """The next whole message, or ``NEED_DATA``; raises on a malformed or oversized frame."""
        while True:
            if len(self._buffer) < HEADER.size:
                return NEED_DATA
            length, flags = HEADER.unpack_from(self._buffer)
            if flags & ~MORE:
                raise RemoteProtocolError(
                    f"bad frame flags 0x{flags:02x} at byte {self.offset} of the stream"
                )
            if length > self.max_frame:
                raise RemoteProtocolError(
                    f"frame of {length} bytes at byte {self.offset} of the stream exceeds "
                    f"the limit of {self.max_frame}"
                )
            if self._partial + length > self.max_message:
                raise RemoteProtocolError(
                    f"message at byte {self.offset} of the stream exceeds {self.max_message} bytes"
                )
            end = HEADER.size + length
            if len(self._buffer) < end:
                return NEED_DATA
            body = bytes(self._buffer[HEADER.size : end])
            del self._buffer[:end]
            self.offset += end
            if flags & MORE:
                self._parts.append(body)
                self._partial += length
                continue
            if self._parts:
                self._parts.append(body)
                body = b"".join(self._parts)
                self._parts, self._partial = [], 0
            return body
