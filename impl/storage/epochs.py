"""acceptedEpoch and currentEpoch, in one file replaced atomically."""

from __future__ import annotations

import struct
from pathlib import Path

from impl.storage.errors import CorruptDataError
from impl.storage.files import pack_blob, unpack_blob, write_atomically

MAGIC = b"ZEPO"
VERSION = 1
BODY = struct.Struct(">QQ")
NAME = "epochs"


def write_epochs(directory: Path, accepted: int, current: int) -> None:
    write_atomically(directory / NAME, pack_blob(MAGIC, VERSION, BODY.pack(accepted, current)))


def read_epochs(directory: Path) -> tuple[int, int]:
    """(acceptedEpoch, currentEpoch); (0, 0) for a new server."""
    path = directory / NAME
    if not path.exists():
        return (0, 0)
    body = unpack_blob(path, MAGIC, VERSION)
    if len(body) != BODY.size:
        raise CorruptDataError(f"{path}: body of {len(body)} bytes, expected {BODY.size}")
    accepted, current = BODY.unpack(body)
    if current > accepted:
        raise CorruptDataError(f"{path}: currentEpoch {current} above acceptedEpoch {accepted}")
    return accepted, current
