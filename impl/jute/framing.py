"""ZooKeeper's client framing, sans-IO: bytes in, whole frames or ``NEED_DATA`` out.

A frame is a 4-byte big-endian length, then that many bytes. A length over ``max_frame``
(1 MiB, ZooKeeper's default ``jute.maxbuffer``) or below zero is refused with
:class:`FrameError` naming the byte offset; the connection is then unusable.
"""

from __future__ import annotations

from enum import Enum

from impl.jute.codec import INT, JuteError

MAX_FRAME = 1 << 20


class Sentinel(Enum):
    NEED_DATA = "need more bytes"


NEED_DATA = Sentinel.NEED_DATA


class FrameError(JuteError):
    """A length prefix no frame may have."""


def frame(body: bytes) -> bytes:
    return INT.pack(len(body)) + body


class FrameDecoder:
    """Buffers received bytes and hands back whole frame bodies."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._start = 0
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
        buffer, start = self._buffer, self._start
        if len(buffer) - start < 4:
            return NEED_DATA
        (length,) = INT.unpack_from(buffer, start)
        if length < 0 or length > self.max_frame:
            raise FrameError(
                f"frame length {length} at byte {self.offset} of the stream "
                f"(the limit is {self.max_frame} bytes)"
            )
        end = start + 4 + length
        if len(buffer) < end:
            return NEED_DATA
        body = bytes(buffer[start + 4 : end])
        self.offset += 4 + length
        if end == len(buffer):
            buffer.clear()
            self._start = 0
        elif end > 1 << 16:
            del buffer[:end]
            self._start = 0
        else:
            self._start = end
        return body
