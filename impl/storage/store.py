"""A server's data directory: recovery at start, then the durable effects of the core.

Layout: ``epochs`` (acceptedEpoch, currentEpoch), ``snapshot.<zxid>`` files, ``log.<zxid>``
segments. A snapshot starts a new segment; segments wholly before the previous snapshot, and
older snapshots, are deleted then.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from impl.core.durable import Durable
from impl.core.history import History, is_next_zxid
from impl.core.messages import Snapshot, Txn
from impl.core.zxid import format_zxid, runs_contains
from impl.storage.epochs import read_epochs, write_epochs
from impl.storage.errors import CorruptDataError
from impl.storage.files import TMP_SUFFIX, fsync_dir
from impl.storage.snapshots import list_snapshots, read_snapshot_file, write_snapshot_file
from impl.storage.txnlog import Segment, TxnLog, list_segments, read_segment

SYNC_LEDGER = "ZABMC_SYNC_LEDGER"
"""Environment variable: when set, a server keeps ``synced.ledger`` in its data directory
(:attr:`Store.sync_ledger`); fault tests use it to emulate power loss."""
LEDGER_NAME = "synced.ledger"
SLOW_FSYNC = "ZABMC_SLOW_FSYNC_MS"
"""Environment variable: milliseconds each fsync of the log waits first (a slow disk, for
fault tests: it widens the window in which written txns are not yet durable)."""


class Store:
    """Open with :meth:`open`, which recovers; ``sync`` may run on another thread."""

    def __init__(self, directory: Path, log: TxnLog, durable: Durable) -> None:
        self.directory = directory
        self.log = log
        self.durable = durable
        self._lock = threading.Lock()
        self._written_seq = 0
        self.sync_ledger: Path | None = None
        """For fault tests that emulate power loss: after each fsync of the log, the file
        and size it made durable are written here (not synced: it is the test's view), so a
        test can drop what no fsync covered after killing the process (``SYNC_LEDGER``)."""
        self.fsync_delay_s = 0.0
        """A slow disk, for fault tests (``SLOW_FSYNC``)."""

    @classmethod
    def open(cls, directory: Path, warn: Callable[[str], None] = lambda _: None) -> Store:
        """Recover the directory (creating it if new). Raises :class:`CorruptDataError`."""
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob("*" + TMP_SUFFIX):
            leftover.unlink()  # an atomic write that never reached its rename
        accepted, current = read_epochs(directory)
        snapshots = list_snapshots(directory)
        snapshot = read_snapshot_file(snapshots[-1][1]) if snapshots else None
        paths = list_segments(directory)
        segments, txns = [], []
        for index, path in enumerate(paths):
            segment, records = read_segment(path, index == len(paths) - 1, warn)
            if not records:
                path.unlink()  # nothing (or only a torn write) was ever in it
                continue
            if txns and not is_next_zxid(txns[-1].zxid, records[0].zxid):
                raise CorruptDataError(
                    f"{path}: starts at zxid {format_zxid(records[0].zxid)}, which cannot "
                    f"follow {format_zxid(txns[-1].zxid)} at the end of {segments[-1].path}"
                )
            segments.append(segment)
            txns.extend(records)
        if snapshot is not None:
            segments, txns = _drop_stale(snapshot, segments, txns, warn)
        durable = Durable(accepted, current, snapshot, tuple(txns))
        try:
            History(snapshot, txns)
        except ValueError as exc:
            raise CorruptDataError(f"{directory}: log and snapshot disagree: {exc}") from None
        return cls(directory, TxnLog(directory, segments), durable)

    # --- the core's durable effects ------------------------------------------------------------

    def append(self, txns: tuple[Txn, ...], seq: int) -> None:
        """Write (not yet sync) ``txns``; :meth:`sync` makes them durable."""
        with self._lock:
            self.log.append(txns)
            self._written_seq = seq

    def sync(self) -> int:
        """fsync everything appended so far (safe on another thread); returns the last append
        seq now on disk."""
        with self._lock:
            seq = self._written_seq
            fd = self.log.dup_fd()
            segment = self.log.segments[-1] if fd is not None and self.log.segments else None
            synced = (str(segment.path), segment.size) if segment is not None else None
        if fd is not None:
            try:
                if self.fsync_delay_s:
                    time.sleep(self.fsync_delay_s)
                os.fsync(fd)
            finally:
                os.close(fd)
        if self.sync_ledger is not None and synced is not None:  # before seq counts as durable
            tmp = self.sync_ledger.with_name(self.sync_ledger.name + TMP_SUFFIX)
            tmp.write_text(f"{synced[0]}\n{synced[1]}\n")
            os.replace(tmp, self.sync_ledger)
        return seq

    def sync_request(self) -> tuple[int, bytes | None]:
        """What an fsync by another process must cover: the last append seq, and the path of
        the segment it is in (older segments were fsynced when closed); None if no segment
        is open."""
        with self._lock:
            seq = self._written_seq
            if self.log.fd is None or not self.log.segments:
                return seq, None
            return seq, bytes(self.log.segments[-1].path)

    def truncate(self, zxid: int) -> None:
        with self._lock:
            self.log.truncate(zxid)

    def persist_epochs(self, accepted: int, current: int) -> None:
        write_epochs(self.directory, accepted, current)

    def write_snapshot(self, snapshot: Snapshot, drop_log_through: int) -> None:
        write_snapshot_file(self.directory, snapshot)
        with self._lock:
            self.log.roll()
            self.log.drop_through(drop_log_through)
        self._drop_snapshots_before(drop_log_through)
        fsync_dir(self.directory)

    def install(self, snapshot: Snapshot) -> None:
        """A SNAP from the leader replaces the log and every older snapshot."""
        write_snapshot_file(self.directory, snapshot)
        with self._lock:
            self.log.clear()
        for zxid, path in list_snapshots(self.directory):
            if zxid != snapshot.zxid:
                path.unlink()
        fsync_dir(self.directory)

    def close(self) -> None:
        with self._lock:
            self.log.close()

    def _drop_snapshots_before(self, zxid: int) -> None:
        for found, path in list_snapshots(self.directory):
            if found < zxid:
                path.unlink()


def _drop_stale(
    snapshot: Snapshot, segments: list[Segment], txns: list[Txn], warn: Callable[[str], None]
) -> tuple[list[Segment], list[Txn]]:
    """Records at or before the snapshot that its history does not hold are what a SNAP from
    the leader replaced; a crash between writing that snapshot and clearing the log leaves
    them behind. Whole segments of them are deleted (and reported); anything else is corrupt."""
    stale = [
        t for t in txns if t.zxid <= snapshot.zxid and not runs_contains(snapshot.runs, t.zxid)
    ]
    if not stale:
        return segments, txns
    keep = [s for s in segments if s.last > snapshot.zxid]
    for segment in keep:
        if any(z <= snapshot.zxid and not runs_contains(snapshot.runs, z) for z in segment.zxids):
            raise CorruptDataError(
                f"{segment.path}: holds zxid {format_zxid(stale[0].zxid)}, which the newer "
                f"snapshot {format_zxid(snapshot.zxid)} does not"
            )
    for segment in segments:
        if segment not in keep:
            segment.path.unlink()
    warn(
        f"deleted {len(segments) - len(keep)} log segments superseded by snapshot "
        f"{format_zxid(snapshot.zxid)} (an interrupted SNAP install left them)"
    )
    kept = {z for s in keep for z in s.zxids}
    return keep, [t for t in txns if t.zxid in kept]
