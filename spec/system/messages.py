"""The Zab messages of the quorum port. Each is a tuple whose first field is its type.

Fields follow ZkV3_7_0.tla. Zxids are ints (see :mod:`spec.system.zxid`).
"""

from __future__ import annotations

from typing import NamedTuple

from spec.system.constants import (
    ACK,
    ACKEPOCH,
    COMMIT,
    DIFF,
    FOLLOWERINFO,
    INFORM,
    LEADERINFO,
    NEWLEADER,
    PROPOSAL,
    SNAP,
    TRUNC,
    UPTODATE,
)
from spec.system.state import History
from spec.system.zxid import make_zxid


class FollowerInfo(NamedTuple):
    """FOLLOWERINFO (OBSERVERINFO from an observer): the learner's acceptedEpoch."""

    mtype: int
    epoch: int


class LeaderInfo(NamedTuple):
    """LEADERINFO: the new epoch the leader proposes."""

    mtype: int
    epoch: int


class AckEpoch(NamedTuple):
    """ACKEPOCH: the learner's currentEpoch and last zxid.

    ``fresh`` is false when the learner had already accepted this epoch: ZooKeeper
    then sends epoch -1, which the leader does not count towards its quorum.
    """

    mtype: int
    epoch: int
    zxid: int
    fresh: bool


class SyncStart(NamedTuple):
    """DIFF or TRUNC, with the zxid the learner's log agrees up to (or is cut to)."""

    mtype: int
    zxid: int


class Snap(NamedTuple):
    """SNAP: a snapshot of the leader's data tree, as the log entries it covers."""

    mtype: int
    zxid: int
    snapshot: History


class Proposal(NamedTuple):
    """PROPOSAL: a transaction."""

    mtype: int
    zxid: int
    value: int


class ZxidOnly(NamedTuple):
    """COMMIT, NEWLEADER, UPTODATE or ACK: a type and a zxid."""

    mtype: int
    zxid: int


class Inform(NamedTuple):
    """INFORM: a committed transaction, for observers."""

    mtype: int
    zxid: int
    value: int


def follower_info(accepted_epoch: int) -> FollowerInfo:
    return FollowerInfo(FOLLOWERINFO, accepted_epoch)


def leader_info(epoch: int) -> LeaderInfo:
    return LeaderInfo(LEADERINFO, epoch)


def ack_epoch(current_epoch: int, zxid: int, fresh: bool) -> AckEpoch:
    return AckEpoch(ACKEPOCH, current_epoch, zxid, fresh)


def diff(zxid: int) -> SyncStart:
    return SyncStart(DIFF, zxid)


def trunc(zxid: int) -> SyncStart:
    return SyncStart(TRUNC, zxid)


def snap(zxid: int, snapshot: History) -> Snap:
    return Snap(SNAP, zxid, snapshot)


def proposal(zxid: int, value: int) -> Proposal:
    return Proposal(PROPOSAL, zxid, value)


def commit(zxid: int) -> ZxidOnly:
    return ZxidOnly(COMMIT, zxid)


def newleader(epoch: int) -> ZxidOnly:
    """NEWLEADER carries the zxid ``epoch:0``."""
    return ZxidOnly(NEWLEADER, make_zxid(epoch, 0))


def ackld(zxid: int) -> ZxidOnly:
    """The ACK of NEWLEADER: an ACK that echoes NEWLEADER's zxid (``epoch:0``)."""
    return ZxidOnly(ACK, zxid)


def uptodate(epoch: int) -> ZxidOnly:
    return ZxidOnly(UPTODATE, make_zxid(epoch, 0))


def ack(zxid: int) -> ZxidOnly:
    return ZxidOnly(ACK, zxid)


def inform(zxid: int, value: int) -> Inform:
    return Inform(INFORM, zxid, value)
