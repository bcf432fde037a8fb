"""The messages of Zab.tla. Each is a tuple whose first field is its type."""

from __future__ import annotations

from typing import NamedTuple

from spec.protocol.constants import (
    ACK,
    ACKEPOCH,
    ACKLD,
    CEPOCH,
    COMMIT,
    COMMITLD,
    NEWEPOCH,
    NEWLEADER,
    PROPOSE,
)
from spec.protocol.state import History, Zxid


class Cepoch(NamedTuple):
    """CEPOCH (FOLLOWERINFO): the follower's f.p."""

    mtype: int
    mepoch: int


class Newepoch(NamedTuple):
    """NEWEPOCH (LEADERINFO): the new epoch e'."""

    mtype: int
    mepoch: int


class Ackepoch(NamedTuple):
    """ACKEPOCH: the follower's f.a and history."""

    mtype: int
    mepoch: int
    mhistory: History


class Newleader(NamedTuple):
    """NEWLEADER: e' and the initial history."""

    mtype: int
    mepoch: int
    mhistory: History


class Ackld(NamedTuple):
    """ACKLD (ACK of NEWLEADER): the follower's last zxid."""

    mtype: int
    mzxid: Zxid


class Commitld(NamedTuple):
    """COMMITLD (COMMIT of NEWLEADER): the zxid up to which to commit."""

    mtype: int
    mzxid: Zxid


class Propose(NamedTuple):
    """PROPOSE: one transaction."""

    mtype: int
    mzxid: Zxid
    mdata: int


class Ack(NamedTuple):
    """ACK of a PROPOSE."""

    mtype: int
    mzxid: Zxid


class Commit(NamedTuple):
    """COMMIT of a proposal."""

    mtype: int
    mzxid: Zxid


def cepoch(epoch: int) -> Cepoch:
    return Cepoch(CEPOCH, epoch)


def newepoch(epoch: int) -> Newepoch:
    return Newepoch(NEWEPOCH, epoch)


def ackepoch(epoch: int, history: History) -> Ackepoch:
    return Ackepoch(ACKEPOCH, epoch, history)


def newleader(epoch: int, history: History) -> Newleader:
    return Newleader(NEWLEADER, epoch, history)


def ackld(zxid: Zxid) -> Ackld:
    return Ackld(ACKLD, zxid)


def commitld(zxid: Zxid) -> Commitld:
    return Commitld(COMMITLD, zxid)


def propose(zxid: Zxid, data: int) -> Propose:
    return Propose(PROPOSE, zxid, data)


def ack(zxid: Zxid) -> Ack:
    return Ack(ACK, zxid)


def commit(zxid: Zxid) -> Commit:
    return Commit(COMMIT, zxid)
