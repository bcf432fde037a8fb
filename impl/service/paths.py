"""Node paths: ZooKeeper's validity rules (``PathUtils.validatePath``) and path arithmetic."""

from __future__ import annotations

import re

from impl.service.errors import Code, ZooKeeperError

BAD_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\uf8ff\ufff0-\uffff]")


def validate(path: str | None, sequential: bool = False) -> str:
    """``path`` if it is a valid node path (a sequential create may end in ``/``); else
    ``ZooKeeperError(BAD_ARGUMENTS)``."""
    if not path or path[0] != "/":
        raise ZooKeeperError(Code.BAD_ARGUMENTS, f"bad path {path!r}")
    if len(path) == 1:
        return path
    check = path + "1" if sequential else path
    if check[-1] == "/":
        raise ZooKeeperError(Code.BAD_ARGUMENTS, f"bad path {path!r}: trailing /")
    if BAD_CHARS.search(check) or any(s in ("", ".", "..") for s in check[1:].split("/")):
        raise ZooKeeperError(Code.BAD_ARGUMENTS, f"bad path {path!r}")
    return path


def parent_of(path: str) -> str:
    cut = path.rfind("/")
    return path[:cut] if cut > 0 else "/"


def name_of(path: str) -> str:
    return path[path.rfind("/") + 1 :]


def join(parent: str, name: str) -> str:
    return parent + name if parent == "/" else f"{parent}/{name}"
