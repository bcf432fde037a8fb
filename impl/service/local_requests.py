"""The requests of ZooKeeper 3.5-3.8 that one server answers from its own state, without a txn
(ZooKeeper's ``FinalRequestProcessor`` cases for them): watch management (``setWatches``,
``setWatches2``, ``addWatch``, ``checkWatches``, ``removeWatches``), ``getEphemerals``,
``getAllChildrenNumber``, ``whoAmI``; and ZooKeeper's own errors for the operations zabmc does
not serve (``reconfig`` is disabled, as in a default ZooKeeper; no SASL).

They are answered in order with the connection's other requests, like reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from impl.jute.codec import INT
from impl.jute.records import (
    AddWatchMode,
    ClientInfo,
    EventType,
    GetAllChildrenNumberResponse,
    GetEphemeralsResponse,
    Id,
    OpCode,
    WatcherType,
    WhoAmIResponse,
)
from impl.service import acl
from impl.service.errors import Code, ZooKeeperError
from impl.service.paths import validate
from impl.service.tree import DataTree
from impl.service.watches import WatchTable

Notify = Callable[[int, str], None]
"""Send the connection a watch event: (event type, path)."""

REFUSED = {
    OpCode.RECONFIG: Code.RECONFIG_DISABLED,
    OpCode.SASL: Code.UNIMPLEMENTED,
}
"""Operations not served, and the error each is answered with (README says why)."""

ANSWERED = frozenset(
    {
        OpCode.SET_WATCHES,
        OpCode.SET_WATCHES2,
        OpCode.ADD_WATCH,
        OpCode.CHECK_WATCHES,
        OpCode.REMOVE_WATCHES,
        OpCode.GET_EPHEMERALS,
        OpCode.GET_ALL_CHILDREN_NUMBER,
        OpCode.WHO_AM_I,
    }
) | frozenset(REFUSED)


def answer(
    opcode: int,
    r: Any,
    *,
    tree: DataTree,
    watches: WatchTable,
    conn: int,
    session_id: int,
    ids: tuple[Id, ...],
    notify: Notify,
) -> bytes:
    """The reply body of one of :data:`ANSWERED`; raises :class:`ZooKeeperError`."""
    if opcode in REFUSED:
        raise ZooKeeperError(REFUSED[opcode], f"opcode {opcode}")
    if opcode in (OpCode.SET_WATCHES, OpCode.SET_WATCHES2):
        _set_watches(r, tree, watches, conn, notify)
        return b""
    if opcode == OpCode.ADD_WATCH:
        validate(r.path)
        if r.mode not in (AddWatchMode.PERSISTENT, AddWatchMode.PERSISTENT_RECURSIVE):
            raise ZooKeeperError(Code.BAD_ARGUMENTS, f"addWatch mode {r.mode}")
        watches.watch_persistent(r.path, conn, r.mode == AddWatchMode.PERSISTENT_RECURSIVE)
        return INT.pack(0)  # ZooKeeper answers an ErrorResponse(0)
    if opcode in (OpCode.CHECK_WATCHES, OpCode.REMOVE_WATCHES):
        validate(r.path)
        if r.watcher_type not in (WatcherType.CHILDREN, WatcherType.DATA, WatcherType.ANY):
            raise ZooKeeperError(Code.BAD_ARGUMENTS, f"watcher type {r.watcher_type}")
        act = watches.has if opcode == OpCode.CHECK_WATCHES else watches.remove
        if not act(r.path, conn, r.watcher_type):
            raise ZooKeeperError(Code.NO_WATCHER, r.path)
        return b""
    if opcode == OpCode.GET_EPHEMERALS:
        prefix = (r.prefix_path or "").strip()
        mine = tree.ephemerals.get(session_id, set())
        chosen = sorted(p for p in mine if prefix in ("", "/") or p.startswith(prefix))
        return GetEphemeralsResponse(tuple(chosen)).serialize()
    if opcode == OpCode.GET_ALL_CHILDREN_NUMBER:
        node = tree.node(r.path)
        acl.check(node.acl, acl.READ, ids, r.path)
        return GetAllChildrenNumberResponse(tree.descendant_count(r.path)).serialize()
    assert opcode == OpCode.WHO_AM_I
    return WhoAmIResponse(tuple(_client_info(i) for i in ids if i.scheme in _USERS)).serialize()


def _set_watches(r: Any, tree: DataTree, watches: WatchTable, conn: int, notify: Notify) -> None:
    """A reconnected client's watches: each fires at once if it missed its event (the node
    changed after ``relative_zxid``, or is gone, or came), else is set again (ZooKeeper's
    ``DataTree.setWatches``)."""
    since = r.relative_zxid

    def again(paths: tuple[str, ...], stamp: str, changed: int, watch: Callable) -> None:
        for path in paths:
            node = tree.nodes.get(path)
            if node is None:
                notify(EventType.NODE_DELETED, path)
            elif getattr(node, stamp) > since:
                notify(changed, path)
            else:
                watch(path, conn)

    again(r.data_watches, "mzxid", EventType.NODE_DATA_CHANGED, watches.watch_data)
    for path in r.exist_watches:
        if path in tree.nodes:
            notify(EventType.NODE_CREATED, path)
        else:
            watches.watch_data(path, conn)
    again(r.child_watches, "pzxid", EventType.NODE_CHILDREN_CHANGED, watches.watch_children)
    for path in getattr(r, "persistent_watches", ()):
        watches.watch_persistent(path, conn, recursive=False)
    for path in getattr(r, "persistent_recursive_watches", ()):
        watches.watch_persistent(path, conn, recursive=True)


_USERS = {
    "digest": lambda id_: id_.split(":", 1)[0],
    "ip": lambda id_: id_,
}
"""Schemes whoAmI reports (those with a provider), and the user name each id stands for."""


def _client_info(i: Id) -> ClientInfo:
    return ClientInfo(i.scheme or "", _USERS[i.scheme or ""](i.id or ""))
