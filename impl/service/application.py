"""The replicated state of the ZooKeeper service: the data tree and the session table, as an
``impl.core.Application``.

``apply`` runs in zxid order on every server and is deterministic: a write's outcome depends
only on the state and the txn (times come from the txn, stamped by the leader). A write
from a session that no longer exists fails with ``SESSION_EXPIRED``, so an ephemeral node
can never outlive its session.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from impl.core.messages import Txn
from impl.jute.codec import Buffer, JuteError
from impl.jute.records import (
    Create2Request,
    Create2Response,
    CreateContainerRequest,
    CreateRequest,
    CreateResponse,
    CreateTTLRequest,
    DeleteContainerRequest,
    DeleteRequest,
    EmptyResponse,
    ErrorResult,
    Id,
    MultiRequest,
    MultiResponse,
    OpCode,
    SetACLRequest,
    SetDataRequest,
    StatResponse,
    SyncRequest,
    SyncResponse,
)
from impl.service import acl
from impl.service.errors import Code, ZooKeeperError
from impl.service.paths import parent_of, validate
from impl.service.tree import (
    CONTAINER_OWNER,
    EPHEMERAL,
    MAX_TTL,
    PERSISTENT_SEQUENTIAL_WITH_TTL,
    PERSISTENT_WITH_TTL,
    SEQUENTIAL,
    DataTree,
    Node,
    check_flags,
    is_session_owned,
    ttl_owner,
)
from impl.service.txns import (
    HEAD,
    IDENTIFIED,
    REVALIDATE_SESSION,
    CloseSessionTxn,
    CreateSessionTxn,
    Identified,
    Outcome,
    RevalidateSessionTxn,
)

_SESSION = struct.Struct(">qi")
_COUNTS = struct.Struct(">qi")


@dataclass(frozen=True, slots=True)
class Session:
    timeout: int
    password: bytes


class ZooKeeperApplication:
    def __init__(self) -> None:
        self.tree = DataTree()
        self.sessions: dict[int, Session] = {}
        self.last_zxid = 0
        """The zxid of the last txn applied (what replies report as the server's zxid)."""
        self.ids: tuple[Id, ...] = ()
        """The identities of the client whose write is being applied (for its ACL checks)."""

    # --- the Application protocol -------------------------------------------------------------

    def apply(self, txn: Txn) -> bytes:
        payload = txn.payload
        tree = self.tree
        tree.fired = []
        self.last_zxid = txn.zxid
        try:
            session_id, opcode = HEAD.unpack_from(payload)
            offset, self.ids = HEAD.size, ()
            if opcode == IDENTIFIED:
                (opcode, self.ids), offset = Identified.deserialize(payload, offset)
                if opcode not in WRITES:
                    raise ZooKeeperError(Code.BAD_ARGUMENTS, f"opcode {opcode} is not a write")
            step = APPLY.get(opcode)
            if step is None:
                raise ZooKeeperError(Code.UNIMPLEMENTED, f"opcode {opcode}")
            if opcode not in SESSIONLESS and session_id not in self.sessions:
                raise ZooKeeperError(Code.SESSION_EXPIRED, f"session 0x{session_id:x}")
            reply = step(self, session_id, payload[offset:], txn)
        except ZooKeeperError as exc:
            return Outcome(exc.code, (), b"").serialize()
        except (JuteError, struct.error):
            return Outcome(Code.MARSHALLING_ERROR, (), b"").serialize()
        return Outcome(Code.OK, tree.fired, reply).serialize()

    def snapshot(self) -> bytes:
        out = bytearray(_COUNTS.pack(self.last_zxid, len(self.sessions)))
        for sid in sorted(self.sessions):
            session = self.sessions[sid]
            out += _SESSION.pack(sid, session.timeout)
            Buffer.write(out, session.password)
        self.tree.write_into(out)
        return bytes(out)

    def restore(self, state: bytes) -> None:
        if not state:
            self.tree, self.sessions, self.last_zxid = DataTree(), {}, 0
            return
        last_zxid, count = _COUNTS.unpack_from(state)
        offset = _COUNTS.size
        sessions = {}
        for _ in range(count):
            sid, timeout = _SESSION.unpack_from(state, offset)
            password, offset = Buffer.read(state, offset + _SESSION.size)
            sessions[sid] = Session(timeout, password or b"")
        self.tree, offset = DataTree.read(state, offset)
        if offset != len(state):
            raise ValueError(f"{len(state) - offset} trailing bytes after the data tree")
        self.sessions = sessions
        self.last_zxid = last_zxid

    # --- the writes ------------------------------------------------------------------------------

    def _create(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = CreateRequest.deserialize(body)
        return CreateResponse(self._create_op(session, r, txn)).serialize()

    def _create2(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = Create2Request.deserialize(body)
        path = self._create_op(session, r, txn)
        return Create2Response(path, self.tree.nodes[path].stat()).serialize()

    def _create_container(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = CreateContainerRequest.deserialize(body)
        path = self._create_op(session, r, txn, CONTAINER_OWNER)
        return Create2Response(path, self.tree.nodes[path].stat()).serialize()

    def _create_ttl(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = CreateTTLRequest.deserialize(body)
        path = self._create_op(session, r, txn, None, r.ttl)
        return Create2Response(path, self.tree.nodes[path].stat()).serialize()

    def _create_op(
        self,
        session: int,
        r: CreateRequest | Create2Request | CreateContainerRequest | CreateTTLRequest,
        txn: Txn,
        owner: int | None = None,
        ttl: int = -1,
    ) -> str:
        """In ZooKeeper's order: the flags and TTL, the path, the ACL list, the parent, CREATE
        on it. The opcode makes a container (``owner``) or a TTL node (``ttl``); the flags of
        a plain create only choose ephemeral and sequential (as ``PrepRequestProcessor``)."""
        check_flags(r.flags)
        if r.flags in (PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL):
            if not 0 < ttl <= MAX_TTL:
                raise ZooKeeperError(Code.BAD_ARGUMENTS, f"ttl {ttl} for {r.path}")
            owner = ttl_owner(ttl)
        elif ttl >= 0:
            raise ZooKeeperError(Code.BAD_ARGUMENTS, f"ttl for create flags {r.flags}")
        sequential = r.flags in (SEQUENTIAL, EPHEMERAL | SEQUENTIAL, PERSISTENT_SEQUENTIAL_WITH_TTL)
        validate(r.path, sequential=sequential)
        fixed_acl = acl.fixup(r.path, self.ids, r.acl)
        self._allowed(self.tree.node(parent_of(r.path)), acl.CREATE, r.path)
        tree = self.tree
        return tree.create(
            r.path, r.data, fixed_acl, r.flags, session, txn.zxid, txn.time_ms, owner
        )

    def _delete_container(self, session: int, body: bytes, txn: Txn) -> bytes:
        """The reaper's delete (any client may send one): no ACL, no version; the node must
        be empty and a container or TTL node (``BAD_VERSION`` for a session's ephemeral, as
        ZooKeeper answers)."""
        r, _ = DeleteContainerRequest.deserialize(body)
        validate(r.path)
        if r.path == "/":
            raise ZooKeeperError(Code.BAD_ARGUMENTS, "the root cannot be deleted")
        node = self.tree.node(r.path)
        if node.children:
            raise ZooKeeperError(Code.NOT_EMPTY, r.path)
        if is_session_owned(node.ephemeral_owner):
            raise ZooKeeperError(Code.BAD_VERSION, r.path)
        self.tree.delete(r.path, -1, txn.zxid)
        return b""

    def _delete_op(self, r: DeleteRequest, txn: Txn) -> None:
        validate(r.path)
        if r.path != "/":
            self._allowed(self.tree.node(parent_of(r.path)), acl.DELETE, r.path)
        self.tree.delete(r.path, r.version, txn.zxid)

    def _set_data_op(self, r: SetDataRequest, txn: Txn) -> StatResponse:
        validate(r.path)
        self._allowed(self.tree.node(r.path), acl.WRITE, r.path)
        return StatResponse(self.tree.set_data(r.path, r.data, r.version, txn.zxid, txn.time_ms))

    def _allowed(self, node: Node, perm: int, path: str) -> None:
        acl.check(node.acl, perm, self.ids, path)

    def _delete(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = DeleteRequest.deserialize(body)
        self._delete_op(r, txn)
        return b""

    def _set_data(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = SetDataRequest.deserialize(body)
        return self._set_data_op(r, txn).serialize()

    def _set_acl(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = SetACLRequest.deserialize(body)
        validate(r.path)
        fixed_acl = acl.fixup(r.path, self.ids, r.acl)
        self._allowed(self.tree.node(r.path), acl.ADMIN, r.path)
        return StatResponse(self.tree.set_acl(r.path, fixed_acl, r.version)).serialize()

    def _sync(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = SyncRequest.deserialize(body)
        return SyncResponse(r.path).serialize()

    def _multi(self, session: int, body: bytes, txn: Txn) -> bytes:
        """All operations or none: on the first failure everything is undone, and each result
        is an error (``OK`` before the failed one, ``RUNTIME_INCONSISTENCY`` after it)."""
        request, _ = MultiRequest.deserialize(body)
        tree = self.tree
        tree.undo = []
        results: list[tuple[int, object]] = []
        for i, op in enumerate(request.ops):
            try:
                results.append((op.type, self._multi_op(session, op, txn)))
            except ZooKeeperError as exc:
                tree.rollback()
                tree.fired = []
                n = len(request.ops)
                results = [(OpCode.ERROR, ErrorResult(Code.OK))] * i
                results.append((OpCode.ERROR, ErrorResult(exc.code)))
                rest = ErrorResult(Code.RUNTIME_INCONSISTENCY)
                results.extend([(OpCode.ERROR, rest)] * (n - i - 1))
                break
        tree.undo = None
        return MultiResponse(tuple(results)).serialize()

    def _multi_op(self, session: int, op: object, txn: Txn) -> object:
        tree = self.tree
        if isinstance(op, CreateRequest | Create2Request):
            path = self._create_op(session, op, txn)
            if isinstance(op, CreateRequest):
                return CreateResponse(path)
            return Create2Response(path, tree.nodes[path].stat())
        if isinstance(op, DeleteRequest):
            self._delete_op(op, txn)
            return EmptyResponse()
        if isinstance(op, SetDataRequest):
            return self._set_data_op(op, txn)
        validate(op.path)
        self._allowed(tree.node(op.path), acl.READ, op.path)
        tree.check(op.path, op.version)
        return EmptyResponse()

    # --- sessions --------------------------------------------------------------------------------

    def _create_session(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = CreateSessionTxn.deserialize(body)
        self.sessions.setdefault(session, Session(r.timeout, r.password))
        return b""

    def _close_session(self, session: int, body: bytes, txn: Txn) -> bytes:
        CloseSessionTxn.deserialize(body)
        if self.sessions.pop(session, None) is not None:
            self.tree.delete_ephemerals(session, txn.zxid)
        return b""

    def _revalidate_session(self, session: int, body: bytes, txn: Txn) -> bytes:
        r, _ = RevalidateSessionTxn.deserialize(body)
        known = self.sessions.get(session)
        if known is None or known.password != r.password:
            raise ZooKeeperError(Code.SESSION_EXPIRED, f"session 0x{session:x}")
        return b""


Step = Callable[[ZooKeeperApplication, int, bytes, Txn], bytes]

APPLY: dict[int, Step] = {
    OpCode.CREATE: ZooKeeperApplication._create,
    OpCode.CREATE2: ZooKeeperApplication._create2,
    OpCode.DELETE: ZooKeeperApplication._delete,
    OpCode.SET_DATA: ZooKeeperApplication._set_data,
    OpCode.SET_ACL: ZooKeeperApplication._set_acl,
    OpCode.SYNC: ZooKeeperApplication._sync,
    OpCode.MULTI: ZooKeeperApplication._multi,
    OpCode.CREATE_CONTAINER: ZooKeeperApplication._create_container,
    OpCode.CREATE_TTL: ZooKeeperApplication._create_ttl,
    OpCode.DELETE_CONTAINER: ZooKeeperApplication._delete_container,
    OpCode.CREATE_SESSION: ZooKeeperApplication._create_session,
    OpCode.CLOSE_SESSION: ZooKeeperApplication._close_session,
    REVALIDATE_SESSION: ZooKeeperApplication._revalidate_session,
}
"""Opcode -> how a txn of it changes the state."""

WRITES = frozenset(APPLY) - {OpCode.CREATE_SESSION, OpCode.CLOSE_SESSION, REVALIDATE_SESSION}
"""The client requests that are txns."""

SESSIONLESS = frozenset(
    {OpCode.CREATE_SESSION, OpCode.CLOSE_SESSION, REVALIDATE_SESSION, OpCode.DELETE_CONTAINER}
)
"""Txns that do not need their session to exist."""
