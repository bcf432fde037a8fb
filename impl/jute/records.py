"""Every record of ZooKeeper's client protocol that zabmc speaks, with its opcode.

One NamedTuple per jute record (field names as in ``zookeeper.jute``, in snake case); the
:func:`~impl.jute.codec.record` decorator gives each ``type`` (the opcode of a request, ``None``
for other records), ``serialize()`` and ``deserialize(buf, offset)``. Requests a client sends
are found by opcode in :data:`REQUESTS`; ``multi`` reads and writes its own framing of
``MultiHeader``-prefixed operations.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from impl.jute.codec import (
    Bool,
    Buffer,
    Int,
    JuteError,
    Long,
    UString,
    read_buffer,
    record,
    vector,
    write_buffer,
)


class OpCode:
    """ZooKeeper's ``ZooDefs.OpCode`` (those zabmc knows)."""

    NOTIFICATION = 0
    CREATE = 1
    DELETE = 2
    EXISTS = 3
    GET_DATA = 4
    SET_DATA = 5
    GET_ACL = 6
    SET_ACL = 7
    GET_CHILDREN = 8
    SYNC = 9
    PING = 11
    GET_CHILDREN2 = 12
    CHECK = 13
    MULTI = 14
    CREATE2 = 15
    RECONFIG = 16
    CHECK_WATCHES = 17
    REMOVE_WATCHES = 18
    CREATE_CONTAINER = 19
    DELETE_CONTAINER = 20
    CREATE_TTL = 21
    MULTI_READ = 22
    AUTH = 100
    SET_WATCHES = 101
    SASL = 102
    GET_EPHEMERALS = 103
    GET_ALL_CHILDREN_NUMBER = 104
    SET_WATCHES2 = 105
    ADD_WATCH = 106
    WHO_AM_I = 107
    CREATE_SESSION = -10
    CLOSE_SESSION = -11
    ERROR = -1


class Xid:
    """Reserved xids of reply headers."""

    NOTIFICATION = -1
    PING = -2
    AUTH = -4


# --- connection handshake --------------------------------------------------------------------

_CONNECT_HEAD = struct.Struct(">iqiq")


class ConnectRequest(NamedTuple):
    protocol_version: int
    last_zxid_seen: int
    timeout: int
    session_id: int
    password: bytes | None
    read_only: bool = False

    type = None

    def serialize(self) -> bytes:
        out = bytearray(_CONNECT_HEAD.pack(*self[:4]))
        write_buffer(out, self.password)
        out.append(1 if self.read_only else 0)
        return bytes(out)

    @classmethod
    def deserialize(cls, buf: bytes, offset: int = 0) -> tuple[ConnectRequest, int]:
        if offset + _CONNECT_HEAD.size > len(buf):
            raise JuteError(f"truncated ConnectRequest at byte {offset}")
        head = _CONNECT_HEAD.unpack_from(buf, offset)
        password, offset = read_buffer(buf, offset + _CONNECT_HEAD.size)
        read_only = False
        if offset < len(buf):  # clients before 3.4 do not send readOnly
            read_only, offset = Bool.read(buf, offset)
        return cls(*head, password, read_only), offset


@record(None, Int, Int, Long, Buffer, Bool)
class ConnectResponse(NamedTuple):
    protocol_version: int
    timeout: int
    session_id: int
    password: bytes | None
    read_only: bool


# --- headers -----------------------------------------------------------------------------------


@record(None, Int, Int)
class RequestHeader(NamedTuple):
    xid: int
    type: int


@record(None, Int, Long, Int)
class ReplyHeader(NamedTuple):
    xid: int
    zxid: int
    err: int


@record(None, Int, Bool, Int)
class MultiHeader(NamedTuple):
    type: int
    done: bool
    err: int


# --- data ------------------------------------------------------------------------------------


@record(None, Long, Long, Long, Long, Int, Int, Int, Long, Int, Int, Long)
class Stat(NamedTuple):
    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    data_length: int
    num_children: int
    pzxid: int


