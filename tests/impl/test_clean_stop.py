"""Stopping cleanly: a server on SIGTERM logs one line and exits 0, with peers and a ZooKeeper
client connected; ``zabmc cluster up`` on SIGTERM or SIGHUP stops the servers it started (they
run in sessions of their own, so nothing else would)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from impl.server.local import FAST_TUNING, ClusterLayout, LocalCluster, wait_for


def test_a_server_on_sigterm_logs_one_line_and_exits_0(tmp_path: Path) -> None:
    layout = ClusterLayout.on_free_ports(3, tuning=FAST_TUNING)
    cluster = LocalCluster(layout, tmp_path)
    cluster.start_all()
    client = None
    try:
        leader = wait_for(cluster.leader, 30, "a leader")
        client = KazooClient(f"127.0.0.1:{layout.client_ports[leader]}")
        client.start(timeout=15)
        client.create("/before-stop", b"x")
        for sid in [leader] + [s for s in layout.servers if s != leader]:
            out = tmp_path / f"server{sid}.out"
            before = out.read_text()
            process = cluster.processes[sid]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
            after = out.read_text()[len(before) :].splitlines()
            assert len(after) == 1 and after[0].endswith(" INFO stopping"), after
    finally:
        if client is not None:
            client.stop()
            client.close()
        cluster.stop_all()


def _alive_under(directory: Path) -> list[int]:
    """Processes whose command line names ``directory`` (the cluster's servers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(directory) in cmdline and "impl.server" in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_cluster_up_stops_its_servers_on_sigterm_and_sighup(tmp_path: Path, sig: int) -> None:
    command = "import sys; from zabmc.cli.main import main; sys.exit(main(sys.argv[1:]))"
    up = subprocess.Popen(
        [sys.executable, "-c", command, "cluster", "up", "--nodes", "3", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert up.stdout is not None
        lines = []
        for line in up.stdout:
            lines.append(line)
            if "stops every server" in line:
                break
        assert "stops every server" in lines[-1], "".join(lines)
        assert len(_alive_under(tmp_path)) == 3
        up.send_signal(sig)
        assert up.wait(timeout=30) == 0
        assert _alive_under(tmp_path) == []
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        for pid in _alive_under(tmp_path):
            os.kill(pid, signal.SIGKILL)
