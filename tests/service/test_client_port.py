"""Bad bytes on a real server's client port: the connection that sent them is closed with a
logged reason; the server and every other session carry on."""

from __future__ import annotations

import socket

import pytest

from impl.server.local import LocalCluster, wait_for


def send_and_read(port: int, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("garbage", "logged"),
    [
        ((2**20 + 1).to_bytes(4, "big") + b"x" * 1000, "exceeds the limit of 1048576 bytes"),
        (b"\xff\xff\xff\xfe", "frame length -2 at byte 0"),
        (b"\x00\x00\x00\x03abc", "malformed frame at byte 0"),
        # a ConnectRequest whose password claims 2 GiB
        (b"\x00\x00\x00\x2d" + b"\x00" * 24 + b"\x7f\x00\x00\x00" + b"\x00" * 17, "bad buffer"),
    ],
)
def test_garbage_closes_only_its_connection(
    garbage: bytes, logged: str, shared_cluster: LocalCluster, kazoo
) -> None:
    sid = shared_cluster.layout.servers[0]
    port = shared_cluster.layout.client_ports[sid]
    zk = kazoo(f"127.0.0.1:{port}")
    zk.ensure_path("/bad-input")
    assert send_and_read(port, garbage) == b""
    wait_for(lambda: logged in shared_cluster.log_path(sid).read_text(), 10, "the logged reason")
    zk.create("/bad-input/after", sequence=True)  # the other session is unaffected
    assert shared_cluster.processes[sid].poll() is None
    assert send_and_read(port, b"ruok") == b"imok"


def test_json_status_and_zookeeper_share_the_client_port(shared_cluster: LocalCluster) -> None:
    for sid in shared_cluster.layout.servers:
        status = shared_cluster.status(sid)
        assert status is not None and status["application"] == "zookeeper"
    reply = shared_cluster.call(1, {"op": "write", "data": "x"})
    assert reply == {"ok": False, "error": "bad request: 'write' needs application txnlist"}
