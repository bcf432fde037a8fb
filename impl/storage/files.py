"""Small durable-file helpers: atomic replace (temporary file, fsync, rename, fsync the
directory) and checksummed blobs."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from impl.storage.errors import CorruptDataError

TMP_SUFFIX = ".tmp"
BLOB_HEAD = struct.Struct(">4sHQI")  # magic, version, body length, crc32 of body


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def pack_blob(magic: bytes, version: int, body: bytes) -> bytes:
    return BLOB_HEAD.pack(magic, version, len(body), zlib.crc32(body)) + body


def unpack_blob(path: Path, magic: bytes, version: int) -> bytes:
    """The body of a blob file, or :class:`CorruptDataError` naming what is wrong."""
    data = path.read_bytes()
    if len(data) < BLOB_HEAD.size:
        raise CorruptDataError(f"{path}: truncated at byte {len(data)} (header incomplete)")
    found, found_version, length, crc = BLOB_HEAD.unpack_from(data)
    if found != magic:
        raise CorruptDataError(f"{path}: bad magic {found!r} at byte 0")
    if found_version != version:
        raise CorruptDataError(f"{path}: unsupported format version {found_version} at byte 4")
    body = data[BLOB_HEAD.size :]
    if len(body) != length:
        raise CorruptDataError(
            f"{path}: {len(body)} body bytes at byte {BLOB_HEAD.size}, header says {length}"
        )
    if zlib.crc32(body) != crc:
        raise CorruptDataError(f"{path}: checksum mismatch over bytes {BLOB_HEAD.size}..")
    return body
