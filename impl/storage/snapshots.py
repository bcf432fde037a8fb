"""Snapshot files, ``snapshot.<zxid in hex>``, each written atomically and checksummed."""

from __future__ import annotations

import struct
from pathlib import Path

from impl.core.messages import Snapshot
from impl.storage.errors import CorruptDataError
from impl.storage.files import pack_blob, unpack_blob, write_atomically

MAGIC = b"ZSNP"
VERSION = 1
PREFIX = "snapshot."
HEAD = struct.Struct(">QI")
RUN = struct.Struct(">QI")


def snapshot_path(directory: Path, zxid: int) -> Path:
    return directory / f"{PREFIX}{zxid:016x}"


def list_snapshots(directory: Path) -> list[tuple[int, Path]]:
    """(zxid, path) of every snapshot file, oldest first."""
    found = []
    for path in directory.glob(PREFIX + "*"):
        suffix = path.name[len(PREFIX) :]
        if len(suffix) == 16 and all(c in "0123456789abcdef" for c in suffix):
            found.append((int(suffix, 16), path))
    return sorted(found)


def write_snapshot_file(directory: Path, snapshot: Snapshot) -> Path:
    runs = b"".join(RUN.pack(e, n) for e, n in snapshot.runs)
    body = HEAD.pack(snapshot.zxid, len(snapshot.runs)) + runs + snapshot.state
    path = snapshot_path(directory, snapshot.zxid)
    write_atomically(path, pack_blob(MAGIC, VERSION, body))
    return path


def read_snapshot_file(path: Path) -> Snapshot:
    body = unpack_blob(path, MAGIC, VERSION)
    if len(body) < HEAD.size:
        raise CorruptDataError(f"{path}: snapshot header incomplete")
    zxid, count = HEAD.unpack_from(body)
    end = HEAD.size + count * RUN.size
    if end > len(body):
        raise CorruptDataError(f"{path}: {count} runs do not fit in {len(body)} bytes")
    runs = tuple(RUN.unpack_from(body, HEAD.size + i * RUN.size) for i in range(count))
    return Snapshot(zxid, runs, body[end:])
