"""Recorded runs of real server processes on loopback (one trace file per server).

Each scenario starts a cluster recording its steps (``LocalCluster`` with ``trace_run``),
writes through it, kills a server with ``kill -9`` (``LocalCluster.kill`` appends the
``NodeCrash`` the dead process cannot record), restarts it and writes again, then stops every
server. The traces land in ``<directory>/trace/server<id>.jsonl``.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from impl.server.local import FAST_TUNING, ClusterLayout, LocalCluster, wait_for


def _write(cluster: LocalCluster, data: str, timeout: float = 20.0) -> str:
    """Write through the leader the running servers agree on, retrying while they elect;
    the zxid."""
    running = [s for s, p in cluster.processes.items() if p.poll() is None]

    def attempt() -> str | None:
        leader = cluster.leader(running)
        reply = cluster.write(leader, data, timeout=3.0) if leader else None
        return reply["zxid"] if reply and reply["ok"] else None

    return wait_for(attempt, timeout, f"write {data!r}", poll=0.1)


def _writes(cluster: LocalCluster, prefix: str, count: int) -> None:
    for n in range(count):
        _write(cluster, f"{prefix}{n}")


def follower_restart(cluster: LocalCluster) -> None:
    """Writes; a follower is killed; writes without it; it restarts and syncs (DIFF)."""
    leader = wait_for(cluster.leader, 20, "a leader")
    _writes(cluster, "a", 2)
    follower = next(s for s in cluster.layout.servers if s != leader)
    cluster.kill(follower, signal.SIGKILL)
    _writes(cluster, "b", 2)
    cluster.start(follower)
    wait_for(cluster.leader, 20, "every server in broadcast")
    _writes(cluster, "c", 1)


def leader_restart(cluster: LocalCluster) -> None:
    """Writes; the leader is killed; the others elect a new one and take writes; the old
    leader restarts and follows."""
    leader = wait_for(cluster.leader, 20, "a leader")
    _writes(cluster, "a", 2)
    cluster.kill(leader, signal.SIGKILL)
    others = [s for s in cluster.layout.servers if s != leader]
    wait_for(lambda: cluster.leader(others), 20, "a new leader")
    _writes(cluster, "b", 2)
    cluster.start(leader)
    wait_for(cluster.leader, 20, "every server in broadcast")
    _writes(cluster, "c", 1)


PROCESS_SCENARIOS: dict[str, Callable[[LocalCluster], None]] = {
    "follower-restart": follower_restart,
    "leader-restart": leader_restart,
}


def record_process_run(
    scenario: str, directory: Path, *, run: str | None = None, voters: int = 3
) -> list[Path]:
    """Run ``scenario`` on a fresh recording cluster under ``directory``; its trace files."""
    layout = ClusterLayout.on_free_ports(
        voters, tuning=dict(FAST_TUNING), application="txnlist", trace_run=run or scenario
    )
    cluster = LocalCluster(layout, directory)
    cluster.start_all()
    try:
        PROCESS_SCENARIOS[scenario](cluster)
    finally:
        cluster.stop_all()
    return [cluster.trace_path(sid) for sid in layout.servers]