@record(None, UString, UString)
class Id(NamedTuple):
    scheme: str | None
    id: str | None


@record(None, Int, Id.field)
class ACL(NamedTuple):
    perms: int
    id: Id


ACLs = vector(ACL.field)
Strings = vector(UString)

# --- requests --------------------------------------------------------------------------------


@record(OpCode.CREATE, UString, Buffer, ACLs, Int)
class CreateRequest(NamedTuple):
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int


@record(OpCode.CREATE2, UString, Buffer, ACLs, Int)
class Create2Request(NamedTuple):
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int


@record(OpCode.DELETE, UString, Int)
class DeleteRequest(NamedTuple):
    path: str
    version: int


@record(OpCode.EXISTS, UString, Bool)
class ExistsRequest(NamedTuple):
    path: str
    watch: bool


@record(OpCode.GET_DATA, UString, Bool)
class GetDataRequest(NamedTuple):
    path: str
    watch: bool


@record(OpCode.SET_DATA, UString, Buffer, Int)
class SetDataRequest(NamedTuple):
    path: str
    data: bytes | None
    version: int


@record(OpCode.GET_ACL, UString)
class GetACLRequest(NamedTuple):
    path: str


@record(OpCode.SET_ACL, UString, ACLs, Int)
class SetACLRequest(NamedTuple):
    path: str
    acl: tuple[ACL, ...]
    version: int


@record(OpCode.GET_CHILDREN, UString, Bool)
class GetChildrenRequest(NamedTuple):
    path: str
    watch: bool


@record(OpCode.SYNC, UString)
class SyncRequest(NamedTuple):
    path: str


@record(OpCode.GET_CHILDREN2, UString, Bool)
class GetChildren2Request(NamedTuple):
    path: str
    watch: bool


@record(OpCode.CHECK, UString, Int)
class CheckVersionRequest(NamedTuple):
    path: str
    version: int


@record(OpCode.AUTH, Int, UString, Buffer)
class AuthPacket(NamedTuple):
    auth_type: int
    scheme: str | None
    auth: bytes | None


@record(OpCode.PING)
class PingRequest(NamedTuple):
    pass


@record(OpCode.CLOSE_SESSION)
class CloseSessionRequest(NamedTuple):
    pass


MULTI_OPS: dict[int, Any] = {
    r.type: r
    for r in (CreateRequest, Create2Request, DeleteRequest, SetDataRequest, CheckVersionRequest)
}
"""The operations a multi may hold."""

_END = MultiHeader(-1, True, -1)


class MultiRequest(NamedTuple):
    ops: tuple[Any, ...]

    type = OpCode.MULTI

    def serialize(self) -> bytes:
        out = bytearray()
        for op in self.ops:
            MultiHeader(op.type, False, -1).write_into(out)
            op.write_into(out)
        _END.write_into(out)
        return bytes(out)

    @classmethod
    def deserialize(cls, buf: bytes, offset: int = 0) -> tuple[MultiRequest, int]:
        ops, offset = read_ops(buf, offset, MULTI_OPS, "multi")
        return cls(ops), offset


def read_ops(
    buf: bytes, offset: int, allowed: dict[int, Any], what: str
) -> tuple[tuple[Any, ...], int]:
    """``MultiHeader``-prefixed operations of the kinds ``allowed``, up to the done header."""
    ops = []
    while True:
        start = offset
        header, offset = MultiHeader.deserialize(buf, offset)
        if header.done:
            return tuple(ops), offset
        op_class = allowed.get(header.type)
        if op_class is None:
            raise JuteError(f"operation type {header.type} not allowed in {what} at {start}")
        op, offset = op_class.deserialize(buf, offset)
        ops.append(op)


