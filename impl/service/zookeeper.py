"""The ZooKeeper server of one zabmc server, sans-IO: client connections, sessions, watches
and request ordering on top of the replicated application (ZooKeeper's ``ZooKeeperServer``,
``ServerCnxn`` and request processors, without threads).

Events go in (:class:`ClientConnected`, :class:`ClientData`, :class:`ClientClosed` from the
client port; :class:`Committed`, :class:`WriteDone`, :class:`LeaderNote` from the ZAB core;
:class:`ModeChanged` and :class:`Tick` from the adapter), effects come out
(:class:`SendToClient`, :class:`CloseClient`, :class:`SubmitWrite`, :class:`TellLeader`,
:class:`Log`). The adapter carries the effects out in order.

Ordering: each connection's replies go out in request order. A read waits behind the
connection's earlier writes and is answered once they are applied here, so a client reads its
own writes; watch events go out when the txn that fires them is applied, hence before the
reply to any later read. Writes are submitted to the core at once (the leader orders them
FIFO per server).

Sessions: creation, close and expiry are txns. Every server tells the leader which sessions
it heard from (``TellLeader``, every tick); the leader expires a session silent past its
timeout with a close txn, which deletes its ephemeral nodes everywhere.
"""

from __future__ import annotations

import hashlib
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from impl.core.errors import RemoteProtocolError
from impl.core.messages import Txn
from impl.core.switches import NONE, STALE_LEADER_READS, Switches
from impl.framing import NEED_DATA
from impl.jute.records import (
    SYNC_CONNECTED,
    AuthPacket,
    ConnectResponse,
    EmptyResponse,
    ErrorResult,
    GetACLResponse,
    GetChildren2Response,
    GetChildrenResponse,
    GetDataResponse,
    Id,
    MultiResponse,
    OpCode,
    StatResponse,
    SyncResponse,
    Xid,
)
from impl.service import acl, containers, local_requests
from impl.service.application import WRITES, ZooKeeperApplication
from impl.service.auth import authenticate, connection_ids
from impl.service.connection import (
    ClientConnection,
    ConnectRequested,
    FourLetterWord,
    RequestReceived,
)
from impl.service.errors import Code, ZooKeeperError
from impl.service.fourletter import ClientFacts, ServerFacts, render
from impl.service.txns import (
    HEAD,
    REVALIDATE_SESSION,
    CloseSessionTxn,
    CreateSessionTxn,
    Outcome,
    RevalidateSessionTxn,
    SessionTouches,
    identified_payload,
    payload,
)
from impl.service.watches import WatchTable

# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientConnected:
    conn: int
    address: str


@dataclass(frozen=True, slots=True)
class ClientData:
    conn: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ClientClosed:
    conn: int


@dataclass(frozen=True, slots=True)
class Committed:
    """The core applied ``txn`` here (its ``Deliver``); ``result`` is the :class:`Outcome`."""

    txn: Txn
    result: bytes


@dataclass(frozen=True, slots=True)
class WriteDone:
    """The core's ``WriteResult`` for a write this server submitted."""

    request_id: int
    zxid: int | None
    result: bytes
    error: str | None


@dataclass(frozen=True, slots=True)
class LeaderNote:
    """At the leader: a server's :class:`SessionTouches` (the core's ``NoteReceived``)."""

    sid: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class ModeChanged:
    mode: str
    """leader, follower, observer, or looking (not serving clients)."""


@dataclass(frozen=True, slots=True)
class Tick:
    """Every ``tick_ms``: notes to the leader, expiry (leading), silent connections."""


ServerEvent = (
    ClientConnected | ClientData | ClientClosed | Committed | WriteDone | LeaderNote | ModeChanged
) | Tick

# --- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendToClient:
    conn: int
    data: bytes


@dataclass(frozen=True, slots=True)
class CloseClient:
    """Close the connection once what was sent before is flushed."""

    conn: int


