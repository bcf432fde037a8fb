"""The data tree: ZooKeeper's nodes with their data, ACL and stat (ZooKeeper's ``DataTree``).

Reads raise :class:`ZooKeeperError` (``NO_NODE``) or return values; writes take the txn's
zxid and time (the leader's clock, the same on every server), check versions, and record the
watch events they fire in :attr:`DataTree.fired`. While :attr:`DataTree.undo` is a list,
every write also records how to undo itself, so a failed ``multi`` leaves no trace.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from impl.jute.codec import Buffer, UString, read_ustring
from impl.jute.records import ACL, ACLs, EventType, Id, Stat
from impl.service.errors import Code, ZooKeeperError
from impl.service.paths import name_of, parent_of, validate

OPEN_ACL = (ACL(31, Id("world", "anyone")),)

EPHEMERAL = 1
SEQUENTIAL = 2
CONTAINER = 4
PERSISTENT_WITH_TTL = 5
PERSISTENT_SEQUENTIAL_WITH_TTL = 6
"""``CreateMode`` flags: 0-3 are the bits above; 4-6 are modes of their own."""

CONTAINER_OWNER = -(1 << 63)
"""The ``ephemeralOwner`` of a container node (ZooKeeper's ``EphemeralType.CONTAINER``)."""
_TTL_MARK = -(1 << 56)
"""``0xff`` in the top byte: a TTL node, its TTL (ms) in the low 40 bits."""
MAX_TTL = (1 << 40) - 1


def ttl_owner(ttl: int) -> int:
    return _TTL_MARK | ttl


def ttl_of(owner: int) -> int | None:
    """The TTL of a TTL node's owner field, ``None`` for any other node."""
    if owner != CONTAINER_OWNER and owner & _TTL_MARK == _TTL_MARK:
        return owner & MAX_TTL
    return None


def is_session_owned(owner: int) -> bool:
    """An ephemeral node of a session (not a container or TTL node, which use the field)."""
    return owner != 0 and owner != CONTAINER_OWNER and ttl_of(owner) is None


Fired = tuple[int, str]
"""A watch event a write fired: (event type, path)."""

_NODE_FIXED = struct.Struct(">qqqqiiiqq")


class Node:
    __slots__ = (
        "acl",
        "aversion",
        "children",
        "ctime",
        "cversion",
        "czxid",
        "data",
        "ephemeral_owner",
        "mtime",
        "mzxid",
        "pzxid",
        "version",
    )

    def __init__(
        self,
        data: bytes | None,
        acl: tuple[ACL, ...],
        zxid: int,
        time: int,
        ephemeral_owner: int = 0,
    ) -> None:
        self.data = data
        self.acl = acl
        self.czxid = self.mzxid = self.pzxid = zxid
        self.ctime = self.mtime = time
        self.version = self.cversion = self.aversion = 0
        self.ephemeral_owner = ephemeral_owner
        self.children: set[str] = set()

    def stat(self) -> Stat:
        """The stat a client sees. ``cversion`` is kept as the count of creates under the node
        (where sequence numbers come from); a client sees the count of changes, creates and
        deletes, derived as ZooKeeper's ``DataNode.copyStat`` does: ``2 * creates - children``
        (so ZooKeeper's own nodes, made without a create, show a negative one)."""
        return Stat(
            self.czxid,
            self.mzxid,
            self.ctime,
            self.mtime,
            self.version,
            2 * self.cversion - len(self.children),
            self.aversion,
            self.ephemeral_owner,
            len(self.data) if self.data else 0,
            len(self.children),
            self.pzxid,
        )


def check_flags(flags: int) -> None:
    """A create's flags must be one of ZooKeeper's ``CreateMode`` flags, 0 to 6."""
    if not 0 <= flags <= PERSISTENT_SEQUENTIAL_WITH_TTL:
        raise ZooKeeperError(Code.BAD_ARGUMENTS, f"create flags {flags}")


def _check_version(path: str, expected: int, actual: int) -> None:
    if expected != -1 and expected != actual:
        raise ZooKeeperError(Code.BAD_VERSION, path)


class DataTree:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {"/": Node(b"", OPEN_ACL, 0, 0)}
        self.ephemerals: dict[int, set[str]] = {}
        """Session id -> the paths of its ephemeral nodes."""
        self.fired: list[Fired] = []
        self.undo: list[Callable[[], None]] | None = None
        for path in ("/zookeeper", "/zookeeper/quota"):  # as in every ZooKeeper: not creates
            self._link(path, Node(b"", OPEN_ACL, 0, 0), self.nodes[parent_of(path)])

    # --- reads -----------------------------------------------------------------------------------

    def node(self, path: str) -> Node:
        node = self.nodes.get(path)
        if node is None:
            raise ZooKeeperError(Code.NO_NODE, path)
        return node

    def children(self, path: str) -> list[str]:
        return sorted(self.node(path).children)

    def descendant_count(self, path: str) -> int:
        """The nodes under ``path``, at any depth (``getAllChildrenNumber``)."""
        if path == "/":
            return len(self.nodes) - 1
        prefix = path + "/"
        return sum(1 for p in self.nodes if p.startswith(prefix))

    def ephemeral_count(self) -> int:
        return sum(len(paths) for paths in self.ephemerals.values())

    # --- writes ----------------------------------------------------------------------------------

    def create(
        self,
        path: str,
        data: bytes | None,
        acl: tuple[ACL, ...] | None,
        flags: int,
        session: int,
        zxid: int,
        time: int,
        owner: int | None = None,
    ) -> str:
        """Create a node; returns its path. A sequential name ends in the parent's
        ``cversion``, the count of creates under it (ZooKeeper's ``PrepRequestProcessor``
        takes it so; deletes and failed creates do not count)."""
        check_flags(flags)
        sequential = flags in (SEQUENTIAL, EPHEMERAL | SEQUENTIAL, PERSISTENT_SEQUENTIAL_WITH_TTL)
        validate(path, sequential=sequential)
        if not acl:
            raise ZooKeeperError(Code.INVALID_ACL, path)
        parent_path = parent_of(path)
        parent = self.nodes.get(parent_path)
        if parent is None:
            raise ZooKeeperError(Code.NO_NODE, parent_path)
        if sequential:
            path = f"{path}{parent.cversion:010d}"
        if path in self.nodes:
            raise ZooKeeperError(Code.NODE_EXISTS, path)
        if is_session_owned(parent.ephemeral_owner):
            raise ZooKeeperError(Code.NO_CHILDREN_FOR_EPHEMERALS, parent_path)
        if owner is None:
            owner = session if flags in (EPHEMERAL, EPHEMERAL | SEQUENTIAL) else 0
        self._insert(path, Node(data, acl, zxid, time, owner), zxid)
        self.fired.append((EventType.NODE_CREATED, path))
        self.fired.append((EventType.NODE_CHILDREN_CHANGED, parent_path))
        return path

    def delete(self, path: str, version: int, zxid: int) -> None:
        validate(path)
        if path == "/":
            raise ZooKeeperError(Code.BAD_ARGUMENTS, "the root cannot be deleted")
        node = self.node(path)
        _check_version(path, version, node.version)
        if node.children:
            raise ZooKeeperError(Code.NOT_EMPTY, path)
        self._remove(path, node, zxid)
        self.fired.append((EventType.NODE_DELETED, path))
        self.fired.append((EventType.NODE_CHILDREN_CHANGED, parent_of(path)))

    def set_data(self, path: str, data: bytes | None, version: int, zxid: int, time: int) -> Stat:
        validate(path)
        node = self.node(path)
        _check_version(path, version, node.version)
        if self.undo is not None:
            old = (node.data, node.version, node.mzxid, node.mtime)

            def restore() -> None:
                node.data, node.version, node.mzxid, node.mtime = old

            self.undo.append(restore)
        node.data = data
        node.version += 1
        node.mzxid = zxid
        node.mtime = time
        self.fired.append((EventType.NODE_DATA_CHANGED, path))
        return node.stat()

    def set_acl(self, path: str, acl: tuple[ACL, ...] | None, version: int) -> Stat:
        validate(path)
        node = self.node(path)
        _check_version(path, version, node.aversion)
        if not acl:
            raise ZooKeeperError(Code.INVALID_ACL, path)
        node.acl = acl
        node.aversion += 1
        return node.stat()

    def check(self, path: str, version: int) -> None:
        validate(path)
        _check_version(path, version, self.node(path).version)

    def delete_ephemerals(self, session: int, zxid: int) -> None:
        """A session ended: delete its ephemeral nodes (in path order)."""
        for path in sorted(self.ephemerals.get(session, ())):
            self.delete(path, -1, zxid)

    # --- structure -------------------------------------------------------------------------------

    def _insert(self, path: str, node: Node, zxid: int) -> None:
        parent = self.nodes[parent_of(path)]
        if self.undo is not None:
            self.undo.append(self._undo(parent, lambda: self._unlink(path, node, parent)))
        self._link(path, node, parent)
        parent.cversion += 1
        parent.pzxid = zxid

    def _remove(self, path: str, node: Node, zxid: int) -> None:
        """Unlink a node. Its parent's ``cversion`` stays (ZooKeeper's ``DataTree.deleteNode``
        counts only creates there); its ``pzxid`` moves forward."""
        parent = self.nodes[parent_of(path)]
        if self.undo is not None:
            self.undo.append(self._undo(parent, lambda: self._link(path, node, parent)))
        self._unlink(path, node, parent)
        parent.pzxid = max(parent.pzxid, zxid)

    @staticmethod
    def _undo(parent: Node, relink: Callable[[], None]) -> Callable[[], None]:
        """Undo a change of ``parent``'s children: ``relink``, then its stat as it is now."""
        saved = (parent.cversion, parent.pzxid)

        def undo() -> None:
            relink()
            parent.cversion, parent.pzxid = saved

        return undo

    def _link(self, path: str, node: Node, parent: Node) -> None:
        self.nodes[path] = node
        parent.children.add(name_of(path))
        if is_session_owned(node.ephemeral_owner):
            self.ephemerals.setdefault(node.ephemeral_owner, set()).add(path)

    def _unlink(self, path: str, node: Node, parent: Node) -> None:
        del self.nodes[path]
        parent.children.discard(name_of(path))
        owner = node.ephemeral_owner
        if is_session_owned(owner):
            paths = self.ephemerals[owner]
            paths.discard(path)
            if not paths:
                del self.ephemerals[owner]

    def rollback(self) -> None:
        """Undo every write since :attr:`undo` was set to a list (then stop recording)."""
        undo, self.undo = self.undo or [], None
        for step in reversed(undo):
            step()

    # --- snapshots -------------------------------------------------------------------------------

    def write_into(self, out: bytearray) -> None:
        """Every node (parents before children), as path, data, ACL and stat fields."""
        out += struct.pack(">i", len(self.nodes))
        for path in sorted(self.nodes):
            n = self.nodes[path]
            UString.write(out, path)
            Buffer.write(out, n.data)
            ACLs.write(out, n.acl)
            out += _NODE_FIXED.pack(
                n.czxid,
                n.mzxid,
                n.ctime,
                n.mtime,
                n.version,
                n.cversion,
                n.aversion,
                n.ephemeral_owner,
                n.pzxid,
            )

    @classmethod
    def read(cls, buf: bytes, offset: int) -> tuple[DataTree, int]:
        tree = cls()
        tree.nodes = {}
        (count,) = struct.unpack_from(">i", buf, offset)
        offset += 4
        for _ in range(count):
            path, offset = read_ustring(buf, offset)
            data, offset = Buffer.read(buf, offset)
            acl, offset = ACLs.read(buf, offset)
            fixed = _NODE_FIXED.unpack_from(buf, offset)
            offset += _NODE_FIXED.size
            assert path is not None
            node = Node(data, acl, 0, 0)
            (
                node.czxid,
                node.mzxid,
                node.ctime,
                node.mtime,
                node.version,
                node.cversion,
                node.aversion,
                node.ephemeral_owner,
                node.pzxid,
            ) = fixed
            if path == "/":
                tree.nodes[path] = node
            else:
                tree._link(path, node, tree.nodes[parent_of(path)])
        return tree, offset
