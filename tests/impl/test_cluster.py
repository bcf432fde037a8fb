"""Real server processes on loopback: election, replication, failover, the three sync modes,
and a minority partition (through fault-injecting proxies)."""

from __future__ import annotations

import signal

from impl.server.local import LocalCluster, wait_for

from .conftest import ProxiedCluster


def committed_everywhere(cluster: LocalCluster, servers: list[int], count: int) -> bool:
    logs = [cluster.entries(s) for s in servers]
    return all(log is not None and len(log) >= count for log in logs) and all(
        log == logs[0] for log in logs
    )


def write_ok(cluster: LocalCluster, sid: int, data: str, timeout: float = 20.0) -> str:
    """Write through ``sid``, retrying while the cluster elects; returns the zxid."""

    def attempt() -> str | None:
        reply = cluster.write(sid, data, timeout=3.0)
        return reply["zxid"] if reply and reply["ok"] else None

    return wait_for(attempt, timeout, f"write {data!r} through server {sid}", poll=0.2)


def new_leader(cluster: LocalCluster, among: list[int], old: int) -> int:
    """Wait until the servers ``among`` agree on a leader other than ``old``."""

    def elected() -> int | None:
        leader = cluster.leader(among)
        return leader if leader not in (None, old) else None

    return wait_for(elected, 20, f"a leader other than {old} among {among}")


def sync_mode(cluster: LocalCluster, sid: int) -> str | None:
    status = cluster.status(sid)
    return status["sync_mode"] if status and status["phase"] == "BROADCAST" else None


def test_three_servers_elect_one_leader_and_commit_writes_in_one_order(cluster_factory) -> None:
    cluster = cluster_factory(3)
    cluster.start_all()
    leader = wait_for(cluster.leader, 20, "a leader")
    statuses = [cluster.status(s) for s in (1, 2, 3)]
    assert [s["role"] for s in statuses].count("LEADING") == 1
    assert {s["current_epoch"] for s in statuses} == {1}
    written = {}
    for i in range(30):
        sid = 1 + i % 3
        written[f"w{i}"] = write_ok(cluster, sid, f"w{i}")
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 30), 10, "all servers to commit")
    log = cluster.entries(leader)
    assert sorted(data for _, data in log) == sorted(written)
    assert {data: zxid for zxid, data in log} == written
    zxids = [zxid for zxid, _ in log]
    assert zxids == [f"1:{n}" for n in range(1, 31)]


def test_kill_9_of_the_leader_loses_no_acknowledged_write(cluster_factory) -> None:
    cluster = cluster_factory(3)
    cluster.start_all()
    old = wait_for(cluster.leader, 20, "a leader")
    acked = [write_ok(cluster, 1 + i % 3, f"before{i}") and f"before{i}" for i in range(15)]
    cluster.kill(old, signal.SIGKILL)
    rest = [s for s in (1, 2, 3) if s != old]
    new = new_leader(cluster, rest, old)
    acked += [write_ok(cluster, rest[i % 2], f"after{i}") and f"after{i}" for i in range(15)]
    wait_for(lambda: committed_everywhere(cluster, rest, 30), 10, "the survivors to agree")
    # Every acknowledged write is there (a retried write may stand twice: its first try's
    # outcome was unknown, so it may have committed too).
    assert {d for _, d in cluster.entries(new)} == set(acked)
    cluster.start(old)
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 30), 20, "the old leader to catch up")
    assert cluster.status(old)["role"] == "FOLLOWING"
    assert cluster.entries(old) == cluster.entries(new)


