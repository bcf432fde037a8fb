"""Checkpoints of a partitioned search, written at a level's end.

A checkpoint is a folder ``level-NNNNNN`` holding each partition's seen set and
frontier (``part-K/``) and the driver's totals (``meta.json``), as TLC's
``checkpoint()`` does: written under a temporary name, renamed when complete,
and only then named by ``CURRENT`` (itself replaced atomically). A run killed at
any moment leaves the previous checkpoint intact. Resuming takes the partitions'
files whatever their number: each new partition keeps what it owns.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: Bumped when a checkpoint's bytes would unpack differently: 2 since sequence values (tag SEQ)
#: and the system spec's proposal records with the epoch first.
FORMAT = 2


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, broken or made for another search."""


class _Saving(Protocol):
    count: int

    def call(self, method: str, args: Any) -> list[Any]: ...


@dataclass
class Saved:
    """A checkpoint read back: the driver's totals and the partitions' folders."""

    meta: dict[str, Any]
    partitions: list[Path]


class Checkpoint:
    """The checkpoints of one search, in folder ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def write(self, workers: _Saving, meta: dict[str, Any], signature: dict[str, Any]) -> Path:
        """Save every partition and ``meta``; return the checkpoint's folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"level-{meta['run']['level']:06d}"
        staging = self.root / f".tmp-{name}"
        final = self.root / name
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        workers.call("save", [(staging / f"part-{k}",) for k in range(workers.count)])
        document = {
            "format": FORMAT,
            "signature": signature,
            "partitions": workers.count,
            **meta,
        }
        (staging / "meta.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        pointer = self.root / "CURRENT.tmp"
        pointer.write_text(name + "\n", encoding="utf-8")
        os.replace(pointer, self.root / "CURRENT")
        for old in self.root.glob("level-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        return final

    def read(self, signature: dict[str, Any]) -> Saved:
        """The latest complete checkpoint, refused unless made for ``signature``."""
        pointer = self.root / "CURRENT"
        if not pointer.is_file():
            raise CheckpointError(f"{self.root}: no checkpoint here (no CURRENT file)")
        folder = self.root / pointer.read_text(encoding="utf-8").strip()
        try:
            document = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{folder / 'meta.json'}: unreadable: {exc}") from None
        if document.get("format") != FORMAT:
            raise CheckpointError(
                f"{folder}: checkpoint format {document.get('format')!r}, this zabmc reads {FORMAT}"
            )
        if document["signature"] != signature:
            made = _differences(document["signature"], signature)
            raise CheckpointError(
                f"{self.root}: the checkpoint was made for another search: {made}"
            )
        parts = [folder / f"part-{k}" for k in range(document["partitions"])]
        missing = [p for p in parts if not (p / "seen.npz").is_file()]
        if missing:
            raise CheckpointError(f"{missing[0]}: partition missing from the checkpoint")
        return Saved(document, parts)


def _differences(saved: dict[str, Any], given: dict[str, Any]) -> str:
    names = sorted(set(saved) | set(given))
    diffs = [
        f"{n} {saved.get(n)!r} there, {given.get(n)!r} here"
        for n in names
        if saved.get(n) != given.get(n)
    ]
    return "; ".join(diffs)


__all__ = ["Checkpoint", "CheckpointError", "Saved"]