REQUESTS: dict[int, Any] = {
    r.type: r
    for r in (
        CreateRequest,
        DeleteRequest,
        ExistsRequest,
        GetDataRequest,
        SetDataRequest,
        GetACLRequest,
        SetACLRequest,
        GetChildrenRequest,
        SyncRequest,
        PingRequest,
        GetChildren2Request,
        CheckVersionRequest,
        MultiRequest,
        Create2Request,
        CloseSessionRequest,
        AuthPacket,
    )
}
"""Opcode -> the record of that request's body."""

# --- responses -------------------------------------------------------------------------------


@record(None, UString)
class CreateResponse(NamedTuple):
    path: str


@record(None, UString, Stat.field)
class Create2Response(NamedTuple):
    path: str
    stat: Stat


@record(None, Stat.field)
class StatResponse(NamedTuple):
    """The reply of exists, setData and setACL."""

    stat: Stat


@record(None, Buffer, Stat.field)
class GetDataResponse(NamedTuple):
    data: bytes | None
    stat: Stat


@record(None, ACLs, Stat.field)
class GetACLResponse(NamedTuple):
    acl: tuple[ACL, ...]
    stat: Stat


@record(None, Strings)
class GetChildrenResponse(NamedTuple):
    children: tuple[str, ...]


@record(None, Strings, Stat.field)
class GetChildren2Response(NamedTuple):
    children: tuple[str, ...]
    stat: Stat


@record(None, UString)
class SyncResponse(NamedTuple):
    path: str


@record(None, Int)
class ErrorResult(NamedTuple):
    err: int


@record(None)
class EmptyResponse(NamedTuple):
    """The (empty) reply of delete, check, ping, auth and closeSession."""


class MultiResponse(NamedTuple):
    """One ``(opcode, result)`` per operation; a failed multi has ``ErrorResult`` for each,
    with opcode -1."""

    results: tuple[tuple[int, Any], ...]

    def serialize(self) -> bytes:
        out = bytearray()
        for opcode, result in self.results:
            err = result.err if opcode == OpCode.ERROR else 0
            MultiHeader(opcode, False, err).write_into(out)
            result.write_into(out)
        _END.write_into(out)
        return bytes(out)

    @classmethod
    def deserialize(cls, buf: bytes, offset: int = 0) -> tuple[MultiResponse, int]:
        results = []
        while True:
            header, offset = MultiHeader.deserialize(buf, offset)
            if header.done:
                return cls(tuple(results)), offset
            kind = MULTI_RESULTS.get(header.type)
            if kind is None:
                raise JuteError(f"result type {header.type} not allowed in multi at {offset}")
            result, offset = kind.deserialize(buf, offset)
            results.append((header.type, result))


MULTI_RESULTS: dict[int, Any] = {
    OpCode.CREATE: CreateResponse,
    OpCode.CREATE2: Create2Response,
    OpCode.DELETE: EmptyResponse,
    OpCode.SET_DATA: StatResponse,
    OpCode.CHECK: EmptyResponse,
    OpCode.ERROR: ErrorResult,
}


@record(None, Int, Int, UString)
class WatcherEvent(NamedTuple):
    type: int
    state: int
    path: str


class EventType:
    NODE_CREATED = 1
    NODE_DELETED = 2
    NODE_DATA_CHANGED = 3
    NODE_CHILDREN_CHANGED = 4


SYNC_CONNECTED = 3
"""``KeeperState.SyncConnected``, the state of every watch event zabmc sends."""


# --- the operations of ZooKeeper 3.5-3.8 beyond the classic ones -------------------------------


@record(OpCode.CREATE_CONTAINER, UString, Buffer, ACLs, Int)
class CreateContainerRequest(NamedTuple):
    """``createContainer``: a ``CreateRequest`` under its own opcode (flags say CONTAINER)."""

    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int


@record(OpCode.CREATE_TTL, UString, Buffer, ACLs, Int, Long)
class CreateTTLRequest(NamedTuple):
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int
    ttl: int


@record(OpCode.DELETE_CONTAINER, UString)
class DeleteContainerRequest(NamedTuple):
    """Delete an empty container or TTL node (the leader's container reaper sends these)."""

    path: str


