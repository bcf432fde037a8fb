"""What goes into the core: everything that happens to a server, as frozen records.

Time never flows inside the core; it arrives as :class:`TimerFired` for timers the core set.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from impl.core.messages import Message


class Timer(Enum):
    NOTIFY = "re-send the vote (LOOKING)"
    FINALIZE = "the final wait for a better vote is over (LOOKING)"
    TICK = "heartbeat: send PINGs, count silent ticks (not LOOKING)"


@dataclass(frozen=True, slots=True)
class MessageReceived:
    peer: int
    message: Message


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer: Timer


@dataclass(frozen=True, slots=True)
class WriteSubmitted:
    """A client write at this server; the outcome comes back as ``WriteResult(request_id)``."""

    request_id: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class NoteToLeader:
    """Bytes for the leader's application (not replicated, not durable): a learner in
    broadcast sends them to its leader; at the leader they come straight back as
    ``NoteReceived``; anywhere else they are dropped."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class LogSynced:
    """Every ``AppendTxns`` up to and including ``seq`` is on disk (fsync returned)."""

    seq: int


@dataclass(frozen=True, slots=True)
class PeerConnected:
    peer: int


@dataclass(frozen=True, slots=True)
class PeerDisconnected:
    peer: int


Event = (
    MessageReceived
    | TimerFired
    | WriteSubmitted
    | NoteToLeader
    | LogSynced
    | PeerConnected
    | PeerDisconnected
)
