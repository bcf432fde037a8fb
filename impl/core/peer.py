"""The protocol core of one server: a pure state machine, events in, effects out (sans-IO).

``ZabPeer.handle(event)`` returns the effects the event causes; the adapters (asyncio server,
simulator) carry them out in order, as ``impl.core.effects`` describes. The peer owns the
server's :class:`~impl.core.context.Context` and routes each event to its step: a message by
the table ``routes.HANDLERS``, keyed by (role, phase, message type); after the step it runs
the entry of each phase the step entered (``routes.ENTRY``). The steps
themselves live in ``election``, ``discovery``, ``sync``, ``broadcast`` and ``liveness``.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from impl.core import broadcast, election, liveness, routes
from impl.core.application import Application, TxnList
from impl.core.context import Context
from impl.core.durable import Durable
from impl.core.effects import Effect, ObservedState
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
    LeaderInfo,
    Message,
    Ping,
    Proposal,
)
from impl.core.quorum import Cluster
from impl.core.roles import Phase, Role
from impl.core.state import ElectionState, LeaderState, LearnerState
from impl.core.switches import NONE, STALE_EPOCH, Switches, check_switches
from impl.core.tunables import Tunables


def _view(name: str) -> Any:
    """A read-only property showing the context's field ``name``."""
    return property(attrgetter(f"ctx.{name}"), doc=f"The context's ``{name}`` (read-only).")


