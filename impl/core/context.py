"""The state the steps share, and the few ways a step changes it or emits an effect.

Every step (``election``, ``discovery``, ``sync``, ``broadcast``, ``liveness``) is a function
of a :class:`Context` and what it takes (a message, a timer): it reads and updates the context,
and its effects go out through the context's outbox (:meth:`Context.emit` and the helpers
beside it), in the order the step causes them. :class:`~impl.core.peer.ZabPeer` owns one
context, routes each event to its step, and returns the outbox.

A step changes role or phase only through :meth:`Context.enter`, with a trigger of the table in
``impl.core.roles``; what a phase does on entry (a new leader waits for learners, a learner
connects) is the peer's to run once the step is done, so no step calls back into the peer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from impl.core.application import Application
from impl.core.effects import (
    AppendTxns,
    Deliver,
    Disconnect,
    Effect,
    InstallSnapshot,
    Note,
    Observed,
    ObservedState,
    PersistEpochs,
    Send,
    TruncateLog,
    Vote,
    WriteResult,
    WriteSnapshot,
)
from impl.core.errors import LocalProtocolError, RemoteProtocolError
from impl.core.history import History
from impl.core.messages import FollowerInfo, Message, Snapshot, Txn
from impl.core.quorum import Cluster
from impl.core.roles import Phase, Role, Trigger, transition
from impl.core.state import ElectionState, LeaderState, LearnerState
from impl.core.steps import STEPS
from impl.core.switches import Switches
from impl.core.tunables import Tunables
from impl.core.zxid import format_zxid, freeze_runs, runs_truncate


@dataclass(slots=True, eq=False)
class Context:
    """One server's protocol state, as the steps see it."""

    sid: int
    cluster: Cluster
    tunables: Tunables
    app: Application
    record: bool
    """Emit an :class:`Observed` effect for every step (trace recording)."""
    switches: Switches
    """The bug switches this server runs with (``impl.core.switches``; none normally)."""
    history: History
    accepted_epoch: int
    current_epoch: int
    committed: int
    """Every txn up to this zxid is committed and applied to ``app``."""
    role: Role = Role.LOOKING
    phase: Phase = Phase.ELECTION
    applied_since_snapshot: int = 0
    kept_database: bool = False
    """This server left FOLLOWING or LEADING without restarting, keeping its in-memory
    database: its last processed zxid is ``committed``, not its log's last (ZOOKEEPER-2845's
    fix reloads the database from disk instead; only the ZK-2845 switch reads it)."""
    election: ElectionState = field(default_factory=ElectionState)
    connected: set[int] = field(default_factory=set)
    leader_state: LeaderState | None = None
    learner: LearnerState | None = None
    early_info: dict[int, FollowerInfo] = field(default_factory=dict)
    """FOLLOWERINFOs that came before this server knew it leads (kept for ``lead``, and
    taken once their learner answers the leader's ping)."""
    next_seq: int = 0
    durable_seq: int = 0
    awaiting_sync: deque[tuple[int, int]] = field(default_factory=deque)
    """(append seq, zxid) of txns to ack (or, leading, to count) once on disk."""
    pending_writes: set[int] = field(default_factory=set)
    now_ms: int = 0
    """The adapter's clock at the latest event (wall-clock ms); the leader stamps txns with
    it. The core never reads a clock: time comes in with the events."""
    out: list[Effect] = field(default_factory=list)
    """The outbox: the effects of the event being handled, in order."""
    entered: list[Trigger] = field(default_factory=list)
    """Triggers taken while handling the event, for the peer to run their phase entry."""

    # --- effects ---------------------------------------------------------------------------

    def emit(self, effect: Effect) -> None:
        self.out.append(effect)

    def send(self, peer: int, message: Message) -> None:
        self.out.append(Send(peer, message))

    def note(self, level: str, text: str) -> None:
        self.out.append(Note(level, text))

    def step(self, name: str, *args: int, msg: Message | None = None) -> None:
        """Record one observable protocol step and the message it took (free when nothing
        records: the message is one the step already holds)."""
        if self.record:
            if name not in STEPS:
                raise LocalProtocolError(f"{name} is not in the vocabulary of steps")
            self.out.append(Observed(name, args, self.sid, self.observed_state(), msg))

    def disconnect(self, peer: int) -> None:
        self.connected.discard(peer)
        self.out.append(Disconnect(peer))

    def persist_epochs(self) -> None:
        self.out.append(PersistEpochs(self.accepted_epoch, self.current_epoch))

    @staticmethod
    def fmt(zxid: int) -> str:
        return format_zxid(zxid)

    # --- role and phase --------------------------------------------------------------------

    def enter(self, trigger: Trigger) -> None:
        """Take ``trigger`` (the table in ``impl.core.roles`` says where it leads)."""
        before = self.role
        self.role, self.phase = transition(self.role, self.phase, trigger)
        self.entered.append(trigger)
        if self.role != before:
            self.note("info", f"{before.name} -> {self.role.name}")

    def observed_state(self) -> ObservedState:
        e = self.election
        return ObservedState(
            int(self.role),
            int(self.phase),
            self.accepted_epoch,
            self.current_epoch,
            self.history.last_zxid,
            self.committed,
            Vote(e.leader, e.zxid, e.epoch, e.round),
            self.history.frozen_runs(),
        )

    # --- the log and the application ------------------------------------------------------

    def log_txns(self, txns: list[Txn], *, ack: bool) -> None:
        """Append to the history and the log; with ``ack``, ack (or count) each once on disk."""
        if not txns:
            return
        for txn in txns:
            self.history.append(txn)
        self.next_seq += 1
        self.out.append(AppendTxns(tuple(txns), self.next_seq))
        if ack:
            self.awaiting_sync.extend((self.next_seq, t.zxid) for t in txns)

    def truncate_log(self, zxid: int, dropped: list[Txn]) -> None:
        self.out.append(TruncateLog(zxid))
        if dropped:
            self.note(
                "warning",
                f"TRUNC to {self.fmt(zxid)}: dropped {len(dropped)} uncommitted txns "
                f"{self.fmt(dropped[0].zxid)}..{self.fmt(dropped[-1].zxid)}",
            )

    def install_snapshot(self, snapshot: Snapshot) -> None:
        try:
            self.app.restore(snapshot.state)
        except Exception as exc:  # the leader's bytes: a remote fault, not ours
            raise RemoteProtocolError(f"SNAP state unreadable: {exc}") from None
        self.history.install(snapshot)
        self.committed = snapshot.zxid
        self.applied_since_snapshot = 0
        self.out.append(InstallSnapshot(snapshot))

    def current_snapshot(self) -> Snapshot:
        """The application state at our last committed zxid, with its history's runs."""
        runs = [[e, n] for e, n in self.history.runs]
        runs_truncate(runs, self.committed)
        return Snapshot(self.committed, freeze_runs(runs), self.app.snapshot())

    def deliver_upto(self, zxid: int) -> None:
        """Apply every txn up to ``zxid`` (all committed) to the application, in order."""
        if zxid <= self.committed:
            return
        for txn in self.history.txns_between(self.committed, zxid):
            result = self.app.apply(txn)
            self.out.append(Deliver(txn, result))
            if txn.origin == self.sid and txn.request_id in self.pending_writes:
                self.pending_writes.discard(txn.request_id)
                self.out.append(WriteResult(txn.request_id, txn.zxid, result))
            self.applied_since_snapshot += 1
        self.committed = zxid
        if self.applied_since_snapshot >= self.tunables.snapshot_every:
            self._take_snapshot()

    def _take_snapshot(self) -> None:
        snapshot = self.current_snapshot()
        previous = self.history.snapshot_zxid
        self.history.compact(previous)
        self.history.snapshot_zxid = snapshot.zxid
        self.applied_since_snapshot = 0
        self.out.append(WriteSnapshot(snapshot, drop_log_through=previous))
        self.note("info", f"snapshot at {self.fmt(snapshot.zxid)}")
