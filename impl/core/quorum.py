"""Who is in the cluster, who votes, and what a quorum is (a strict majority of the voters)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cluster:
    """Server ids (ZooKeeper myids, 1..N): voters first, then observers."""

    voters: tuple[int, ...]
    observers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        ids = (*self.voters, *self.observers)
        if not self.voters:
            raise ValueError("a cluster needs at least one voter")
        if len(set(ids)) != len(ids) or any(i <= 0 for i in ids):
            raise ValueError(f"server ids must be distinct positive integers, got {ids}")

    @property
    def servers(self) -> tuple[int, ...]:
        return (*self.voters, *self.observers)

    def is_voter(self, sid: int) -> bool:
        return sid in self.voters

    def is_observer(self, sid: int) -> bool:
        return sid in self.observers

    def is_quorum(self, sids: Iterable[int]) -> bool:
        """More than half of the voters are in ``sids`` (non-voters do not count)."""
        return 2 * sum(1 for s in set(sids) if s in self.voters) > len(self.voters)
