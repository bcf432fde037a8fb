"""What comes out of the core: commands for the adapters, as frozen records.

Ordering contract for adapters (the asyncio server and the simulator both keep it):

* effects run in the order given;
* ``PersistEpochs``, ``TruncateLog``, ``WriteSnapshot`` and ``InstallSnapshot`` are durable
  (fsync'ed) before any later effect runs;
* ``AppendTxns`` may be written now and synced later (group commit): the adapter reports
  ``LogSynced(seq)`` once that append and all earlier ones are on disk, in ``seq`` order;
* ``Send`` to a peer without a connection is dropped (the protocol recovers by timeouts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple, get_args

from impl.core.events import Timer
from impl.core.messages import Message, Snapshot, Txn
from impl.core.zxid import Runs


@dataclass(frozen=True, slots=True)
class Send:
    peer: int
    message: Message


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Close the connection to ``peer`` (a session ended); the adapter reconnects later."""

    peer: int


@dataclass(frozen=True, slots=True)
class AppendTxns:
    txns: tuple[Txn, ...]
    seq: int


@dataclass(frozen=True, slots=True)
class TruncateLog:
    """Drop every logged txn after ``zxid``."""

    zxid: int


@dataclass(frozen=True, slots=True)
class PersistEpochs:
    """Write acceptedEpoch and currentEpoch atomically."""

    accepted_epoch: int
    current_epoch: int


@dataclass(frozen=True, slots=True)
class WriteSnapshot:
    """Save ``snapshot``; log records at or before ``drop_log_through`` may then be deleted."""

    snapshot: Snapshot
    drop_log_through: int


@dataclass(frozen=True, slots=True)
class InstallSnapshot:
    """Replace the whole log with ``snapshot`` (a SNAP from the leader)."""

    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class Deliver:
    """``txn`` is committed and was applied to the application, in zxid order."""

    txn: Txn
    result: bytes


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of a write submitted here: committed at ``zxid`` with the application's
    ``result``, or ``error`` (``not-ready``: not committed; ``leader-lost``: unknown)."""

    request_id: int
    zxid: int | None
    result: bytes = b""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class NoteReceived:
    """At the leader: the application bytes a server (possibly this one) sent with
    ``NoteToLeader``."""

    sid: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Fire ``timer`` after ``delay_ms``, replacing any pending firing of it."""

    timer: Timer
    delay_ms: int


@dataclass(frozen=True, slots=True)
class CancelTimer:
    timer: Timer


@dataclass(frozen=True, slots=True)
class Note:
    """A line for the server's readable log: role changes, elections, sync modes, errors."""

    level: str
    text: str


class Vote(NamedTuple):
    leader: int
    zxid: int
    epoch: int
    round: int


class ObservedState(NamedTuple):
    """A server's observable state after a step (ints and tuples only).

    ``history`` holds the history's zxids as runs, ``((epoch, count), ...)``: counters 1..count
    of each epoch it holds (a ZAB history has no gaps), so recording a step costs the same on
    a long history as on a short one; ``impl.core.zxid.runs_zxids`` lists the zxids."""

    role: int
    phase: int
    accepted_epoch: int
    current_epoch: int
    last_zxid: int
    last_committed: int
    vote: Vote
    history: Runs


@dataclass(frozen=True, slots=True)
class Observed:
    """One protocol step, named as in the shared vocabulary, with its arguments (server ids, as
    the vocabulary orders them), the state of ``server`` after it, and the message the step
    took (``None`` for a step that takes none, or several at once). Emitted only when the
    core was built with ``record=True``."""

    step: str
    args: tuple[int, ...]
    server: int
    state: ObservedState
    msg: Message | None = None


Effect = (
    Send
    | Disconnect
    | AppendTxns
    | TruncateLog
    | PersistEpochs
    | WriteSnapshot
    | InstallSnapshot
    | Deliver
    | WriteResult
    | NoteReceived
    | SetTimer
    | CancelTimer
    | Note
    | Observed
)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


class EffectRunner:
    """Base of the adapters: :meth:`run` carries out effects in order by calling
    ``on_<effect in snake case>`` (``on_send``, ``on_append_txns``, ...); a subclass must
    define one for every effect type."""

    METHODS: ClassVar[dict[type, str]] = {
        cls: "on_" + _snake(cls.__name__) for cls in get_args(Effect)
    }

    def run(self, effects: list[Effect]) -> None:
        methods = self.METHODS
        for effect in effects:
            getattr(self, methods[type(effect)])(effect)
