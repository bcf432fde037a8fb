"""The records the steps keep: an election's votes, a leader's view of each learner, and a
learner's view of its leader.

A session lives as long as the connection it runs on; either side ending it closes the
connection, so no message of an old session can reach a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from impl.core.errors import RemoteProtocolError
from impl.core.messages import Txn
from impl.core.roles import Role


class Ballot(NamedTuple):
    """A vote as received: the proposal, the round it was cast in, and the sender's role."""

    leader: int
    zxid: int
    epoch: int
    round: int
    state: Role


@dataclass(slots=True)
class ElectionState:
    """One server's Fast Leader Election (ZooKeeper's ``FastLeaderElection``): its vote, the
    votes it received, and the final wait."""

    round: int = 0
    """ZooKeeper's logicalclock."""
    leader: int = 0
    zxid: int = 0
    epoch: int = 0
    received: dict[int, Ballot] = field(default_factory=dict)
    """Votes of this round (ZooKeeper's recvset)."""
    out_of_election: dict[int, Ballot] = field(default_factory=dict)
    """Votes of servers that already follow or lead (ZooKeeper's outofelection)."""
    waiting: bool = False
    """A quorum agrees with our vote; the final wait for a better one is running."""
    notify_ms: int = 0


@dataclass(slots=True)
class LearnerSession:
    """The leader's record of one learner (ZooKeeper's ``LearnerHandler``)."""

    sid: int
    observer: bool
    accepted_epoch: int
    got_leaderinfo: bool = False
    acked_epoch: bool = False
    peer_last_zxid: int = 0
    synced: bool = False
    """Sync packets and NEWLEADER were queued; new proposals go to it (``forwarding``)."""
    acked_newleader: bool = False
    uptodate: bool = False
    silent_ticks: int = 0


@dataclass(slots=True)
class LeaderState:
    """A leader's record of its term: the learners that joined, the epoch it fixes, and the
    proposals that wait for a quorum."""

    learners: dict[int, LearnerSession] = field(default_factory=dict)
    connecting: set[int] = field(default_factory=set)
    """Voters (the leader included) whose FOLLOWERINFO came before the epoch was fixed."""
    max_accepted_epoch: int = 0
    new_epoch: int | None = None
    electing: set[int] = field(default_factory=set)
    """Voters whose ACKEPOCH counts towards establishing the epoch (the leader included)."""
    acked_newleader: set[int] = field(default_factory=set)
    outstanding: dict[int, set[int]] = field(default_factory=dict)
    """Proposed, not yet committed zxids (in zxid order) and the voters that acked each."""
    next_counter: int = 1
    own_durable: int = 0
    """Our own log is on disk up to this zxid."""
    ticks: int = 0

    def synced_session(self, j: int, epoch: int, what: str) -> LearnerSession:
        """The session with ``j``, which must be synced and speak our new epoch."""
        session = self.learners.get(j)
        if session is None or not session.synced or epoch != self.new_epoch:
            raise RemoteProtocolError(f"{what} from {j} out of turn (epoch {epoch})")
        return session


@dataclass(slots=True)
class LearnerState:
    """A follower's or observer's record of its session with the leader."""

    leader: int
    sent_info: bool = False
    epoch: int | None = None
    silent_ticks: int = 0
    sync_mode: str | None = None
    before_newleader: list[Txn] = field(default_factory=list)
    after_newleader: list[Txn] = field(default_factory=list)
    newleader_epoch: int | None = None
    newleader_wait_seq: int = 0
    newleader_acked: bool = False
    to_ack: list[int] = field(default_factory=list)
    """Zxids synced before NEWLEADER, acked together with it."""
    commit_target: int = 0
    """Everything up to this zxid is known committed (applied at UPTODATE)."""

    def last_queued(self, last_logged: int) -> int:
        queue = self.after_newleader or self.before_newleader
        return queue[-1].zxid if queue else last_logged
