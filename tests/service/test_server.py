"""The sans-IO ZooKeeper server driven directly (h11's test style), with kazoo's encoders as
the client and an in-memory stand-in for the ZAB core that commits writes when told."""

from __future__ import annotations

import itertools
from collections import defaultdict, deque

from kazoo.protocol import serialization as kz
from kazoo.security import OPEN_ACL_UNSAFE as OPEN

from impl.core.messages import Txn
from impl.framing import frame
from impl.jute.records import EventType, OpCode
from impl.service.application import ZooKeeperApplication
from impl.service.txns import CloseSessionTxn, SessionTouches, payload
from impl.service.zookeeper import (
    ClientClosed,
    ClientConnected,
    ClientData,
    CloseClient,
    Committed,
    LeaderNote,
    Log,
    ModeChanged,
    SendToClient,
    SubmitWrite,
    TellLeader,
    Tick,
    WriteDone,
    ZooKeeperServer,
)


class Harness:
    """A server, its application, a clock, and what it sent to each connection."""

    def __init__(self, mode: str = "leader") -> None:
        self.app = ZooKeeperApplication()
        self.server = ZooKeeperServer(
            1, self.app, secret=b"k", new_request_id=itertools.count(1).__next__, now_ms=5
        )
        self.now = 1_000
        self.zxid = 0
        self.hold = False
        self.held: list[SubmitWrite] = []
        self.out: dict[int, bytearray] = defaultdict(bytearray)
        self.closed: set[int] = set()
        self.notes: list[bytes] = []
        self.logs: list[str] = []
        self.feed(ModeChanged(mode))

    def feed(self, event) -> None:
        queue = deque([event])
        while queue:
            for effect in self.server.handle(queue.popleft(), self.now):
                match effect:
                    case SendToClient(conn, data):
                        self.out[conn] += data
                    case CloseClient(conn):
                        self.closed.add(conn)
                    case SubmitWrite():
                        if self.hold:
                            self.held.append(effect)
                        else:
                            queue.extend(self.commit(effect))
                    case TellLeader(payload):
                        self.notes.append(payload)
                    case Log(_, text):
                        self.logs.append(text)

    def commit(self, w: SubmitWrite) -> list:
        self.zxid += 1
        txn = Txn(self.zxid, 1, w.request_id, w.payload, self.now)
        result = self.app.apply(txn)
        return [Committed(txn, result), WriteDone(w.request_id, self.zxid, result, None)]

    def release(self) -> None:
        held, self.held, self.hold = self.held, [], False
        for w in held:
            for event in self.commit(w):
                self.feed(event)

    # --- a client, speaking through kazoo's encoders -----------------------------------------

    def connect(self, conn: int, session: int = 0, password: bytes = b"\0" * 16, zxid: int = 0):
        self.feed(ClientConnected(conn, f"/127.0.0.1:{conn}"))
        self.send(conn, bytes(kz.Connect(0, zxid, 4_000, session, password, False).serialize()))
        return self.frames(conn)

    def send(self, conn: int, body: bytes) -> None:
        self.feed(ClientData(conn, frame(body)))

    def request(self, conn: int, xid: int, request) -> None:
        self.send(conn, kz.int_int_struct.pack(xid, request.type) + bytes(request.serialize()))

    def frames(self, conn: int) -> list[bytes]:
        data, out = bytes(self.out.pop(conn, b"")), []
        while data:
            n = int.from_bytes(data[:4], "big")
            out.append(data[4 : 4 + n])
            data = data[4 + n :]
        return out

    def replies(self, conn: int) -> list[tuple[int, int, bytes]]:
        """(xid, err, body) of each frame sent to ``conn``."""
        out = []
        for f in self.frames(conn):
            header, offset = kz.ReplyHeader.deserialize(f, 0)
            out.append((header.xid, header.err, f[offset:]))
        return out

    def session(self, conn: int) -> tuple[int, bytes]:
        (raw,) = self.connect(conn)
        response, _ = kz.Connect.deserialize(raw, 0)
        assert response.time_out == 4_000
        return response.session_id, response.passwd


def test_a_new_session_is_a_txn_and_the_handshake_waits_for_it() -> None:
    h = Harness()
    h.hold = True
    assert h.connect(1) == []
    assert len(h.held) == 1 and h.app.sessions == {}
    h.release()
    (raw,) = h.frames(1)
    response, _ = kz.Connect.deserialize(raw, 0)
    assert response.session_id >> 56 == 1 and response.time_out == 4_000
    assert h.app.sessions[response.session_id].password == response.passwd


def test_replies_keep_request_order_and_reads_see_earlier_writes() -> None:
    h = Harness()
    h.session(1)
    h.hold = True
    h.request(1, 1, kz.Create("/a", b"v", OPEN, 0))
    h.request(1, 2, kz.GetData("/a", None))  # waits behind the create
    h.request(1, 3, kz.Exists("/b", None))
    assert h.replies(1) == []
    h.release()
    (x1, e1, _), (x2, e2, body), (x3, e3, _) = h.replies(1)
    assert (x1, e1, x2, e2, x3, e3) == (1, 0, 2, 0, 3, -101)
    assert kz.GetData.deserialize(body, 0)[0] == b"v"
    h.request(1, 4, kz.GetData("/a", None))  # nothing pending: answered at once
    assert [x for x, _, _ in h.replies(1)] == [4]


