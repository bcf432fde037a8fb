"""The protocol core of one server: a pure state machine, events in, effects out (sans-IO).

``ZabPeer.handle(event)`` returns the effects the event causes; the adapters (asyncio server,
simulator) carry them out in order, as ``impl.core.effects`` describes. Every message is
routed by the table :data:`HANDLERS`, keyed by (role, phase, message type); the steps
themselves live in ``election``, ``discovery``, ``sync`` and ``broadcast``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from impl.core import broadcast, discovery, election, sync
from impl.core.application import Application, TxnList
from impl.core.durable import Durable
from impl.core.effects import (
    AppendTxns,
    CancelTimer,
    Deliver,
    Disconnect,
    Effect,
    InstallSnapshot,
    Note,
    Observed,
    ObservedState,
    PersistEpochs,
    Send,
    SetTimer,
    TruncateLog,
    Vote,
    WriteResult,
    WriteSnapshot,
)
from impl.core.election import ElectionState
from impl.core.errors import LocalProtocolError, RemoteProtocolError
from impl.core.events import (
    Event,
    LogSynced,
    MessageReceived,
    NoteToLeader,
    PeerConnected,
    PeerDisconnected,
    Timer,
    TimerFired,
    WriteSubmitted,
)
from impl.core.history import History
from impl.core.messages import (
    Ack,
    AckEpoch,
    AckNewLeader,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    LearnerNote,
    Message,
    NewLeader,
    Notification,
    Ping,
    Proposal,
    Request,
    Snap,
    Snapshot,
    Trunc,
    Txn,
    UpToDate,
)
from impl.core.quorum import Cluster
from impl.core.roles import Phase, Role, Trigger, transition
from impl.core.state import LeaderState, LearnerState
from impl.core.steps import STEPS
from impl.core.switches import STALE_EPOCH, check_mutations
from impl.core.tunables import Tunables
from impl.core.zxid import format_zxid, freeze_runs, runs_truncate

Handler = Callable[["ZabPeer", int, Any], None]

LEARNERS = (Role.FOLLOWING, Role.OBSERVING)
ZAB_PHASES = (Phase.DISCOVERY, Phase.SYNCHRONIZATION, Phase.BROADCAST)


def _ignore(p: ZabPeer, j: int, m: Message) -> None:
    """A race, not a fault: e.g. FOLLOWERINFO reaching a server that follows someone else."""
    p.note("debug", f"ignored {type(m).__name__} from {j} while {p.role.name}")


def _stash_followerinfo(p: ZabPeer, j: int, m: FollowerInfo) -> None:
    """j decided we lead before we did: keep its FOLLOWERINFO for when we do."""
    p.early_info[j] = m


def _learner_ping(p: ZabPeer, j: int, m: Ping) -> None:
    p.send(j, Ping(m.epoch))


def _leader_ping(p: ZabPeer, j: int, m: Ping) -> None:
    """A learner's heartbeat reply: hearing it is all that matters."""


def _table() -> dict[tuple[Role, Phase, type], Handler]:
    table: dict[tuple[Role, Phase, type], Handler] = {}

    def on(roles: Iterable[Role], phases: Iterable[Phase], kind: type, fn: Handler) -> None:
        for role in roles:
            for phase in phases:
                table[role, phase, kind] = fn

    all_roles = (Role.LOOKING, *LEARNERS, Role.LEADING)
    on(all_roles, (Phase.ELECTION, *ZAB_PHASES), Notification, election.fle_receive_notmsg)
    on((Role.LOOKING,), (Phase.ELECTION,), FollowerInfo, _stash_followerinfo)
    on(LEARNERS, ZAB_PHASES, FollowerInfo, _ignore)
    on(LEARNERS, ZAB_PHASES, Ping, _learner_ping)
    on(LEARNERS, (Phase.DISCOVERY,), LeaderInfo, discovery.follower_process_leaderinfo)
    sync_phase = (Phase.SYNCHRONIZATION,)
    for kind in (Diff, Trunc, Snap):
        on(LEARNERS, sync_phase, kind, sync.follower_process_sync_message)
    on(LEARNERS, sync_phase, Proposal, sync.follower_process_proposal_in_sync)
    on(LEARNERS, sync_phase, Commit, sync.follower_process_commit_in_sync)
    on((Role.OBSERVING,), sync_phase, Inform, sync.observer_process_inform_in_sync)
    on(LEARNERS, sync_phase, NewLeader, sync.follower_process_newleader)
    on(LEARNERS, sync_phase, UpToDate, sync.follower_process_uptodate)
    on((Role.FOLLOWING,), (Phase.BROADCAST,), Proposal, broadcast.follower_process_proposal)
    on((Role.FOLLOWING,), (Phase.BROADCAST,), Commit, broadcast.follower_process_commit)
    on((Role.OBSERVING,), (Phase.BROADCAST,), Inform, broadcast.observer_process_inform)
    leading = (Role.LEADING,)
    on(leading, ZAB_PHASES, FollowerInfo, discovery.leader_process_followerinfo)
    on(leading, ZAB_PHASES, AckEpoch, discovery.leader_process_ackepoch)
    on(leading, (Phase.SYNCHRONIZATION, Phase.BROADCAST), AckNewLeader, sync.leader_process_ackld)
    on(leading, (Phase.SYNCHRONIZATION, Phase.BROADCAST), Ack, broadcast.leader_process_ack)
    on(leading, ZAB_PHASES, Request, broadcast.leader_process_request)
    on(leading, (Phase.BROADCAST,), LearnerNote, broadcast.leader_process_note)
    on(leading, ZAB_PHASES, Ping, _leader_ping)
    return table


