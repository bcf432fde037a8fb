"""The bounds of a system-spec run, the cluster's make-up and the bug variant."""

from __future__ import annotations

from dataclasses import dataclass, field

from spec.system.bugs import BUGS

#: The largest cluster the spec accepts (voters and observers).
MAX_SERVERS = 5


@dataclass(frozen=True)
class Params:
    """The constants of a run.

    Servers ``0 .. voters-1`` vote; ``voters .. voters+observers-1`` observe.
    Each bound is a guard on the action it limits:

    * ``max_txns``: client requests in the whole run (LeaderProcessRequest);
    * ``max_epoch``: the largest epoch a leader may propose (LeaderProcessFOLLOWERINFO);
    * ``max_crashes``: NodeCrash steps;
    * ``max_partitions``: PartitionStart steps;
    * ``max_timeouts``: FLENotmsgTimeout and ZabTimeout steps together.

    ``coarse_election`` swaps Fast Leader Election for two atomic steps.
    """

    voters: int = 3
    observers: int = 0
    max_txns: int = 1
    max_epoch: int = 2
    max_crashes: int = 0
    max_partitions: int = 0
    max_timeouts: int = 1
    bug: str | None = None
    #: Replace the four FLE steps by ElectLeader and FollowLeader (see
    #: :mod:`spec.system.election.coarse`), as the mixed-grained specs do, to reach
    #: bugs that need several elections.
    coarse_election: bool = False
    #: Log writes reach disk later than they are made, as in ZooKeeper's
    #: SyncRequestProcessor: a follower ACKs a proposal only once its log is synced
    #: (FollowerSyncProcessorLogRequest), and a leader counts its own ack of a proposal
    #: only then (LeaderProcessACK(i, i), ZooKeeper's AckRequestProcessor). Off, the spec
    #: acks as it logs, as ZkV3_7_0.tla does. Replay turns it on: the implementation, like
    #: ZooKeeper, commits and sends COMMITs in the order its own fsync allows.
    async_logging: bool = False
    n: int = field(init=False)
    voter_mask: int = field(init=False)

    def __post_init__(self) -> None:
        if self.voters < 1:
            raise ValueError("--nodes must be at least 1")
        if self.observers < 0:
            raise ValueError("--observers must not be negative")
        if self.voters + self.observers > MAX_SERVERS:
            raise ValueError(
                f"the system spec supports at most {MAX_SERVERS} servers, voters and observers"
            )
        for name in ("max_txns", "max_epoch", "max_crashes", "max_partitions", "max_timeouts"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must not be negative")
        if self.bug is not None and self.bug not in BUGS:
            raise ValueError(f"unknown bug {self.bug!r}; choose from: {', '.join(BUGS)}")
        object.__setattr__(self, "n", self.voters + self.observers)
        object.__setattr__(self, "voter_mask", (1 << self.voters) - 1)

    def is_voter(self, i: int) -> bool:
        """Whether server ``i`` takes part in votes and acks."""
        return i < self.voters

    def is_quorum(self, mask: int) -> bool:
        """More than half of the voters are in ``mask`` (observers never count)."""
        return (mask & self.voter_mask).bit_count() * 2 > self.voters