def test_a_watch_event_goes_out_before_the_reply_to_any_later_read() -> None:
    h = Harness()
    h.session(1)
    h.session(2)
    h.request(1, 1, kz.Exists("/w", True))
    h.request(1, 2, kz.GetChildren("/", True))
    h.replies(1)
    h.hold = True
    h.request(2, 1, kz.Create("/w", b"", OPEN, 0))
    h.request(1, 3, kz.GetData("/w", None))  # before the create is applied: NoNode
    h.release()
    h.request(1, 4, kz.GetData("/w", None))
    got = h.replies(1)
    assert [(x, e) for x, e, _ in got] == [(3, -101), (-1, 0), (-1, 0), (4, 0)]
    events = [kz.Watch.deserialize(body, 0)[0] for x, _, body in got if x == -1]
    assert events == [
        kz.Watch(EventType.NODE_CREATED, 3, "/w"),
        kz.Watch(EventType.NODE_CHILDREN_CHANGED, 3, "/"),
    ]
    h.request(2, 2, kz.SetData("/w", b"x", -1))  # the watches were one-shot
    assert [x for x, _, _ in h.replies(1)] == []


def test_garbage_closes_only_its_own_connection() -> None:
    h = Harness()
    h.session(1)
    h.session(2)
    h.send(1, b"\x00\x00\x00\x07\x00\x00\x00\x04\xff\xff\xff")  # getData with a bad path length
    assert h.closed == {1}
    assert any("malformed frame at byte 49" in line for line in h.logs)
    h.feed(ClientData(1, b"more"))  # whatever follows is ignored
    h.request(2, 1, kz.Create("/still", b"", OPEN, 0))
    assert [(x, e) for x, e, _ in h.replies(2)] == [(1, 0)]


def test_a_frame_over_one_mebibyte_closes_the_connection() -> None:
    h = Harness()
    h.session(1)
    h.feed(ClientData(1, (2**20 + 1).to_bytes(4, "big") + b"x" * 100))
    assert h.closed == {1} and any("exceeds the limit of 1048576 bytes" in line for line in h.logs)


def test_four_letter_words_are_answered_and_the_connection_closed() -> None:
    h = Harness()
    h.feed(ClientConnected(9, "/127.0.0.1:9"))
    h.feed(ClientData(9, b"ruok"))
    assert bytes(h.out[9]) == b"imok" and h.closed == {9}
    h.feed(ClientConnected(8, "/127.0.0.1:8"))
    h.feed(ClientData(8, b"mn"))
    h.feed(ClientData(8, b"tr"))
    assert b"zk_server_state\tleader\n" in bytes(h.out[8])


def test_requests_sent_during_the_handshake_wait_for_it() -> None:
    h = Harness()
    h.hold = True
    h.connect(3)
    h.request(3, 1, kz.GetData("/", None))  # the session is not set up yet
    h.request(3, -2, kz.Ping())
    assert h.frames(3) == [] and len(h.held) == 1
    h.release()
    connect, *rest = h.frames(3)
    assert kz.Connect.deserialize(connect, 0)[0].time_out == 4_000
    assert [kz.ReplyHeader.deserialize(f, 0)[0].xid for f in rest] == [1, -2]


def test_a_server_behind_the_client_refuses_it_and_a_looking_one_refuses_everyone() -> None:
    h = Harness()
    h.connect(1, zxid=50)
    assert h.closed == {1} and any("it has seen zxid 0x32" in line for line in h.logs)
    h.feed(ModeChanged("looking"))
    h.connect(2)
    assert 2 in h.closed


def test_reconnecting_keeps_the_session_and_a_wrong_password_is_an_expiry() -> None:
    h = Harness()
    session, password = h.session(1)
    h.feed(ClientClosed(1))
    (raw,) = h.connect(2, session, password)
    assert kz.Connect.deserialize(raw, 0)[0].session_id == session
    (raw,) = h.connect(3, session, b"x" * 16)
    assert kz.Connect.deserialize(raw, 0)[0].time_out == 0 and 3 in h.closed
    (raw,) = h.connect(4, 0x0700000000000001, password)  # unknown here: asked in zxid order
    assert kz.Connect.deserialize(raw, 0)[0].time_out == 0 and 4 in h.closed


def test_the_leader_expires_silent_sessions_and_touches_keep_them_alive() -> None:
    h = Harness()
    quiet, _ = h.session(1)
    busy, _ = h.session(2)
    h.request(1, 1, kz.Create("/eph", b"", OPEN, 1))
    h.feed(ClientClosed(1))  # the quiet client is gone; its session lives on until expiry
    for _ in range(10):
        h.now += 500
        h.feed(LeaderNote(3, SessionTouches((busy,)).serialize()))  # another server hears it
        h.feed(Tick())
    assert quiet not in h.app.sessions and busy in h.app.sessions
    assert "/eph" not in h.app.tree.nodes
    assert any(f"session 0x{quiet:x} expired" in line for line in h.logs)


def test_every_tick_tells_the_leader_which_sessions_were_heard_from() -> None:
    h = Harness(mode="follower")
    session, _ = h.session(1)
    h.feed(Tick())
    assert [SessionTouches.deserialize(n)[0].sessions for n in h.notes] == [(session,)]
    h.feed(Tick())  # nothing heard since
    assert len(h.notes) == 1
    h.request(1, -2, kz.Ping())
    h.feed(Tick())
    assert len(h.notes) == 2


def test_close_session_replies_then_closes_and_an_expiry_closes_the_connection() -> None:
    h = Harness()
    session, _ = h.session(1)
    h.request(1, 1, kz.Close())
    assert [(x, e) for x, e, _ in h.replies(1)] == [(1, 0)]
    assert 1 in h.closed and session not in h.app.sessions
    other, _ = h.session(2)
    expiry = SubmitWrite(100, payload(other, OpCode.CLOSE_SESSION, CloseSessionTxn().serialize()))
    committed, _ = h.commit(expiry)  # applied here, submitted at the leader (its expiry)
    h.feed(committed)
    assert 2 in h.closed and not h.replies(2)
