"""A server's history: the zxid runs of everything it holds, and the txns it keeps in memory.

The oldest part of a history may live only in a snapshot (its zxids are in ``runs``, its
payloads are not); ``txns`` is the suffix kept in memory, from history position
``first_index`` on, which is what a leader can send to a learner that is behind.
"""

from __future__ import annotations

from collections.abc import Sequence

from impl.core.messages import Snapshot, Txn
from impl.core.zxid import (
    Runs,
    counter_of,
    epoch_of,
    format_zxid,
    freeze_runs,
    make_zxid,
    runs_append,
    runs_contains,
    runs_index,
    runs_last_before,
    runs_length,
    runs_truncate,
)


def is_next_zxid(current: int, new: int) -> bool:
    """``new`` may follow ``current`` in a history: the next counter of the same epoch, or the
    first proposal of a later epoch."""
    if counter_of(new) == 1:
        return epoch_of(new) > epoch_of(current)
    return epoch_of(new) == epoch_of(current) and counter_of(new) == counter_of(current) + 1


class History:
    def __init__(self, snapshot: Snapshot | None = None, txns: Sequence[Txn] = ()) -> None:
        """Rebuild from a snapshot and the logged txns; raises ``ValueError`` if they do not
        form one gapless history."""
        self.snapshot_zxid = snapshot.zxid if snapshot else 0
        self.runs: list[list[int]] = [[e, n] for e, n in (snapshot.runs if snapshot else ())]
        self.txns: list[Txn] = []
        self.first_index = runs_length(self.runs) + 1
        covered = [t for t in txns if t.zxid <= self.snapshot_zxid]
        for txn in covered:
            if not runs_contains(self.runs, txn.zxid):
                raise ValueError(f"logged txn {format_zxid(txn.zxid)} is not in the snapshot")
            if self.txns and not is_next_zxid(self.txns[-1].zxid, txn.zxid):
                raise ValueError(f"gap before logged txn {format_zxid(txn.zxid)}")
            if not self.txns:
                self.first_index = runs_index(self.runs, txn.zxid)
            self.txns.append(txn)
        if self.txns and self.txns[-1].zxid != self.snapshot_zxid:
            # The snapshot is newer than the durable log (the log's tail was not yet synced
            # when the snapshot was): it covers those txns, so their payloads are not needed.
            self.txns = []
            self.first_index = runs_length(self.runs) + 1
        for txn in txns[len(covered) :]:
            self.append(txn)

    @property
    def last_zxid(self) -> int:
        if not self.runs:
            return 0
        epoch, count = self.runs[-1]
        return make_zxid(epoch, count)

    def __len__(self) -> int:
        return self.first_index - 1 + len(self.txns)

    def frozen_runs(self) -> Runs:
        return freeze_runs(self.runs)

    def append(self, txn: Txn) -> None:
        if not is_next_zxid(self.last_zxid, txn.zxid):
            raise ValueError(
                f"txn {format_zxid(txn.zxid)} does not follow {format_zxid(self.last_zxid)}"
            )
        runs_append(self.runs, txn.zxid)
        self.txns.append(txn)

    def contains(self, zxid: int) -> bool:
        return runs_contains(self.runs, zxid)

    def last_before(self, zxid: int) -> int:
        return runs_last_before(self.runs, zxid)

    def index(self, zxid: int) -> int:
        """Position of ``zxid`` (which must be in the history), 0 for zxid 0."""
        return runs_index(self.runs, zxid)

    def in_memory_after(self, zxid: int) -> bool:
        """Whether every txn after ``zxid`` (a zxid of this history) is kept in memory."""
        return self.index(zxid) >= self.first_index - 1

    def txns_between(self, after: int, upto: int) -> list[Txn]:
        """The txns with ``after < zxid <= upto``; both must be in the history, and the txns
        after ``after`` in memory."""
        start = self.index(after) + 1 - self.first_index
        stop = self.index(upto) + 1 - self.first_index
        return self.txns[start:stop]

    def txn(self, zxid: int) -> Txn:
        return self.txns[self.index(zxid) - self.first_index]

    def truncate(self, zxid: int) -> list[Txn]:
        """Drop every txn after ``zxid`` (in the history, at or after the in-memory start);
        returns the dropped txns."""
        keep = self.index(zxid) - self.first_index + 1
        dropped = self.txns[keep:]
        del self.txns[keep:]
        runs_truncate(self.runs, zxid)
        return dropped

    def install(self, snapshot: Snapshot) -> None:
        """Replace everything by ``snapshot``."""
        self.snapshot_zxid = snapshot.zxid
        self.runs = [[e, n] for e, n in snapshot.runs]
        self.txns = []
        self.first_index = runs_length(self.runs) + 1

    def compact(self, through: int) -> None:
        """Forget the payloads of txns up to ``through`` (a snapshot covers them)."""
        drop = self.index(through) - self.first_index + 1
        if drop > 0:
            del self.txns[:drop]
            self.first_index += drop
