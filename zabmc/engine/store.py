"""The seen set of a partitioned search: 16 bytes a state.

Each partition keeps its fingerprints in one sorted ``uint64`` array with the
parent's fingerprint beside each (0 for an initial state), like the sorted file
of TLC's ``DiskFPSet``: a level's candidates are tested together with
``np.searchsorted`` and the new ones merged in once per level. That costs a
copy per level, which numpy does at memory speed, and keeps the set at exactly
8 + 8 bytes a state with no empty slots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NO_PARENT = 0  # the parent of an initial state (0 is never a fingerprint)


class FingerprintStore:
    """Fingerprints seen, sorted, each with its parent's fingerprint."""

    def __init__(self) -> None:
        self.fingerprints = np.empty(0, dtype=np.uint64)
        self.parents = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.fingerprints)

    @property
    def nbytes(self) -> int:
        """Bytes held by the two arrays."""
        return self.fingerprints.nbytes + self.parents.nbytes

    def contains(self, fps: np.ndarray) -> np.ndarray:
        """A boolean mask: which of ``fps`` are in the set."""
        keys = self.fingerprints
        if not len(keys) or not len(fps):
            return np.zeros(len(fps), dtype=bool)
        at = np.searchsorted(keys, fps)
        inside = at < len(keys)
        found = np.zeros(len(fps), dtype=bool)
        found[inside] = keys[at[inside]] == fps[inside]
        return found

    def add(self, fps: np.ndarray, parents: np.ndarray) -> None:
        """Insert ``fps`` (distinct and absent) with their parents."""
        if not len(fps):
            return
        order = np.argsort(fps, kind="stable")
        fps, parents = fps[order], parents[order]
        at = np.searchsorted(self.fingerprints, fps)
        self.fingerprints = np.insert(self.fingerprints, at, fps)
        self.parents = np.insert(self.parents, at, parents)

    def parent(self, fp: int) -> int | None:
        """The parent of ``fp`` (None for an initial state); KeyError when absent."""
        keys = self.fingerprints
        at = int(np.searchsorted(keys, np.uint64(fp)))
        if at >= len(keys) or int(keys[at]) != fp:
            raise KeyError(fp)
        parent = int(self.parents[at])
        return None if parent == NO_PARENT else parent

    def smallest_gap(self) -> int | None:
        """The smallest difference between two fingerprints held (None with fewer than two)."""
        if len(self.fingerprints) < 2:
            return None
        return int(np.diff(self.fingerprints).min())

    def save(self, path: Path) -> None:
        """Write both arrays to ``path`` (numpy's .npz, uncompressed)."""
        with path.open("wb") as out:
            np.savez(out, fingerprints=self.fingerprints, parents=self.parents)

    @staticmethod
    def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
        """The fingerprints and parents saved at ``path``."""
        with np.load(path) as saved:
            return saved["fingerprints"], saved["parents"]


def collision_chances(
    distinct: int, generated: int, smallest_gap: int | None
) -> tuple[float, float]:
    """TLC's two estimates that two distinct states shared a fingerprint.

    The optimistic one is ``n (g - n) / 2^64`` for ``n`` distinct states of
    ``g`` generated; the observed one is ``1 / d`` for the smallest gap ``d``
    between two sorted fingerprints (0 when fewer than two were kept).
    """
    optimistic = distinct * max(generated - distinct, 0) / 2.0**64
    observed = 0.0 if not smallest_gap else 1.0 / smallest_gap
    return optimistic, observed


__all__ = ["NO_PARENT", "FingerprintStore", "collision_chances"]
