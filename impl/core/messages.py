"""The messages servers exchange, as frozen records (the wire codec lives in ``impl.wire``).

Leader-to-learner messages carry the leader's epoch, so a learner can refuse anything that is
not of its current epoch from its current leader. ``Txn`` payloads are opaque bytes: the
service on top decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass

from impl.core.roles import Role
from impl.core.zxid import Runs


@dataclass(frozen=True, slots=True)
class Txn:
    """One replicated transaction: its zxid, the server and request it came from, the payload,
    and the leader's clock when it proposed it (ZooKeeper's ``TxnHeader.time``: the service
    on top takes its timestamps from here, so every server applies the same ones)."""

    zxid: int
    origin: int
    request_id: int
    payload: bytes
    time_ms: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The application state after every txn up to ``zxid``, and that history's zxid runs."""

    zxid: int
    runs: Runs
    state: bytes


# --- Fast Leader Election -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notification:
    """A vote (proposed leader, its zxid and epoch), the election round and the sender's role."""

    leader: int
    zxid: int
    epoch: int
    round: int
    state: Role


# --- Discovery -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowerInfo:
    """Learner -> leader: the learner's acceptedEpoch."""

    accepted_epoch: int


@dataclass(frozen=True, slots=True)
class LeaderInfo:
    """Leader -> learner: the proposed new epoch."""

    epoch: int


@dataclass(frozen=True, slots=True)
class AckEpoch:
    """Learner -> leader: its currentEpoch and last zxid. ``already_accepted`` says the learner
    had accepted this epoch before (ZooKeeper sends currentEpoch -1): it is synced but does not
    count towards the quorum that establishes the epoch."""

    current_epoch: int
    last_zxid: int
    already_accepted: bool


# --- Synchronization -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Diff:
    """Keep your history up to ``zxid``; the missing proposals follow."""

    epoch: int
    zxid: int


@dataclass(frozen=True, slots=True)
class Trunc:
    """Drop every entry of your history after ``zxid``; the missing proposals follow."""

    epoch: int
    zxid: int


@dataclass(frozen=True, slots=True)
class Snap:
    """Replace your state and history with this snapshot; the later proposals follow."""

    epoch: int
    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class NewLeader:
    epoch: int


@dataclass(frozen=True, slots=True)
class AckNewLeader:
    """The ACK of NEWLEADER (ACKLD): the learner has persisted its history and currentEpoch."""

    epoch: int


@dataclass(frozen=True, slots=True)
class UpToDate:
    epoch: int


# --- Broadcast -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Proposal:
    epoch: int
    txn: Txn


@dataclass(frozen=True, slots=True)
class Ack:
    epoch: int
    zxid: int


@dataclass(frozen=True, slots=True)
class Commit:
    epoch: int
    zxid: int


@dataclass(frozen=True, slots=True)
class Inform:
    """Leader -> observer: a committed txn (observers never see uncommitted proposals)."""

    epoch: int
    txn: Txn


@dataclass(frozen=True, slots=True)
class Ping:
    """Heartbeat, leader -> learner and back."""

    epoch: int


@dataclass(frozen=True, slots=True)
class Request:
    """Learner -> leader: a client write submitted at the learner (the sender is its origin)."""

    request_id: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class LearnerNote:
    """Learner -> leader: bytes for the leader's application, not replicated (ZooKeeper's
    follower PING carries its session touches this way)."""

    epoch: int
    payload: bytes


Message = (
    Notification
    | FollowerInfo
    | LeaderInfo
    | AckEpoch
    | Diff
    | Trunc
    | Snap
    | NewLeader
    | AckNewLeader
    | UpToDate
    | Proposal
    | Ack
    | Commit
    | Inform
    | Ping
    | Request
    | LearnerNote
)
