"""A simulated disk: what a server wrote, and which part of it an fsync made durable.

Epochs and snapshots are written atomically and durably at once (temporary file, fsync,
rename); log appends sit in an unsynced tail until the next simulated fsync. A crash keeps
the durable part and, as a real page cache may, some prefix of the unsynced tail.
"""

from __future__ import annotations

import random

from impl.core.durable import Durable
from impl.core.messages import Snapshot, Txn
from impl.core.zxid import runs_contains


class SimDisk:
    def __init__(self) -> None:
        self.accepted_epoch = 0
        self.current_epoch = 0
        self.snapshot: Snapshot | None = None
        self.log: list[Txn] = []
        self.unsynced: list[tuple[int, tuple[Txn, ...]]] = []
        self.written_seq = 0
        self.synced_seq = 0

    def append(self, txns: tuple[Txn, ...], seq: int) -> None:
        self.unsynced.append((seq, txns))
        self.written_seq = seq

    def fsync(self) -> int:
        """Make every write durable; returns the last append seq now on disk."""
        for _, txns in self.unsynced:
            self.log.extend(txns)
        self.unsynced.clear()
        self.synced_seq = self.written_seq
        return self.synced_seq

    def truncate(self, zxid: int) -> list[Txn]:
        """Cut the log after ``zxid`` (a durable operation); returns the txns dropped."""
        self.fsync()
        keep = [t for t in self.log if t.zxid <= zxid]
        dropped = self.log[len(keep) :]
        self.log = keep
        return dropped

    def write_snapshot(self, snapshot: Snapshot, drop_log_through: int) -> None:
        self.snapshot = snapshot
        self.log = [t for t in self.log if t.zxid > drop_log_through]

    def install(self, snapshot: Snapshot) -> list[Txn]:
        """Replace everything by a snapshot; returns the logged txns it does not contain."""
        self.fsync()
        dropped = [t for t in self.log if not runs_contains(snapshot.runs, t.zxid)]
        self.snapshot = snapshot
        self.log = []
        return dropped

    def crash(self, rng: random.Random, keep_unsynced: bool) -> None:
        """Lose the unsynced tail, or (``keep_unsynced``) keep a random prefix of it."""
        kept = rng.randint(0, len(self.unsynced)) if keep_unsynced else 0
        for _, txns in self.unsynced[:kept]:
            self.log.extend(txns)
        self.unsynced.clear()
        self.written_seq = self.synced_seq = 0

    def recover(self) -> Durable:
        return Durable(self.accepted_epoch, self.current_epoch, self.snapshot, tuple(self.log))
