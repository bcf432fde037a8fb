"""One client connection of ZooKeeper's protocol, sans-IO (h11 style).

``receive_data`` only buffers; ``next_event`` returns the next :class:`FourLetterWord`,
:class:`ConnectRequested` or :class:`RequestReceived`, or ``NEED_DATA``; the ``*_bytes``
methods turn replies into bytes. The first four bytes of a connection are either one of the
four-letter words or the length of the ``ConnectRequest`` frame; after it, every frame is a
request. Anything else raises :class:`RemoteProtocolError` naming the byte offset: the
connection is then unusable and should be closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from impl.core.errors import RemoteProtocolError
from impl.framing import (
    CLIENT,
    DEFAULT_MAX_FRAME,
    NEED_DATA,
    FrameDecoder,
    FrameError,
    Sentinel,
    frame,
)
from impl.jute.codec import JuteError
from impl.jute.records import (
    REQUESTS,
    ConnectRequest,
    ConnectResponse,
    ReplyHeader,
    RequestHeader,
    WatcherEvent,
    Xid,
)

FOUR_LETTER_WORDS = frozenset({b"ruok", b"srvr", b"stat", b"envi", b"mntr"})


class State(Enum):
    AWAIT_CONNECT = "waiting for the connect request (or a four-letter word)"
    OPEN = "the handshake is done: requests flow"
    CLOSED = "nothing more is read"


@dataclass(frozen=True, slots=True)
class FourLetterWord:
    word: str


@dataclass(frozen=True, slots=True)
class ConnectRequested:
    request: ConnectRequest


@dataclass(frozen=True, slots=True)
class RequestReceived:
    """A request: its xid, opcode, raw body, and the decoded record (``None`` if the opcode is
    one zabmc does not implement)."""

    xid: int
    opcode: int
    body: bytes
    record: Any


ConnectionEvent = FourLetterWord | ConnectRequested | RequestReceived


class ClientConnection:
    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.state = State.AWAIT_CONNECT
        self.frames = FrameDecoder(CLIENT, max_frame)

    def receive_data(self, data: bytes) -> None:
        self.frames.receive_data(data)

    def next_event(self) -> ConnectionEvent | Sentinel:
        if self.state == State.CLOSED:
            return NEED_DATA
        if self.state == State.AWAIT_CONNECT:
            head = self.frames.buffered()[:4]
            if len(head) < 4:
                return NEED_DATA
            if head in FOUR_LETTER_WORDS:
                self.state = State.CLOSED
                return FourLetterWord(head.decode())
        start = self.frames.offset
        try:
            body = self.frames.next_frame()
            if body is NEED_DATA:
                return NEED_DATA
            assert isinstance(body, bytes)
            if self.state == State.AWAIT_CONNECT:
                request, end = ConnectRequest.deserialize(body)
                _no_trailing(body, end, "ConnectRequest")
                self.state = State.OPEN
                return ConnectRequested(request)
            return _request(body)
        except (JuteError, FrameError) as exc:
            self.state = State.CLOSED
            raise RemoteProtocolError(f"malformed frame at byte {start}: {exc}") from None

    def connect_response_bytes(self, response: ConnectResponse) -> bytes:
        return frame(response.serialize())

    @staticmethod
    def reply_bytes(xid: int, zxid: int, err: int, body: bytes = b"") -> bytes:
        return frame(ReplyHeader(xid, zxid, err).serialize() + body)

    @staticmethod
    def watch_event_bytes(event_type: int, state: int, path: str, zxid: int) -> bytes:
        header = ReplyHeader(Xid.NOTIFICATION, zxid, 0).serialize()
        return frame(header + WatcherEvent(event_type, state, path).serialize())


def _request(body: bytes) -> RequestReceived:
    xid, opcode = RequestHeader.deserialize(body)[0]
    kind = REQUESTS.get(opcode)
    rest = body[8:]
    if kind is None:
        return RequestReceived(xid, opcode, rest, None)
    record, end = kind.deserialize(rest)
    _no_trailing(rest, end, kind.__name__)
    return RequestReceived(xid, opcode, rest, record)


def _no_trailing(body: bytes, end: int, what: str) -> None:
    if end != len(body):
        raise JuteError(f"{len(body) - end} bytes after the {what}")
