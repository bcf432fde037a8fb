"""What a server finds on disk when it starts: both epochs, its latest snapshot, its log."""

from __future__ import annotations

from dataclasses import dataclass

from impl.core.messages import Snapshot, Txn


@dataclass(frozen=True, slots=True)
class Durable:
    accepted_epoch: int = 0
    current_epoch: int = 0
    snapshot: Snapshot | None = None
    txns: tuple[Txn, ...] = ()
    """Logged txns in zxid order; they may start before the snapshot's zxid."""
