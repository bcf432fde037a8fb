"""Timing and size knobs of the core, in milliseconds of whatever clock drives it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tunables:
    tick_ms: int = 100
    """Heartbeat period (ZooKeeper's tickTime / 2): PINGs go out and silences are counted."""
    init_limit: int = 20
    """Ticks a leader may spend in discovery and sync, and a learner may wait for its leader."""
    sync_limit: int = 10
    """Ticks of silence after which a leader drops a learner, or a learner its leader."""
    notify_ms: int = 200
    """First interval after which a LOOKING server re-sends its vote; it doubles on each try."""
    notify_max_ms: int = 2000
    finalize_wait_ms: int = 200
    """How long a server that sees a quorum for its vote waits for a better one."""
    snapshot_every: int = 10_000
    """Committed txns between two snapshots (the log before the previous one is dropped)."""
