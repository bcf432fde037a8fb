"""The bounds of a protocol-spec run: Zab.tla's Parameters, the cluster size, the variant."""

from __future__ import annotations

from dataclasses import dataclass

from spec.protocol.bugs import BUGS


@dataclass(frozen=True)
class Params:
    """Zab.tla's ``Parameters`` record and ``Server`` set.

    Each bound is enforced as a guard exactly where Zab.tla checks it:
    ``max_timeouts`` (MaxTimeoutFailures) on Timeout and Restart,
    ``max_txns`` (MaxTransactionNum) on LeaderProcessRequest, ``max_epoch``
    (MaxEpoch) on LeaderProcessCEPOCH, ``max_restarts`` (MaxRestarts) on Restart.
    """

    servers: int = 3
    max_timeouts: int = 1
    max_txns: int = 1
    max_epoch: int = 1
    max_restarts: int = 0
    bug: str | None = None

    def __post_init__(self) -> None:
        if self.servers < 1:
            raise ValueError("--nodes must be at least 1")
        if self.servers > 5:
            raise ValueError("the protocol spec supports at most 5 servers")
        for name in ("max_timeouts", "max_txns", "max_epoch", "max_restarts"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name.replace('_', '-')} must not be negative")
        if self.bug is not None and self.bug not in BUGS:
            raise ValueError(f"unknown bug {self.bug!r}; choose from: {', '.join(BUGS)}")