@record(OpCode.SET_WATCHES, Long, Strings, Strings, Strings)
class SetWatches(NamedTuple):
    """A reconnecting client's watches, to be set again (or fired, if they missed a change
    after ``relative_zxid``)."""

    relative_zxid: int
    data_watches: tuple[str, ...]
    exist_watches: tuple[str, ...]
    child_watches: tuple[str, ...]


@record(OpCode.SET_WATCHES2, Long, Strings, Strings, Strings, Strings, Strings)
class SetWatches2(NamedTuple):
    relative_zxid: int
    data_watches: tuple[str, ...]
    exist_watches: tuple[str, ...]
    child_watches: tuple[str, ...]
    persistent_watches: tuple[str, ...]
    persistent_recursive_watches: tuple[str, ...]


@record(OpCode.CHECK_WATCHES, UString, Int)
class CheckWatchesRequest(NamedTuple):
    path: str
    watcher_type: int
    """``WatcherType``: 1 children, 2 data, 3 any (jute's ``type``; ours is the opcode)."""


@record(OpCode.REMOVE_WATCHES, UString, Int)
class RemoveWatchesRequest(NamedTuple):
    path: str
    watcher_type: int


@record(OpCode.ADD_WATCH, UString, Int)
class AddWatchRequest(NamedTuple):
    path: str
    mode: int
    """``AddWatchMode``: 0 persistent, 1 persistent and recursive."""


@record(OpCode.GET_EPHEMERALS, UString)
class GetEphemeralsRequest(NamedTuple):
    prefix_path: str


@record(OpCode.GET_ALL_CHILDREN_NUMBER, UString)
class GetAllChildrenNumberRequest(NamedTuple):
    path: str


@record(OpCode.WHO_AM_I)
class WhoAmIRequest(NamedTuple):
    pass


@record(None, Strings)
class GetEphemeralsResponse(NamedTuple):
    ephemerals: tuple[str, ...]


@record(None, Int)
class GetAllChildrenNumberResponse(NamedTuple):
    total_number: int


@record(None, UString, UString)
class ClientInfo(NamedTuple):
    auth_scheme: str
    user: str


@record(None, vector(ClientInfo.field))
class WhoAmIResponse(NamedTuple):
    client_info: tuple[ClientInfo, ...]


class WatcherType:
    CHILDREN = 1
    DATA = 2
    ANY = 3


class AddWatchMode:
    PERSISTENT = 0
    PERSISTENT_RECURSIVE = 1


REQUESTS.update(
    {
        r.type: r
        for r in (
            CreateContainerRequest,
            CreateTTLRequest,
            DeleteContainerRequest,
            SetWatches,
            SetWatches2,
            CheckWatchesRequest,
            RemoveWatchesRequest,
            AddWatchRequest,
            GetEphemeralsRequest,
            GetAllChildrenNumberRequest,
            WhoAmIRequest,
        )
    }
)


MULTI_READ_OPS: dict[int, Any] = {r.type: r for r in (GetDataRequest, GetChildrenRequest)}
"""The reads a ``multiRead`` may hold."""


class MultiReadRequest(NamedTuple):
    """``multiRead``: ``MultiHeader``-prefixed getData and getChildren requests (its reply
    is a :class:`MultiResponse`: each read's response, or an ``ErrorResult`` in its place)."""

    ops: tuple[Any, ...]

    type = OpCode.MULTI_READ

    def serialize(self) -> bytes:
        return MultiRequest(self.ops).serialize()

    @classmethod
    def deserialize(cls, buf: bytes, offset: int = 0) -> tuple[MultiReadRequest, int]:
        ops, offset = read_ops(buf, offset, MULTI_READ_OPS, "multiRead")
        return cls(ops), offset


REQUESTS[OpCode.MULTI_READ] = MultiReadRequest
MULTI_RESULTS.update({OpCode.GET_DATA: GetDataResponse, OpCode.GET_CHILDREN: GetChildrenResponse})
