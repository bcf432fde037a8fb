"""Bad input to real server processes: garbage on a peer socket, a corrupt or torn log, a bad
configuration. Each gives one clear line, never a traceback, and loses no intact data."""

from __future__ import annotations

import random
import socket
import struct
import subprocess
import sys
from pathlib import Path

from impl.server.local import HOST, LocalCluster, wait_for
from impl.storage.txnlog import list_segments

from .test_cluster import committed_everywhere, write_ok


def run_server(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "impl.server", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def outputs(cluster: LocalCluster) -> str:
    return "".join(p.read_text() for p in cluster.directory.glob("server*.out"))


def test_garbage_on_a_peer_socket_closes_only_that_connection(cluster_factory) -> None:
    cluster = cluster_factory(3)
    cluster.start_all()
    leader = wait_for(cluster.leader, 20, "a leader")
    rng = random.Random(4)
    oversized = struct.pack(">IB", 1 << 30, 0)
    for payload in (rng.randbytes(4096), oversized, b"\x00\x00\x00\x03\x00ZA"):
        with socket.create_connection((HOST, cluster.layout.peer_ports[leader])) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(10)
            try:
                while s.recv(4096):
                    pass  # the server answers with its Hello, then closes
            except OSError:
                pass
    write_ok(cluster, leader, "still-serving")
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 1), 10, "the write to commit")
    log = cluster.log_path(leader).read_text()
    assert "malformed data" in log and "exceeds the limit of 1048576" in log
    assert "Traceback" not in outputs(cluster)


def stopped_after_writes(cluster: LocalCluster, writes: int, victim: int) -> Path:
    """Commit ``writes`` txns everywhere, kill -9 ``victim``; returns its log segment."""
    cluster.start_all()
    wait_for(cluster.leader, 20, "a leader")
    for i in range(writes):
        write_ok(cluster, 1, f"w{i}")
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], writes), 10, "the writes")
    cluster.kill(victim)
    (segment,) = list_segments(cluster.data_dir(victim))
    return segment


def test_a_corrupt_log_record_stops_the_server_with_one_line(cluster_factory) -> None:
    cluster = cluster_factory(3)
    segment = stopped_after_writes(cluster, 6, victim=2)
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x55
    segment.write_bytes(bytes(data))
    result = run_server(cluster.config_path(2))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(segment) in lines[0] and "corrupt record at byte" in lines[0]
    assert segment.read_bytes() == bytes(data)


def test_a_torn_tail_is_cut_and_the_server_rejoins(cluster_factory) -> None:
    cluster = cluster_factory(3)
    segment = stopped_after_writes(cluster, 5, victim=3)
    intact = segment.stat().st_size
    with open(segment, "ab") as f:
        f.write(b"\x00\x00\x01\x00\xde\xad")  # a record header cut short by the crash
    cluster.start(3)
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 5), 20, "server 3 to rejoin")
    log = cluster.log_path(3).read_text()
    assert f"cut a torn tail of 6 bytes at byte {intact}" in log
    assert "kept 5 complete records" in log
    assert "Traceback" not in outputs(cluster)


def test_a_bad_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('id = 1\ndata_dir = "d"\n[servers.1]\npeer = "127.0.0.1:notaport"\n')
    result = run_server(config)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "servers.1.peer" in result.stderr and "Traceback" not in result.stderr