HANDLERS = _table()
"""(role, phase, message type) -> the step that takes it. Leader-to-learner messages are
checked to come from the current leader in its epoch before their step runs."""

FROM_LEADER = (LeaderInfo, Diff, Trunc, Snap, Proposal, Commit, Inform, NewLeader, UpToDate, Ping)


class ZabPeer:
    """One server's protocol state. Build it from what its disk holds, call :meth:`start`,
    then feed it events; both return the effects to carry out."""

    def __init__(
        self,
        sid: int,
        cluster: Cluster,
        *,
        durable: Durable | None = None,
        app: Application | None = None,
        tunables: Tunables | None = None,
        record: bool = False,
        mutations: frozenset[str] = frozenset(),
    ) -> None:
        """Raises ``ValueError`` if the durable state is not one consistent history, or for
        an unknown bug switch in ``mutations`` (``impl.core.switches``; none normally)."""
        if sid not in cluster.servers:
            raise ValueError(f"server {sid} is not in the cluster {cluster.servers}")
        durable = durable or Durable()
        self.sid = sid
        self.cluster = cluster
        self.tunables = tunables or Tunables()
        self.app: Application = app if app is not None else TxnList()
        self.record = record
        self.mutations = check_mutations(mutations)
        self.role, self.phase = Role.LOOKING, Phase.ELECTION
        self.accepted_epoch = durable.accepted_epoch
        self.current_epoch = durable.current_epoch
        snapshot = durable.snapshot
        self.history = History(snapshot, durable.txns)
        self.app.restore(snapshot.state if snapshot else b"")
        self.committed = snapshot.zxid if snapshot else 0
        self.applied_since_snapshot = 0
        self.election = ElectionState()
        self.connected: set[int] = set()
        self.leader_state: LeaderState | None = None
        self.learner: LearnerState | None = None
        self.early_info: dict[int, FollowerInfo] = {}
        self.next_seq = 0
        self.durable_seq = 0
        self.awaiting_sync: deque[tuple[int, int]] = deque()
        """(append seq, zxid) of txns to ack (or, leading, to count) once on disk."""
        self.pending_writes: set[int] = set()
        self.now_ms = 0
        """The adapter's clock at the latest event (wall-clock ms); the leader stamps txns
        with it. The core never reads a clock: time comes in with the events."""
        self.out: list[Effect] = []

    # --- the interface -----------------------------------------------------------------------

    def start(self) -> list[Effect]:
        """Boot as LOOKING and start an election."""
        self.note(
            "info",
            f"starting: epochs accepted {self.accepted_epoch} current {self.current_epoch}, "
            f"last zxid {self.fmt(self.history.last_zxid)}, committed {self.fmt(self.committed)}",
        )
        election.start(self)
        self.step("NodeStart", self.sid)
        return self._flush()

    def handle(self, event: Event, now_ms: int | None = None) -> list[Effect]:
        """Take one event; ``now_ms`` is the adapter's clock when it happened (if it has one)."""
        if now_ms is not None:
            self.now_ms = now_ms
        if isinstance(event, MessageReceived):
            self._on_message(event.peer, event.message)
        elif isinstance(event, TimerFired):
            self._on_timer(event.timer)
        elif isinstance(event, LogSynced):
            self._on_log_synced(event.seq)
        elif isinstance(event, WriteSubmitted):
            broadcast.submit(self, event)
        elif isinstance(event, NoteToLeader):
            broadcast.note_to_leader(self, event)
        elif isinstance(event, PeerConnected):
            self._on_connected(event.peer)
        elif isinstance(event, PeerDisconnected):
            self._on_disconnected(event.peer)
        else:
            raise LocalProtocolError(f"not an event: {event!r}")
        return self._flush()

    @property
    def leader(self) -> int | None:
        """The leader this server serves under, once in broadcast (itself when leading)."""
        if self.phase != Phase.BROADCAST:
            return None
        return self.sid if self.role == Role.LEADING else self.election.leader

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

    # --- helpers the steps use ------------------------------------------------------------------

    def step(self, name: str, *args: int, msg: Message | None = None) -> None:
        """Record one observable protocol step and the message it took (free when nothing
        records: the message is one the step already holds)."""
        if self.record:
            if name not in STEPS:
                raise LocalProtocolError(f"{name} is not in the vocabulary of steps")
            self.out.append(Observed(name, args, self.sid, self.observed_state(), msg))

    def note(self, level: str, text: str) -> None:
        self.out.append(Note(level, text))

    @staticmethod
    def fmt(zxid: int) -> str:
        return format_zxid(zxid)

    def send(self, peer: int, message: Message) -> None:
        self.out.append(Send(peer, message))

    def disconnect(self, peer: int) -> None:
        self.connected.discard(peer)
        self.out.append(Disconnect(peer))

    def enter(self, trigger: Trigger) -> None:
        before = self.role
        self.role, self.phase = transition(self.role, self.phase, trigger)
        if self.role != before:
            self.note("info", f"{before.name} -> {self.role.name}")

    def persist_epochs(self) -> None:
        self.out.append(PersistEpochs(self.accepted_epoch, self.current_epoch))

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

    def give_up(self, reason: str, *, step: str | None = "ZabTimeout") -> None:
        """Leave the leader or the quorum: back to LOOKING and a new election round."""
        if self.role == Role.LOOKING:
            return
        self.note("warning", f"{self.role.name} gives up: {reason}")
        if self.leader_state is not None:
            for j in list(self.leader_state.learners):
                self.disconnect(j)
        if self.learner is not None:
            self.disconnect(self.learner.leader)
        for request_id in sorted(self.pending_writes):
            self.out.append(WriteResult(request_id, None, error="leader-lost"))
        self.pending_writes.clear()
        self.leader_state = None
        self.learner = None
        self.awaiting_sync.clear()
        self.out.append(CancelTimer(Timer.TICK))
        self.enter(Trigger.GIVE_UP)
        election.start(self)
        if step is not None:
            self.step(step, self.sid)

    def after_election(self) -> None:
        if self.role == Role.LEADING:
            discovery.lead(self)
        else:
            self.early_info.clear()
            discovery.follow(self, self.election.leader)

    # --- event handling ------------------------------------------------------------------------

    def _flush(self) -> list[Effect]:
        out, self.out = self.out, []
        return out

    def _on_message(self, j: int, m: Message) -> None:
        if j == self.sid or j not in self.cluster.servers:
            raise LocalProtocolError(f"message from unknown server {j}")
        handler = HANDLERS.get((self.role, self.phase, type(m)))
        try:
            if handler is None:
                if self.role == Role.LOOKING:
                    _ignore(self, j, m)
                    return
                raise RemoteProtocolError(
                    f"unexpected {type(m).__name__} while {self.role.name}/{self.phase.name}"
                )
            if self.learner is not None and isinstance(m, FROM_LEADER):
                self._check_from_leader(j, m)
            elif self.leader_state is not None and j in self.leader_state.learners:
                self.leader_state.learners[j].silent_ticks = 0
            handler(self, j, m)
        except RemoteProtocolError as exc:
            self._remote_error(j, exc)

    def _check_from_leader(self, j: int, m: Any) -> None:
        learner = self.learner
        assert learner is not None
        if j != learner.leader:
            raise RemoteProtocolError(f"{type(m).__name__} from {j}, who is not our leader")
        # the stale-epoch bug switch comes last: looked up only for a message of another epoch
        if (
            not isinstance(m, LeaderInfo | Ping)
            and m.epoch != learner.epoch
            and not (STALE_EPOCH in self.mutations and isinstance(m, Proposal))
        ):
            raise RemoteProtocolError(
                f"{type(m).__name__} of epoch {m.epoch}, but our leader's epoch is {learner.epoch}"
            )
        learner.silent_ticks = 0

    def _remote_error(self, j: int, exc: RemoteProtocolError) -> None:
        self.note("error", f"protocol error from server {j}: {exc}; closing the connection")
        if self.learner is not None and j == self.learner.leader:
            self.give_up(f"protocol error from leader {j}")
        elif self.leader_state is not None and j in self.leader_state.learners:
            self._drop_learner(j, "protocol error")
        else:
            self.disconnect(j)

    def _on_timer(self, timer: Timer) -> None:
        if timer == Timer.NOTIFY:
            if self.role == Role.LOOKING and not self.election.waiting:
                election.fle_notmsg_timeout(self)
        elif timer == Timer.FINALIZE:
            election.finalize(self)
        elif self.role != Role.LOOKING:
            self._tick()

    def _tick(self) -> None:
        t = self.tunables
        self.out.append(SetTimer(Timer.TICK, t.tick_ms))
        if self.learner is not None:
            self.learner.silent_ticks += 1
            limit = t.sync_limit if self.phase == Phase.BROADCAST else t.init_limit
            if self.learner.silent_ticks > limit:
                self.give_up(f"no word from leader {self.learner.leader} for {limit} ticks")
            return
        ld = self.leader_state
        assert ld is not None
        epoch = ld.new_epoch or 0
        for session in list(ld.learners.values()):
            if self.role != Role.LEADING:
                return
            session.silent_ticks += 1
            limit = t.sync_limit if session.uptodate else t.init_limit
            if session.silent_ticks > limit:
                self._drop_learner(session.sid, f"silent for {limit} ticks")
            else:
                self.send(session.sid, Ping(epoch))
        if self.role != Role.LEADING:
            return
        ld.ticks += 1
        if self.phase != Phase.BROADCAST and ld.ticks > t.init_limit:
            self.give_up(f"no quorum synced within {t.init_limit} ticks")
        else:
            self._check_quorum()

    def _drop_learner(self, j: int, reason: str) -> None:
        ld = self.leader_state
        assert ld is not None
        ld.learners.pop(j, None)
        self.note("warning", f"dropping learner {j}: {reason}")
        self.disconnect(j)
        self._check_quorum()

    def _check_quorum(self) -> None:
        """A leader in broadcast needs a quorum of voters synced with it, itself included."""
        ld = self.leader_state
        if ld is None or self.phase != Phase.BROADCAST:
            return
        synced = {self.sid} | {s.sid for s in ld.learners.values() if s.synced}
        if not self.cluster.is_quorum(synced):
            self.give_up(f"lost the quorum (synced: {sorted(synced)})")

    def _on_log_synced(self, seq: int) -> None:
        self.durable_seq = max(self.durable_seq, seq)
        ready: list[int] = []
        while self.awaiting_sync and self.awaiting_sync[0][0] <= seq:
            ready.append(self.awaiting_sync.popleft()[1])
        if self.role == Role.LEADING:
            for zxid in ready:
                broadcast.leader_own_ack(self, zxid)
            if self.phase == Phase.SYNCHRONIZATION:
                sync.newleader_quorum_check(self)
        elif self.learner is not None:
            if ready and self.role == Role.FOLLOWING:
                epoch = self.learner.epoch or 0
                for zxid in ready:
                    self.send(self.learner.leader, Ack(epoch, zxid))
                self.step("FollowerSyncProcessorLogRequest", self.sid)
            sync.complete_newleader_if_durable(self)

    def _on_connected(self, j: int) -> None:
        self.connected.add(j)
        if self.role == Role.LOOKING and self.cluster.is_voter(j):
            self.send(j, election.notification(self))
        elif self.learner is not None and j == self.learner.leader and not self.learner.sent_info:
            discovery.connect_and_send_followerinfo(self)

    def _on_disconnected(self, j: int) -> None:
        self.connected.discard(j)
        self.early_info.pop(j, None)
        if self.learner is not None and j == self.learner.leader:
            self.give_up(f"lost the connection to leader {j}")
        elif self.leader_state is not None and j in self.leader_state.learners:
            self._drop_learner(j, "connection lost")

    def _take_snapshot(self) -> None:
        snapshot = self.current_snapshot()
        previous = self.history.snapshot_zxid
        self.history.compact(previous)
        self.history.snapshot_zxid = snapshot.zxid
        self.applied_since_snapshot = 0
        self.out.append(WriteSnapshot(snapshot, drop_log_through=previous))
        self.note("info", f"snapshot at {self.fmt(snapshot.zxid)}")
