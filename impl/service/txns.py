"""What a ZooKeeper write looks like as a ZAB txn payload, and what applying it returns.

A payload is ``>qi`` (session id, opcode) then the body: for client requests the jute
request exactly as the client sent it; for the session txns below, their own records. The
application returns an :class:`Outcome`: the reply's error code and body, and the watch
events the txn fired (every server needs those; only the one the client waits at needs the
reply).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from impl.jute.codec import Buffer, Int, Long, UString, record, vector
from impl.jute.records import Id, OpCode

HEAD = struct.Struct(">qi")

REVALIDATE_SESSION = -20
"""zabmc's own opcode: a client reconnects with a session this server has not seen yet; the
txn's outcome (in zxid order) says whether the session still lives."""


IDENTIFIED = -21
"""zabmc's own opcode: a client's write with the identities its connection had when it sent
it (ZooKeeper's ``Request.authInfo``), so every server checks ACLs alike, in zxid order.
The body is an :class:`Identified` then the client's request; a write without it (as tests
and older logs have) has no identities."""


@record(None, Int, vector(Id.field))
class Identified(NamedTuple):
    opcode: int
    ids: tuple[Id, ...]


@record(OpCode.CREATE_SESSION, Int, Buffer)
class CreateSessionTxn(NamedTuple):
    timeout: int
    password: bytes


@record(OpCode.CLOSE_SESSION)
class CloseSessionTxn(NamedTuple):
    """Closes the session in the header (a client's closeSession, or the leader's expiry)."""


@record(REVALIDATE_SESSION, Buffer)
class RevalidateSessionTxn(NamedTuple):
    password: bytes


@record(None, Int, UString)
class FiredEvent(NamedTuple):
    type: int
    path: str


@record(None, Int, vector(FiredEvent.field), Buffer)
class Outcome(NamedTuple):
    err: int
    fired: tuple[FiredEvent, ...]
    reply: bytes


@record(None, vector(Long))
class SessionTouches(NamedTuple):
    """A server's note to the leader: sessions it heard from since its last note."""

    sessions: tuple[int, ...]


def payload(session_id: int, opcode: int, body: bytes) -> bytes:
    return HEAD.pack(session_id, opcode) + body


def identified_payload(session_id: int, opcode: int, ids: tuple[Id, ...], body: bytes) -> bytes:
    """The payload of a client's write ``opcode`` sent with the identities ``ids``."""
    return HEAD.pack(session_id, IDENTIFIED) + Identified(opcode, ids).serialize() + body
