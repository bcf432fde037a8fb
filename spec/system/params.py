"""The bounds of a system-spec run, the cluster's make-up and the bug variant."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from spec.system.bugs import BUGS, QUEUED_LOGGING, SPLIT_NEWLEADER

#: ZooKeeper 3.9's Learner.syncWithLeader (the default): at NEWLEADER the follower logs and
#: applies the txns the leader committed during sync, flushes them, persists currentEpoch and
#: acks NEWLEADER; the outstanding proposals wait for UPTODATE (ZOOKEEPER-4394, -4643, -4646,
#: -4685 fixed).
ZK_39 = "3.9"
#: ZooKeeper 3.7.0's Learner.syncWithLeader: at NEWLEADER the follower persists currentEpoch,
#: hands every txn of the sync to the SyncRequestProcessor (logged and acked later) and then
#: acks NEWLEADER: ZOOKEEPER-4643, -4646 and -4685 are all in it.
ZK_37 = "3.7"
#: ZooKeeper's own TLA+ of 3.7 (ZkV3_7_0.tla): NEWLEADER persists every txn of the sync and
#: currentEpoch at once, then acks NEWLEADER and each txn. Coarser than 3.7's code; the
#: reference implementation (impl/) does the same, so its traces replay in this mode.
ZK_TLA = "ZkV3_7_0.tla"
ZK_VERSIONS = (ZK_39, ZK_37, ZK_TLA)

#: The largest cluster a search accepts (voters and observers): beyond it no bounds help.
MAX_SERVERS = 5
#: The largest cluster the spec itself can hold (a replayed run may be larger than a search).
MAX_IDS = 9


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

    ``coarse_election`` swaps Fast Leader Election for two atomic steps. ``zk`` picks the
    ZooKeeper version whose NEWLEADER handling the spec follows; a ``bug`` variant replaces it.
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
    #: ZooKeeper's timing, finer than ZkV3_7_0.tla's, for replaying recorded runs (the
    #: search keeps it off: it multiplies the states and adds no bug of the catalogue):
    #:
    #: * logs reach disk after they are written (SyncRequestProcessor): a follower ACKs a
    #:   proposal once its log is synced (FollowerSyncProcessorLogRequest), and a leader
    #:   counts its own ack then (LeaderProcessACK(i, i), the AckRequestProcessor);
    #: * each server notices a fault on its own: a crash, a cut link or a leader stepping
    #:   down closes connections at once, but a learner goes back to election only at its
    #:   own ZabTimeout, and a leader that lost its quorum at its own (a closed socket or
    #:   ticks without word, in ZooKeeper), where ZkV3_7_0.tla moves the whole cluster in
    #:   the step that caused it;
    #: * a LOOKING server's poll can time out while a notification is still in flight.
    zookeeper_timing: bool = False
    #: Which ZooKeeper's NEWLEADER handling the spec follows when no bug variant replaces
    #: it: ZK_39 (default), ZK_37 or ZK_TLA.
    zk: str = ZK_39
    n: int = field(init=False)
    voter_mask: int = field(init=False)
    #: NEWLEADER is taken in two steps, currentEpoch first (ZK-4643, ZK-4685, 3.7).
    split_newleader: bool = field(init=False)
    #: The txns of the sync reach the log through the SyncRequestProcessor's queue, after
    #: NEWLEADER (ZK-4646, ZK-4685, 3.7).
    queued_logging: bool = field(init=False)
    #: Fast Leader Election as FastLeaderElection.tla abstracts it, and as ZkV3_7_0.tla's
    #: crashes and partitions touch it (``zk == ZK_TLA`` without ``zookeeper_timing``: the
    #: TLA+ oracle's replay; a recorded run of ZooKeeper's timing elects as ZooKeeper
    #: does). The list is in :mod:`spec.system.election.actions` and spec.system.tla_oracle.
    tla_election: bool = field(init=False)

    def __post_init__(self) -> None:
        if self.voters < 1:
            raise ValueError("--nodes must be at least 1")
        if self.observers < 0:
            raise ValueError("--observers must not be negative")
        if self.voters + self.observers > MAX_IDS:
            raise ValueError(
                f"the system spec supports at most {MAX_IDS} servers, voters and observers"
            )
        for name in ("max_txns", "max_epoch", "max_crashes", "max_partitions", "max_timeouts"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must not be negative")
        if self.bug is not None and self.bug not in BUGS:
            raise ValueError(f"unknown bug {self.bug!r}; choose from: {', '.join(BUGS)}")
        if self.zk not in ZK_VERSIONS:
            raise ValueError(f"unknown ZooKeeper version {self.zk!r}; choose from: 3.7, 3.9")
        java37 = self.bug is None and self.zk == ZK_37
        object.__setattr__(self, "split_newleader", self.bug in SPLIT_NEWLEADER or java37)
        object.__setattr__(self, "queued_logging", self.bug in QUEUED_LOGGING or java37)
        tla_election = self.zk == ZK_TLA and not self.zookeeper_timing
        object.__setattr__(self, "tla_election", tla_election)
        object.__setattr__(self, "n", self.voters + self.observers)
        object.__setattr__(self, "voter_mask", (1 << self.voters) - 1)

    def __reduce__(self) -> tuple[type[Params], tuple[Any, ...]]:
        """Pickled and copied by the fields its constructor takes: compiled with mypyc, the
        default would set each frozen field, which a frozen dataclass refuses."""
        return (Params, tuple(getattr(self, f.name) for f in fields(self) if f.init))

    def is_voter(self, i: int) -> bool:
        """Whether server ``i`` takes part in votes and acks."""
        return i < self.voters

    def is_quorum(self, mask: int) -> bool:
        """More than half of the voters are in ``mask`` (observers never count)."""
        return (mask & self.voter_mask).bit_count() * 2 > self.voters


UNBOUNDED = 1 << 62
"""A bound no run reaches: for checking a recorded behaviour (a trace, a TLA+ run) rather than
searching."""


def unbounded(voters: int, observers: int = 0, **options: Any) -> Params:
    """This spec's constants with every bound lifted, as replaying a recorded behaviour needs;
    ``options`` sets the other fields (``zk``, ``zookeeper_timing``)."""
    return Params(
        voters=voters,
        observers=observers,
        max_txns=UNBOUNDED,
        max_epoch=UNBOUNDED,
        max_crashes=UNBOUNDED,
        max_partitions=UNBOUNDED,
        max_timeouts=UNBOUNDED,
        **options,
    )