class ZabPeer:
    """One server's protocol core. Build it from what its disk holds, call :meth:`start`, then
    feed it events; both return the effects to carry out."""

    def __init__(
        self,
        sid: int,
        cluster: Cluster,
        *,
        durable: Durable | None = None,
        app: Application | None = None,
        tunables: Tunables | None = None,
        record: bool = False,
        switches: Iterable[str] = NONE,
    ) -> None:
        """Raises ``ValueError`` if the durable state is not one consistent history, or for
        an unknown bug switch in ``switches`` (``impl.core.switches``; none normally)."""
        if sid not in cluster.servers:
            raise ValueError(f"server {sid} is not in the cluster {cluster.servers}")
        durable = durable or Durable()
        snapshot = durable.snapshot
        history = History(snapshot, durable.txns)
        app = app if app is not None else TxnList()
        app.restore(snapshot.state if snapshot else b"")
        self.ctx = Context(
            sid,
            cluster,
            tunables or Tunables(),
            app,
            record,
            switches if isinstance(switches, Switches) else check_switches(frozenset(switches)),
            history,
            durable.accepted_epoch,
            durable.current_epoch,
            committed=snapshot.zxid if snapshot else 0,
        )

    # --- the interface -----------------------------------------------------------------------

    def start(self) -> list[Effect]:
        """Boot as LOOKING and start an election."""
        c = self.ctx
        c.note(
            "info",
            f"starting: epochs accepted {c.accepted_epoch} current {c.current_epoch}, "
            f"last zxid {c.fmt(c.history.last_zxid)}, committed {c.fmt(c.committed)}",
        )
        election.start(c)
        c.step("NodeStart", c.sid)
        return self._flush()

    def handle(self, event: Event, now_ms: int | None = None) -> list[Effect]:
        """Take one event; ``now_ms`` is the adapter's clock when it happened (if it has one)."""
        c = self.ctx
        if now_ms is not None:
            c.now_ms = now_ms
        if isinstance(event, MessageReceived):
            self._on_message(event.peer, event.message)
        elif isinstance(event, TimerFired):
            self._on_timer(event.timer)
        elif isinstance(event, LogSynced):
            broadcast.log_synced(c, event.seq)
        elif isinstance(event, WriteSubmitted):
            broadcast.submit(c, event)
        elif isinstance(event, NoteToLeader):
            broadcast.note_to_leader(c, event)
        elif isinstance(event, PeerConnected):
            liveness.connected(c, event.peer)
        elif isinstance(event, PeerDisconnected):
            liveness.disconnected(c, event.peer)
        else:
            raise LocalProtocolError(f"not an event: {event!r}")
        return self._flush()

    # --- what the adapters read ----------------------------------------------------------------

    @property
    def leader(self) -> int | None:
        """The leader this server serves under, once in broadcast (itself when leading)."""
        c = self.ctx
        if c.phase != Phase.BROADCAST:
            return None
        return c.sid if c.role == Role.LEADING else c.election.leader

    def observed_state(self) -> ObservedState:
        return self.ctx.observed_state()

    # Read-only views of the context, for the adapters and the tests (steps use the context).
    sid: int = _view("sid")
    role: Role = _view("role")
    phase: Phase = _view("phase")
    app: Application = _view("app")
    history: History = _view("history")
    committed: int = _view("committed")
    accepted_epoch: int = _view("accepted_epoch")
    current_epoch: int = _view("current_epoch")
    election: ElectionState = _view("election")
    leader_state: LeaderState | None = _view("leader_state")
    learner: LearnerState | None = _view("learner")

    # --- routing -------------------------------------------------------------------------------

    def _flush(self) -> list[Effect]:
        """Run the entry of every phase entered, then hand over the outbox."""
        c = self.ctx
        while c.entered:
            entry = routes.ENTRY.get(c.entered.pop(0))
            if entry is not None:
                entry(c)
        out, c.out = c.out, []
        return out

    def _on_message(self, j: int, m: Message) -> None:
        c = self.ctx
        if j == c.sid or j not in c.cluster.servers:
            raise LocalProtocolError(f"message from unknown server {j}")
        handler = routes.HANDLERS.get((c.role, c.phase, type(m)))
        try:
            if handler is None:
                if c.role == Role.LOOKING:
                    routes.ignore(c, j, m)
                    return
                raise RemoteProtocolError(
                    f"unexpected {type(m).__name__} while {c.role.name}/{c.phase.name}"
                )
            if c.learner is not None and isinstance(m, routes.FROM_LEADER):
                self._check_from_leader(j, m)
            elif c.leader_state is not None and j in c.leader_state.learners:
                c.leader_state.learners[j].silent_ticks = 0
            handler(c, j, m)
        except RemoteProtocolError as exc:
            self._remote_error(j, exc)

    def _check_from_leader(self, j: int, m: Any) -> None:
        c = self.ctx
        learner = c.learner
        assert learner is not None
        if j != learner.leader:
            raise RemoteProtocolError(f"{type(m).__name__} from {j}, who is not our leader")
        # the stale-epoch bug switch comes last: looked up only for a message of another epoch
        if (
            not isinstance(m, LeaderInfo | Ping)
            and m.epoch != learner.epoch
            and not (c.switches.on(STALE_EPOCH) and isinstance(m, Proposal))
        ):
            raise RemoteProtocolError(
                f"{type(m).__name__} of epoch {m.epoch}, but our leader's epoch is {learner.epoch}"
            )
        learner.silent_ticks = 0

    def _remote_error(self, j: int, exc: RemoteProtocolError) -> None:
        """The peer broke the protocol (h11's remote error): end the session with it."""
        c = self.ctx
        c.note("error", f"protocol error from server {j}: {exc}; closing the connection")
        if c.learner is not None and j == c.learner.leader:
            election.give_up(c, f"protocol error from leader {j}")
        elif c.leader_state is not None and j in c.leader_state.learners:
            liveness.drop_learner(c, j, "protocol error")
        else:
            c.disconnect(j)

    def _on_timer(self, timer: Timer) -> None:
        c = self.ctx
        if timer == Timer.NOTIFY:
            if c.role == Role.LOOKING and not c.election.waiting:
                election.fle_notmsg_timeout(c)
        elif timer == Timer.FINALIZE:
            election.finalize(c)
        elif c.role != Role.LOOKING:
            liveness.tick(c)