def test_restarted_follower_syncs_by_diff_and_by_snap(cluster_factory) -> None:
    cluster = cluster_factory(3, snapshot_every=5)
    cluster.start_all()
    leader = wait_for(cluster.leader, 20, "a leader")
    follower = next(s for s in (1, 2, 3) if s != leader)
    write_ok(cluster, leader, "first")
    # Behind by two txns, within the leader's in-memory log: DIFF.
    cluster.kill(follower)
    write_ok(cluster, leader, "second")
    write_ok(cluster, leader, "third")
    cluster.start(follower)
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 3), 20, "catch-up by DIFF")
    assert sync_mode(cluster, follower) == "DIFF"
    # Behind by more than two snapshots' worth: the leader sends its snapshot.
    cluster.kill(follower)
    for i in range(16):
        write_ok(cluster, leader, f"bulk{i}")
    cluster.start(follower)
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 19), 20, "catch-up by SNAP")
    assert sync_mode(cluster, follower) == "SNAP"
    assert "SNAP to" in cluster.log_path(follower).read_text()
    # After a SNAP the follower keeps replicating and survives its own restart.
    write_ok(cluster, follower, "after-snap")
    cluster.kill(follower)
    cluster.start(follower)
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 20), 20, "restart after SNAP")


def test_truncate_drops_a_proposal_the_new_leader_skipped(cluster_factory) -> None:
    cluster = cluster_factory(3, proxied=True)
    assert isinstance(cluster, ProxiedCluster)
    cluster.start_all()
    old = wait_for(cluster.leader, 20, "a leader")
    write_ok(cluster, old, "committed")
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 1), 10, "the first write")
    # The old leader logs a proposal no follower ever receives.
    for proxy in cluster.links_of(old):
        proxy.freeze()
    reply = cluster.write(old, "skipped", timeout=1.0)
    assert reply is not None and not reply["ok"]
    for proxy in cluster.links_of(old):
        proxy.cut()
    rest = [s for s in (1, 2, 3) if s != old]
    new_leader(cluster, rest, old)
    write_ok(cluster, rest[0], "new-epoch")
    for proxy in cluster.links_of(old):
        proxy.heal()
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 2), 20, "the old leader to rejoin")
    assert sync_mode(cluster, old) == "TRUNC"
    assert "dropped 1 uncommitted txns" in cluster.log_path(old).read_text()
    for sid in (1, 2, 3):
        assert [d for _, d in cluster.entries(sid)] == ["committed", "new-epoch"]


def test_minority_partition_majority_keeps_committing(cluster_factory) -> None:
    cluster = cluster_factory(3, proxied=True)
    assert isinstance(cluster, ProxiedCluster)
    cluster.start_all()
    leader = wait_for(cluster.leader, 20, "a leader")
    # Freeze every link of the leader: it hears nothing, so it must step down on its own.
    for proxy in cluster.links_of(leader):
        proxy.freeze()
    wait_for(
        lambda: (cluster.status(leader) or {}).get("role") == "LOOKING",
        10,
        "the leader to step down",
    )
    rest = [s for s in (1, 2, 3) if s != leader]
    new_leader(cluster, rest, leader)
    for i in range(10):
        write_ok(cluster, rest[i % 2], f"majority{i}")
    minority = cluster.write(leader, "minority", timeout=1.0)
    assert minority is not None and not minority["ok"]
    for proxy in cluster.links_of(leader):
        proxy.heal()
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3], 10), 20, "the minority to catch up")
    assert "minority" not in [d for _, d in cluster.entries(leader)]


def test_an_observer_follows_the_stream_without_voting(cluster_factory) -> None:
    cluster = cluster_factory(3, observers=1)
    cluster.start_all()
    wait_for(cluster.leader, 20, "a leader")
    for i in range(5):
        write_ok(cluster, 4 if i % 2 else 1, f"o{i}")
    wait_for(lambda: committed_everywhere(cluster, [1, 2, 3, 4], 5), 10, "the observer to commit")
    assert cluster.status(4)["role"] == "OBSERVING"
    # Two voters down: no quorum, even though the observer is up.
    followers = [s for s in (1, 2, 3) if cluster.status(s)["role"] == "FOLLOWING"]
    for sid in followers:
        cluster.kill(sid)
    reply = cluster.write(4, "no-quorum", timeout=1.0)
    assert reply is not None and not reply["ok"]
