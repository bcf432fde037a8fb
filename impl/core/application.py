"""The replicated application: what committed txns are applied to.

The core calls it, in zxid order, for committed txns only; it must be deterministic and do no
I/O (the data tree of the service on top is one). :class:`TxnList`, the default, just keeps
every committed txn, which is what the tests and the trying-out cluster read back.
"""

from __future__ import annotations

import struct
from typing import Protocol

from impl.core.messages import Txn


class Application(Protocol):
    def apply(self, txn: Txn) -> bytes:
        """Apply a committed txn; the bytes returned go back to the client that wrote it."""
        ...

    def snapshot(self) -> bytes:
        """The whole state, as bytes :meth:`restore` accepts."""
        ...

    def restore(self, state: bytes) -> None:
        """Replace the state (``b""`` is the empty initial state)."""
        ...


_ENTRY = struct.Struct(">QIQqI")


class TxnList:
    """Keeps every committed txn in order; the result of a write is empty."""

    def __init__(self) -> None:
        self.entries: list[Txn] = []

    def apply(self, txn: Txn) -> bytes:
        self.entries.append(txn)
        return b""

    def snapshot(self) -> bytes:
        parts = []
        for t in self.entries:
            parts.append(_ENTRY.pack(t.zxid, t.origin, t.request_id, t.time_ms, len(t.payload)))
            parts.append(t.payload)
        return b"".join(parts)

    def restore(self, state: bytes) -> None:
        entries: list[Txn] = []
        offset = 0
        while offset < len(state):
            zxid, origin, request_id, time_ms, size = _ENTRY.unpack_from(state, offset)
            offset += _ENTRY.size
            payload = bytes(state[offset : offset + size])
            entries.append(Txn(zxid, origin, request_id, payload, time_ms))
            offset += size
        self.entries = entries
