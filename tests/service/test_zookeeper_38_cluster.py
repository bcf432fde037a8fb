"""The operations of ZooKeeper 3.8 that kazoo does not send, against a cluster of real
processes, through a bare client written with our jute records: a recursive watch set at one
server hears of writes made at another; a used container and an expired TTL node are deleted
by the leader's reaper, everywhere."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from impl.jute.records import (
    AddWatchRequest,
    ConnectRequest,
    ConnectResponse,
    Create2Response,
    CreateContainerRequest,
    CreateTTLRequest,
    EventType,
    ReplyHeader,
    WatcherEvent,
)
from impl.server.local import FAST_TUNING, ClusterLayout, LocalCluster, wait_for
from impl.service.tree import OPEN_ACL
from tests.service.conftest import SERVICE


class BareClient:
    """One session over a socket: requests in, (xid, err, body) frames out."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self._send(ConnectRequest(0, 0, 10_000, 0, b"\0" * 16).serialize())
        response, _ = ConnectResponse.deserialize(self._frame())
        assert response.session_id != 0

    def _send(self, body: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(body)) + body)

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            assert chunk, "the server closed the connection"
            data += chunk
        return data

    def _frame(self) -> bytes:
        (n,) = struct.unpack(">i", self._read(4))
        return self._read(n)

    def next(self) -> tuple[int, int, bytes]:
        header, offset = ReplyHeader.deserialize(frame := self._frame())
        return header.xid, header.err, frame[offset:]

    def call(self, xid: int, request) -> tuple[int, bytes]:
        self._send(struct.pack(">ii", xid, request.type) + request.serialize())
        while True:
            got, err, body = self.next()
            if got == xid:
                return err, body

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def reaping_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    service = dict(SERVICE, container_check_ms=200)
    layout = ClusterLayout.on_free_ports(3, tuning=FAST_TUNING, service=service)
    cluster = LocalCluster(layout, Path(tmp_path_factory.mktemp("zk38")))
    cluster.start_all()
    try:
        wait_for(cluster.leader, 30, "a leader")
        yield cluster
    finally:
        cluster.stop_all()


def test_a_recursive_watch_hears_writes_made_at_another_server(
    reaping_cluster: LocalCluster, kazoo
) -> None:
    ports = reaping_cluster.layout.client_ports
    watcher = BareClient(ports[1])
    try:
        assert watcher.call(1, AddWatchRequest("/r", 1))[0] == 0
        writer = kazoo(f"127.0.0.1:{ports[2]}")
        writer.create("/r")
        writer.create("/r/a")
        writer.set("/r/a", b"x")
        writer.delete("/r/a")
        seen = []
        while len(seen) < 4:
            xid, _, body = watcher.next()
            assert xid == -1
            event = WatcherEvent.deserialize(body)[0]
            seen.append((event.type, event.path))
        assert seen == [
            (EventType.NODE_CREATED, "/r"),
            (EventType.NODE_CREATED, "/r/a"),
            (EventType.NODE_DATA_CHANGED, "/r/a"),
            (EventType.NODE_DELETED, "/r/a"),
        ]
    finally:
        watcher.close()


def test_the_leader_reaps_containers_and_ttl_nodes(reaping_cluster: LocalCluster, kazoo) -> None:
    ports = reaping_cluster.layout.client_ports
    maker = BareClient(ports[3])
    try:
        err, body = maker.call(1, CreateContainerRequest("/box", b"", OPEN_ACL, 4))
        assert err == 0 and Create2Response.deserialize(body)[0].path == "/box"
        assert maker.call(2, CreateTTLRequest("/brief", b"", OPEN_ACL, 5, 300))[0] == 0
    finally:
        maker.close()
    zk = kazoo(reaping_cluster.connect_string())
    zk.create("/box/item")
    zk.delete("/box/item")
    wait_for(lambda: zk.exists("/box") is None and zk.exists("/brief") is None, 15, "reaping")
