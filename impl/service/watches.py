"""One server's watches: one-shot data and child watches, by path, per client connection.

Watches are local (ZooKeeper keeps them where the client is connected); the events that fire
them come from applying txns, in zxid order, on every server.
"""

from __future__ import annotations

from impl.jute.records import EventType


class WatchTable:
    def __init__(self) -> None:
        self.data: dict[str, set[int]] = {}
        """Path -> connections watching its data (set by getData, or by exists)."""
        self.child: dict[str, set[int]] = {}
        """Path -> connections watching its children (set by getChildren)."""

    def watch_data(self, path: str, conn: int) -> None:
        self.data.setdefault(path, set()).add(conn)

    def watch_children(self, path: str, conn: int) -> None:
        self.child.setdefault(path, set()).add(conn)

    def fire(self, event_type: int, path: str) -> list[int]:
        """The connections to notify of this event, in order; their watches are used up. A
        deleted node's data and child watchers hear of it once."""
        conns: set[int] = set()
        if event_type != EventType.NODE_CHILDREN_CHANGED:
            conns |= self.data.pop(path, set())
        if event_type in (EventType.NODE_CHILDREN_CHANGED, EventType.NODE_DELETED):
            conns |= self.child.pop(path, set())
        return sorted(conns)

    def forget(self, conn: int) -> None:
        """A connection closed: drop its watches."""
        for table in (self.data, self.child):
            for path in [p for p, conns in table.items() if conn in conns]:
                conns = table[path]
                conns.discard(conn)
                if not conns:
                    del table[path]

    def count(self) -> int:
        return sum(map(len, self.data.values())) + sum(map(len, self.child.values()))
