"""The data directory: appends and recovery, torn tails, corruption, truncation, snapshots."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from impl.core.messages import Snapshot, Txn
from impl.core.zxid import make_zxid
from impl.storage import CorruptDataError, Store
from impl.storage.epochs import read_epochs, write_epochs
from impl.storage.snapshots import write_snapshot_file
from impl.storage.txnlog import RECORD_HEAD, TXN_HEAD, list_segments


def txns(epoch: int, first: int, last: int) -> tuple[Txn, ...]:
    return tuple(Txn(make_zxid(epoch, c), 1, c, b"payload-%d" % c) for c in range(first, last + 1))


def logged(path: Path, epoch: int, last: int) -> Path:
    """A closed store holding txns epoch:1..last, synced; returns its one log segment."""
    store = Store.open(path)
    store.append(txns(epoch, 1, last), seq=1)
    store.sync()
    store.close()
    (segment,) = list_segments(path)
    return segment


def reopen(path: Path) -> tuple[Store, list[str]]:
    warnings: list[str] = []
    return Store.open(path, warn=warnings.append), warnings


def test_appended_and_synced_txns_survive_a_reopen(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.append(txns(1, 1, 3), seq=1)
    store.append(txns(1, 4, 5), seq=2)
    assert store.sync() == 2
    store.persist_epochs(2, 1)
    store.close()
    again, warnings = reopen(tmp_path)
    assert again.durable.txns == txns(1, 1, 5)
    assert (again.durable.accepted_epoch, again.durable.current_epoch) == (2, 1)
    assert warnings == []


def test_a_torn_last_record_is_cut_and_reported_and_the_rest_kept(tmp_path: Path) -> None:
    segment = logged(tmp_path, 1, 4)
    intact = segment.stat().st_size
    with open(segment, "ab") as f:  # half of a fifth record
        record = RECORD_HEAD.pack(TXN_HEAD.size + 100, 0) + b"\x00" * 40
        f.write(record)
    again, warnings = reopen(tmp_path)
    assert again.durable.txns == txns(1, 1, 4)
    assert len(warnings) == 1 and f"at byte {intact}" in warnings[0]
    assert "torn tail" in warnings[0] and "kept 4 complete records" in warnings[0]
    assert segment.stat().st_size == intact


def test_a_last_record_with_a_bad_checksum_is_a_torn_write(tmp_path: Path) -> None:
    segment = logged(tmp_path, 1, 3)
    data = bytearray(segment.read_bytes())
    data[-1] ^= 0xFF
    segment.write_bytes(bytes(data))
    again, warnings = reopen(tmp_path)
    assert again.durable.txns == txns(1, 1, 2)
    assert "checksum mismatch" in warnings[0]


def test_a_corrupt_record_in_the_middle_stops_recovery_with_file_and_offset(
    tmp_path: Path,
) -> None:
    segment = logged(tmp_path, 1, 5)
    before = segment.read_bytes()
    offset = len(before) // 2
    data = bytearray(before)
    data[offset] ^= 0xFF
    segment.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError) as info:
        Store.open(tmp_path)
    message = str(info.value)
    assert str(segment) in message and "corrupt record at byte" in message
    assert "\n" not in message
    assert segment.read_bytes() == bytes(data)  # nothing was cut or rewritten


def test_truncate_drops_the_tail_durably(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.append(txns(1, 1, 6), seq=1)
    store.truncate(make_zxid(1, 3))
    store.append(txns(2, 1, 2), seq=2)
    store.sync()
    store.close()
    again, _ = reopen(tmp_path)
    assert again.durable.txns == txns(1, 1, 3) + txns(2, 1, 2)


def snapshot_at(epoch: int, counter: int, state: bytes = b"state") -> Snapshot:
    return Snapshot(make_zxid(epoch, counter), ((epoch, counter),), state)


def test_snapshots_roll_the_log_and_drop_what_the_previous_one_covers(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.append(txns(1, 1, 5), seq=1)
    store.write_snapshot(snapshot_at(1, 5, b"s5"), drop_log_through=0)
    store.append(txns(1, 6, 10), seq=2)
    store.write_snapshot(snapshot_at(1, 10, b"s10"), drop_log_through=make_zxid(1, 5))
    store.append(txns(1, 11, 12), seq=3)
    store.sync()
    store.close()
    again, _ = reopen(tmp_path)
    assert again.durable.snapshot == snapshot_at(1, 10, b"s10")
    assert again.durable.txns == txns(1, 6, 12)  # the segment before the first snapshot is gone
    assert len(list(tmp_path.glob("snapshot.*"))) == 2


def test_an_installed_snapshot_replaces_the_log(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.append(txns(1, 1, 4), seq=1)
    snap = Snapshot(make_zxid(2, 3), ((1, 2), (2, 3)), b"leader")
    store.install(snap)
    store.append(txns(2, 4, 5), seq=2)
    store.sync()
    store.close()
    again, _ = reopen(tmp_path)
    assert again.durable.snapshot == snap
    assert again.durable.txns == txns(2, 4, 5)


def test_an_install_interrupted_before_the_log_was_cleared_recovers(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.append(txns(1, 1, 4), seq=1)  # 1:3 and 1:4 were never committed
    store.sync()
    store.close()
    write_snapshot_file(tmp_path, Snapshot(make_zxid(2, 3), ((1, 2), (2, 3)), b"leader"))
    again, warnings = reopen(tmp_path)
    assert again.durable.txns == ()
    assert "superseded by snapshot 2:3" in warnings[0]


def test_epochs_are_replaced_atomically_and_checked(tmp_path: Path) -> None:
    write_epochs(tmp_path, 3, 2)
    assert read_epochs(tmp_path) == (3, 2)
    assert not list(tmp_path.glob("*.tmp"))
    path = tmp_path / "epochs"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match="checksum mismatch"):
        read_epochs(tmp_path)


def test_a_leftover_temporary_file_is_ignored(tmp_path: Path) -> None:
    write_epochs(tmp_path, 1, 1)
    (tmp_path / "epochs.tmp").write_bytes(b"half-written")
    store, _ = reopen(tmp_path)
    assert (store.durable.accepted_epoch, store.durable.current_epoch) == (1, 1)
    assert not (tmp_path / "epochs.tmp").exists()


def test_sync_runs_on_another_thread_while_appends_continue(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    with ThreadPoolExecutor(1) as pool:
        synced = []
        for n in range(1, 50):
            store.append(txns(1, n, n), seq=n)
            synced.append(pool.submit(store.sync))
        results = [f.result() for f in synced]
    assert results == sorted(results) and results[-1] == 49
    store.close()
    assert os.path.getsize(list_segments(tmp_path)[0]) > 0
    again, _ = reopen(tmp_path)
    assert len(again.durable.txns) == 49


def test_a_damaged_length_field_mid_log_is_corruption_not_a_torn_tail(tmp_path: Path) -> None:
    segment = logged(tmp_path, 1, 6)
    data = bytearray(segment.read_bytes())
    record = len(data) // 6
    data[3 * record] = 0x7F  # the fourth record now claims to run far past the end of file
    segment.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match=f"at byte {3 * record} .*a good record follows"):
        Store.open(tmp_path)
