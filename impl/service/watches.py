"""One server's watches, per client connection: one-shot data and child watches (set by reads),
and the persistent and persistent-recursive watches of ``addWatch`` (ZooKeeper's
``WatchManager`` with its ``WatcherMode``).

Watches are local (ZooKeeper keeps them where the client is connected); the events that fire
them come from applying txns, in zxid order, on every server. A data-side watch hears of its
node being created, changed or deleted; a child-side watch of its children changing and of
its node being deleted. A persistent watch is both, and stays; a recursive one is data-side
only, for the node and everything under it, and stays. One event reaches a connection at most
once, however many of its watches it fires.
"""

from __future__ import annotations

from impl.jute.records import EventType, WatcherType
from impl.service.paths import parent_of

Table = dict[str, set[int]]


class WatchTable:
    def __init__(self) -> None:
        self.data: Table = {}
        """Path -> connections watching its data once (set by getData, or by exists)."""
        self.child: Table = {}
        """Path -> connections watching its children once (set by getChildren)."""
        self.persistent_data: Table = {}
        self.persistent_child: Table = {}
        """The two sides of ``addWatch(PERSISTENT)``, apart (removeWatches takes one side)."""
        self.recursive: Table = {}
        """``addWatch(PERSISTENT_RECURSIVE)``: the node and its subtree, data side only."""

    def watch_data(self, path: str, conn: int) -> None:
        self.data.setdefault(path, set()).add(conn)

    def watch_children(self, path: str, conn: int) -> None:
        self.child.setdefault(path, set()).add(conn)

    def watch_persistent(self, path: str, conn: int, recursive: bool) -> None:
        if recursive:
            self.recursive.setdefault(path, set()).add(conn)
        else:
            self.persistent_data.setdefault(path, set()).add(conn)
            self.persistent_child.setdefault(path, set()).add(conn)

    def fire(self, event_type: int, path: str) -> list[int]:
        """The connections to notify of this event, in order; one-shot watches are used up."""
        conns: set[int] = set()
        if event_type != EventType.NODE_CHILDREN_CHANGED:
            conns |= self.data.pop(path, set())
            conns |= self.persistent_data.get(path, set())
            if self.recursive:
                at = path
                while True:
                    conns |= self.recursive.get(at, set())
                    if at == "/":
                        break
                    at = parent_of(at)
        if event_type in (EventType.NODE_CHILDREN_CHANGED, EventType.NODE_DELETED):
            conns |= self.child.pop(path, set())
            conns |= self.persistent_child.get(path, set())
        return sorted(conns)

    def _sides(self, watcher_type: int) -> tuple[Table, ...]:
        data = (self.data, self.persistent_data, self.recursive)
        child = (self.child, self.persistent_child)
        if watcher_type == WatcherType.DATA:
            return data
        if watcher_type == WatcherType.CHILDREN:
            return child
        return data + child

    def has(self, path: str, conn: int, watcher_type: int) -> bool:
        """Does ``conn`` watch ``path`` in this way (checkWatches)?"""
        return any(conn in table.get(path, ()) for table in self._sides(watcher_type))

    def remove(self, path: str, conn: int, watcher_type: int) -> bool:
        """Drop ``conn``'s watches of this type on ``path`` (removeWatches); were there any?"""
        removed = False
        for table in self._sides(watcher_type):
            conns = table.get(path)
            if conns and conn in conns:
                removed = True
                conns.discard(conn)
                if not conns:
                    del table[path]
        return removed

    def forget(self, conn: int) -> None:
        """A connection closed: drop its watches."""
        for table in self._sides(WatcherType.ANY):
            for path in [p for p, conns in table.items() if conn in conns]:
                conns = table[path]
                conns.discard(conn)
                if not conns:
                    del table[path]

    def empty(self) -> bool:
        """No watch of any kind is set here."""
        return not any(self._sides(WatcherType.ANY))

    def count(self) -> int:
        return sum(sum(map(len, table.values())) for table in self._sides(WatcherType.ANY))