@dataclass(frozen=True, slots=True)
class SubmitWrite:
    """Feed the core ``WriteSubmitted(request_id, payload)``."""

    request_id: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class TellLeader:
    """Feed the core ``NoteToLeader(payload)``."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Log:
    level: str
    text: str


ServerEffect = SendToClient | CloseClient | SubmitWrite | TellLeader | Log


@dataclass(frozen=True, slots=True)
class Limits:
    min_session_timeout_ms: int = 1_000
    max_session_timeout_ms: int = 60_000
    tick_ms: int = 100
    container_check_ms: int = 60_000
    """How often the leader reaps empty containers and expired TTL nodes."""
    super_digest: str = ""
    """``super:<digest>`` (``impl.service.auth.digest`` of ``super:<password>``): who adds that
    digest passes every ACL (ZooKeeper's ``DigestAuthenticationProvider.superDigest``)."""


# --- per-connection state ----------------------------------------------------------------------

_HANDSHAKE = -100
"""``Pending.opcode`` of a connect waiting for its session txn."""


@dataclass(slots=True)
class Pending:
    """A request of one connection, in arrival order; ``reply`` is set once it is answered."""

    xid: int
    opcode: int
    record: Any
    received_ms: int
    reply: bytes | None = None
    ids: tuple[Id, ...] = ()
    """The connection's identities when the request came (a read's ACL checks use them)."""


@dataclass(slots=True)
class Conn:
    cid: int
    address: str
    protocol: ClientConnection = field(default_factory=ClientConnection)
    session_id: int = 0
    timeout_ms: int = 0
    last_heard_ms: int = 0
    ids: tuple[Id, ...] = ()
    """Identities: ``ip`` of the peer, and what ``addauth`` added."""
    queue: deque[Pending] = field(default_factory=deque)
    closing: bool = False
    received: int = 0
    sent: int = 0


_PASSWORD_KEY = struct.Struct(">q")
_SESSION_TXNS = frozenset({OpCode.CREATE_SESSION, OpCode.CLOSE_SESSION})
_EXPIRED = ConnectResponse(0, 0, 0, bytes(16), False)


class ZooKeeperServer:
    def __init__(
        self,
        sid: int,
        app: ZooKeeperApplication,
        *,
        secret: bytes,
        new_request_id: Callable[[], int],
        now_ms: int,
        limits: Limits | None = None,
        environment: tuple[tuple[str, str], ...] = (),
        switches: Switches = NONE,
    ) -> None:
        """``secret`` keys the session passwords; ``new_request_id`` gives ids for the core's
        writes that no other writer at this server uses; ``now_ms`` seeds session ids;
        ``environment`` is what ``envi`` reports about the host; ``switches`` are bug
        switches (``impl.core.switches``; none normally)."""
        self.sid = sid
        self.app = app
        self.secret = secret
        self.new_request_id = new_request_id
        self.limits = limits or Limits()
        self.environment = environment
        self.switches = switches
        self.led_last = False
        """Whether the last mode other than looking was leader."""
        self.now_ms = now_ms
        self.mode = "looking"
        self.conns: dict[int, Conn] = {}
        self.session_conns: dict[int, int] = {}
        self.watches = WatchTable()
        self.writes: dict[int, tuple[int, Pending]] = {}
        """Request id -> (connection, its pending request) of writes in flight."""
        self.expiring: dict[int, int] = {}
        """Request id -> session, of expiry txns in flight (leading)."""
        self.deadlines: dict[int, int] = {}
        """Leading: session -> when it expires unless some server hears from it."""
        self.touched: set[int] = set()
        self.next_reap_ms = now_ms + self.limits.container_check_ms
        # ZooKeeper's session ids: the server id in the top byte, then the clock, then a count
        # (a signed long, as on the wire)
        first = ((sid & 0xFF) << 56) | (((now_ms << 24) & ((1 << 64) - 1)) >> 8)
        self.next_session_id = first - (1 << 64) if first >= 1 << 63 else first
        self.received = self.sent = 0
        self.latency = [0, 0, 0, 0]  # count, total, min, max (ms)
        self.out: list[ServerEffect] = []

    # --- the interface -----------------------------------------------------------------------

    def handle(self, event: ServerEvent, now_ms: int) -> list[ServerEffect]:
        self.now_ms = now_ms
        match event:
            case ClientData():
                self._on_data(event)
            case Committed():
                self._on_committed(event)
            case WriteDone():
                self._on_write_done(event)
            case ClientConnected(conn, address):
                self.conns[conn] = Conn(
                    conn, address, last_heard_ms=now_ms, ids=connection_ids(address)
                )
            case ClientClosed(conn):
                self._forget(conn)
            case LeaderNote():
                self._on_leader_note(event)
            case ModeChanged(mode):
                self._on_mode(mode)
            case Tick():
                self._on_tick()
            case _:
                raise TypeError(f"not a server event: {event!r}")
        out, self.out = self.out, []
        return out

    def facts(self) -> ServerFacts:
        count, total, low, high = self.latency
        return ServerFacts(
            sid=self.sid,
            mode=self.mode,
            zxid=self.app.last_zxid,
            node_count=len(self.app.tree.nodes),
            ephemerals=self.app.tree.ephemeral_count(),
            watches=self.watches.count(),
            sessions=len(self.app.sessions),
            clients=tuple(
                ClientFacts(c.address, c.session_id, len(c.queue), c.received, c.sent)
                for c in self.conns.values()
            ),
            received=self.received,
            sent=self.sent,
            outstanding=len(self.writes),
            latency_ms=(low, total / count if count else 0.0, high),
            environment=self.environment,
        )

    # --- client bytes ------------------------------------------------------------------------

    def _on_data(self, event: ClientData) -> None:
        c = self.conns.get(event.conn)
        if c is None or c.closing:
            return
        c.protocol.receive_data(event.data)
        self._pump(c)

    def _pump(self, c: Conn) -> None:
        """Handle what the connection has buffered; while its session is being set up, leave
        the rest in the buffer (as ZooKeeper stops reading the socket)."""
        while not c.closing and not (c.queue and c.queue[0].opcode == _HANDSHAKE):
            try:
                ev = c.protocol.next_event()
            except RemoteProtocolError as exc:
                self._close(c, f"closing the connection from {c.address}: {exc}", "warning")
                return
            if ev is NEED_DATA:
                return
            c.received += 1
            self.received += 1
            c.last_heard_ms = self.now_ms
            if c.session_id:
                self.touched.add(c.session_id)
            if type(ev) is RequestReceived:
                self._on_request(c, ev)
            elif type(ev) is ConnectRequested:
                self._on_connect(c, ev)
            else:
                assert isinstance(ev, FourLetterWord)
                self._send(c, render(ev.word, self.facts()).encode())
                self._close(c)

    def _on_connect(self, c: Conn, ev: ConnectRequested) -> None:
        r = ev.request
        if self.mode == "looking":
            self._close(c, f"refusing {c.address}: not serving (no leader)", "info")
            return
        if r.last_zxid_seen > self.app.last_zxid:
            self._close(
                c,
                f"refusing {c.address}: it has seen zxid 0x{r.last_zxid_seen:x}, ours is "
                f"0x{self.app.last_zxid:x}; it will try another server",
                "info",
            )
            return
        lim = self.limits
        timeout = min(max(r.timeout, lim.min_session_timeout_ms), lim.max_session_timeout_ms)
        pending = Pending(0, _HANDSHAKE, None, self.now_ms)
        c.queue.append(pending)
        if r.session_id == 0:
            session_id = self.next_session_id
            self.next_session_id += 1
            body = CreateSessionTxn(timeout, self._password(session_id)).serialize()
            self._submit(c, pending, payload(session_id, OpCode.CREATE_SESSION, body))
            c.session_id = session_id
            return
        c.session_id = r.session_id
        known = self.app.sessions.get(r.session_id)
        if known is None:  # not applied here yet, or gone: ask in zxid order
            body = RevalidateSessionTxn(r.password or b"").serialize()
            self._submit(c, pending, payload(r.session_id, REVALIDATE_SESSION, body))
        elif known.password == r.password:
            self._accept(c, pending)
        else:
            self._refuse_session(c, pending, "wrong password")

    def _accept(self, c: Conn, pending: Pending) -> None:
        session = self.app.sessions.get(c.session_id)
        if session is None:
            self._refuse_session(c, pending, "closed meanwhile")
            return
        c.timeout_ms = session.timeout
        old = self.session_conns.get(c.session_id)
        if old is not None and old != c.cid and old in self.conns:
            self._close(self.conns[old], f"session 0x{c.session_id:x} moved to a new connection")
        self.session_conns[c.session_id] = c.cid
        self.touched.add(c.session_id)
        response = ConnectResponse(0, session.timeout, c.session_id, session.password, False)
        pending.reply = c.protocol.connect_response_bytes(response)
        self._flush(c)
        self._pump(c)

    def _refuse_session(self, c: Conn, pending: Pending, why: str) -> None:
        self.log("info", f"session 0x{c.session_id:x} of {c.address} is not valid: {why}")
        c.session_id = 0
        pending.reply = c.protocol.connect_response_bytes(_EXPIRED)
        self._flush(c)
        self._close(c)

    def _password(self, session_id: int) -> bytes:
        return hashlib.sha256(self.secret + _PASSWORD_KEY.pack(session_id)).digest()[:16]

    # --- requests ----------------------------------------------------------------------------

    def _on_request(self, c: Conn, ev: RequestReceived) -> None:
        op = ev.opcode
        if op == OpCode.PING:
            self._send(c, c.protocol.reply_bytes(Xid.PING, self.app.last_zxid, 0))
            return
        if op == OpCode.AUTH:
            self._on_auth(c, ev.record)
            return
        pending = Pending(ev.xid, op, ev.record, self.now_ms, ids=c.ids)
        c.queue.append(pending)
        stale_leader = self.switches.on(STALE_LEADER_READS) and self.led_last
        if op == OpCode.SYNC and stale_leader:  # planted bug: sync answered from its own state
            body = SyncResponse(ev.record.path).serialize()
            pending.reply = c.protocol.reply_bytes(ev.xid, self.app.last_zxid, 0, body)
            self._flush(c)
        elif op in WRITES and stale_leader and self.mode == "looking":
            # planted bug: a stale leader serves on as a read-only server
            pending.reply = c.protocol.reply_bytes(ev.xid, 0, Code.NOT_READ_ONLY, b"")
            self._flush(c)
        elif op in WRITES:
            self._submit(c, pending, identified_payload(c.session_id, op, c.ids, ev.body))
        elif op == OpCode.CLOSE_SESSION:
            c.closing = True
            self._submit(c, pending, payload(c.session_id, op, ev.body))
        elif len(c.queue) == 1:
            self._flush(c)

    def _on_auth(self, c: Conn, packet: AuthPacket) -> None:
        """``addauth``: answered at once (not in order with the queue, as in ZooKeeper); a
        failure is answered ``AUTH_FAILED`` and ends the connection."""
        ids = authenticate(packet.scheme, packet.auth, c.ids, self.limits.super_digest)
        if ids is None:
            self._send(c, c.protocol.reply_bytes(Xid.AUTH, 0, Code.AUTH_FAILED))
            self._close(c, f"authentication of {c.address} failed (scheme {packet.scheme!r})")
            return
        c.ids = ids
        self._send(c, c.protocol.reply_bytes(Xid.AUTH, 0, 0))

    def _submit(self, c: Conn, pending: Pending, body: bytes) -> None:
        request_id = self.new_request_id()
        self.writes[request_id] = (c.cid, pending)
        self.out.append(SubmitWrite(request_id, body))

    def _read(self, c: Conn, p: Pending) -> bytes:
        """The reply to a read, from the tree as it is now; sets the watch it asks for."""
        if p.opcode in local_requests.ANSWERED:
            return self._answer_locally(c, p)
        err, body = Code.OK, b""
        try:
            if p.record is None:
                raise ZooKeeperError(Code.UNIMPLEMENTED, f"opcode {p.opcode}")
            if p.opcode == OpCode.MULTI_READ:
                body = self._multi_read(c, p.record.ops, p.ids).serialize()
            else:
                body = self._read_one(c, p.opcode, p.record, p.ids).serialize()
        except ZooKeeperError as exc:
            err = exc.code
        return c.protocol.reply_bytes(p.xid, self.app.last_zxid, err, body)

    def _multi_read(self, c: Conn, ops: tuple[Any, ...], ids: tuple[Id, ...]) -> MultiResponse:
        """``multiRead``: each read on its own, a failed one an ``ErrorResult`` in its place."""
        results: list[tuple[int, Any]] = []
        for op in ops:
            try:
                results.append((op.type, self._read_one(c, op.type, op, ids)))
            except ZooKeeperError as exc:
                results.append((OpCode.ERROR, ErrorResult(exc.code)))
        return MultiResponse(tuple(results))

    def _read_one(self, c: Conn, opcode: int, r: Any, ids: tuple[Id, ...]) -> Any:
        """The response record of one read; raises :class:`ZooKeeperError`."""
        tree, path = self.app.tree, r.path
        if opcode == OpCode.EXISTS:
            if r.watch:
                self.watches.watch_data(path, c.cid)
            return StatResponse(tree.node(path).stat())
        node = tree.node(path)
        if opcode == OpCode.GET_ACL:
            acl.check(node.acl, acl.READ | acl.ADMIN, ids, path)
            try:
                acl.check(node.acl, acl.ADMIN, ids, path)
                shown = node.acl
            except ZooKeeperError:
                shown = acl.redact(node.acl)
            return GetACLResponse(shown, node.stat())
        acl.check(node.acl, acl.READ, ids, path)
        if opcode == OpCode.CHECK:  # a check outside a multi is a read (ZooKeeper 3.9's)
            if r.version not in (-1, node.version):
                raise ZooKeeperError(Code.BAD_VERSION, path)
            return EmptyResponse()
        if opcode == OpCode.GET_DATA:
            if r.watch:
                self.watches.watch_data(path, c.cid)
            return GetDataResponse(node.data, node.stat())
        if r.watch:
            self.watches.watch_children(path, c.cid)
        children = tuple(sorted(node.children))
        if opcode == OpCode.GET_CHILDREN:
            return GetChildrenResponse(children)
        return GetChildren2Response(children, node.stat())

    def _answer_locally(self, c: Conn, p: Pending) -> bytes:
        """The reply to a request of :mod:`impl.service.local_requests`; events it fires go
        out before it."""

        def notify(event_type: int, path: str) -> None:
            zxid = self.app.last_zxid
            self._send(c, c.protocol.watch_event_bytes(event_type, SYNC_CONNECTED, path, zxid))

        err, body = Code.OK, b""
        try:
            body = local_requests.answer(
                p.opcode,
                p.record,
                tree=self.app.tree,
                watches=self.watches,
                conn=c.cid,
                session_id=c.session_id,
                ids=p.ids,
                notify=notify,
            )
        except ZooKeeperError as exc:
            err = exc.code
        return c.protocol.reply_bytes(p.xid, self.app.last_zxid, err, body)

    def _flush(self, c: Conn) -> None:
        """Send the replies at the head of the queue that are ready; answer reads there."""
        queue = c.queue
        while queue:
            head = queue[0]
            if head.reply is None:
                if head.opcode in WRITES or head.opcode in (OpCode.CLOSE_SESSION, _HANDSHAKE):
                    return
                head.reply = self._read(c, head)
            queue.popleft()
            self._send(c, head.reply)
            self._count_latency(head.received_ms)
            if head.opcode == OpCode.CLOSE_SESSION:
                self._close(c)
                return

    def _count_latency(self, since: int) -> None:
        ms = max(0, self.now_ms - since)
        s = self.latency
        s[2] = ms if s[0] == 0 else min(s[2], ms)
        s[3] = max(s[3], ms)
        s[0] += 1
        s[1] += ms

    # --- from the core -----------------------------------------------------------------------

    def _on_committed(self, e: Committed) -> None:
        session_id, opcode = HEAD.unpack_from(e.txn.payload)
        if opcode not in _SESSION_TXNS and self.watches.empty():
            return  # nobody here to notify: the outcome need not be read
        outcome, _ = Outcome.deserialize(e.result)
        zxid = e.txn.zxid
        for event_type, path in outcome.fired:
            for cid in self.watches.fire(event_type, path):
                c = self.conns.get(cid)
                if c is not None and not c.closing:
                    data = c.protocol.watch_event_bytes(event_type, SYNC_CONNECTED, path, zxid)
                    self._send(c, data)
        if outcome.err:
            return
        if opcode == OpCode.CREATE_SESSION and self.mode == "leader":
            timeout = self.app.sessions[session_id].timeout
            self.deadlines[session_id] = self.now_ms + timeout
        elif opcode == OpCode.CLOSE_SESSION:
            self.deadlines.pop(session_id, None)
            cid = self.session_conns.get(session_id)
            c = self.conns.get(cid) if cid is not None else None
            if c is not None and not c.closing:  # expired, not closed by its client
                self._close(c, f"session 0x{session_id:x} of {c.address} expired", "info")

    def _on_write_done(self, e: WriteDone) -> None:
        if e.request_id in self.expiring:
            session_id = self.expiring.pop(e.request_id)
            if e.zxid is None:
                self.log("warning", f"expiring session 0x{session_id:x} failed: {e.error}")
            return
        entry = self.writes.pop(e.request_id, None)
        if entry is None:
            return
        cid, pending = entry
        c = self.conns.get(cid)
        if c is None:
            return
        # the mode change comes next
        read_only = self.switches.on(STALE_LEADER_READS) and self.led_last
        if e.zxid is None and read_only and pending.opcode != _HANDSHAKE:
            # planted bug: the stale leader keeps its client (the outcome stays unknown)
            pending.reply = c.protocol.reply_bytes(pending.xid, 0, Code.CONNECTION_LOSS, b"")
            self._flush(c)
            return
        if e.zxid is None:  # not committed, or outcome unknown: the client must reconnect
            self._close(c, f"write of {c.address} not done ({e.error}); closing", "info")
            return
        outcome, _ = Outcome.deserialize(e.result)
        if pending.opcode == _HANDSHAKE:
            if outcome.err:
                self._refuse_session(c, pending, Code(outcome.err).name)
                return
            self._accept(c, pending)
            return
        pending.reply = c.protocol.reply_bytes(pending.xid, e.zxid, outcome.err, outcome.reply)
        self._flush(c)

    def _on_leader_note(self, e: LeaderNote) -> None:
        if self.mode != "leader":
            return
        touches, _ = SessionTouches.deserialize(e.payload)
        sessions = self.app.sessions
        for session_id in touches.sessions:
            known = sessions.get(session_id)
            if known is not None:
                self.deadlines[session_id] = self.now_ms + known.timeout

    def _on_mode(self, mode: str) -> None:
        before, self.mode = self.mode, mode
        if mode == before:
            return
        self.log("info", f"serving clients as {mode}" if mode != "looking" else "not serving")
        if mode != "looking":
            self.led_last = mode == "leader"
        self.deadlines.clear()
        if mode == "leader":  # every session gets a full timeout under the new leader
            for session_id, session in self.app.sessions.items():
                self.deadlines[session_id] = self.now_ms + session.timeout
        if mode == "looking" and not (self.switches.on(STALE_LEADER_READS) and self.led_last):
            # clients reconnect to a server that has a leader (the planted bug keeps them)
            for c in list(self.conns.values()):
                self._close(c, f"closing {c.address}: this server is now {mode}", "info")

    def _on_tick(self) -> None:
        now = self.now_ms
        if self.touched and self.mode != "looking":
            touches = SessionTouches(tuple(sorted(self.touched)))
            self.out.append(TellLeader(touches.serialize()))
            self.touched.clear()
        if self.mode == "leader" and now >= self.next_reap_ms:
            self.next_reap_ms = now + self.limits.container_check_ms
            for body in containers.reap_payloads(self.app.tree, now):
                self.out.append(SubmitWrite(self.new_request_id(), body))
        if self.mode == "leader":
            in_flight = set(self.expiring.values())
            for session_id, deadline in sorted(self.deadlines.items()):
                if deadline < now and session_id not in in_flight:
                    self.log("info", f"session 0x{session_id:x} expired; closing it")
                    request_id = self.new_request_id()
                    self.expiring[request_id] = session_id
                    body = CloseSessionTxn().serialize()
                    self.out.append(
                        SubmitWrite(request_id, payload(session_id, OpCode.CLOSE_SESSION, body))
                    )
        for c in list(self.conns.values()):
            silent = now - c.last_heard_ms
            if c.closing:
                continue
            if c.timeout_ms and silent > c.timeout_ms:
                self._close(c, f"no word from {c.address} for {silent} ms", "info")
            elif c.timeout_ms and c.session_id not in self.app.sessions and not c.queue:
                self._close(c, f"session 0x{c.session_id:x} of {c.address} is gone", "info")

    # --- helpers -----------------------------------------------------------------------------

    def _send(self, c: Conn, data: bytes) -> None:
        c.sent += 1
        self.sent += 1
        self.out.append(SendToClient(c.cid, data))

    def _close(self, c: Conn, reason: str | None = None, level: str = "info") -> None:
        if reason:
            self.log(level, reason)
        if c.cid in self.conns:
            self.out.append(CloseClient(c.cid))
        c.closing = True
        self._forget(c.cid)

    def _forget(self, cid: int) -> None:
        c = self.conns.pop(cid, None)
        if c is None:
            return
        c.closing = True
        self.watches.forget(cid)
        if self.session_conns.get(c.session_id) == cid:
            del self.session_conns[c.session_id]

    def log(self, level: str, text: str) -> None:
        self.out.append(Log(level, text))
