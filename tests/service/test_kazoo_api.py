"""kazoo's core API against a real 3-server cluster of ours: nodes, versions, transactions,
watches, sync; and what each server says about itself."""

from __future__ import annotations

import threading

import pytest
from kazoo.exceptions import (
    BadVersionError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
)
from kazoo.protocol.states import EventType

from impl.server.local import LocalCluster, wait_for


@pytest.fixture
def zk(shared_cluster: LocalCluster, kazoo, request: pytest.FixtureRequest):
    """A client on every server of the shared cluster, under a root of its own."""
    client = kazoo(shared_cluster.connect_string())
    client.root = f"/{request.node.name}"
    client.ensure_path(client.root)
    return client


def test_create_get_set_delete_with_versions(zk) -> None:
    path = zk.create(f"{zk.root}/node", b"one")
    data, stat = zk.get(path)
    assert data == b"one" and stat.version == 0 and stat.dataLength == 3
    assert stat.czxid == stat.mzxid and stat.ctime == stat.mtime and stat.ctime > 0
    with pytest.raises(BadVersionError):
        zk.set(path, b"two", version=5)
    stat2 = zk.set(path, b"two", version=0)
    assert stat2.version == 1 and stat2.mzxid > stat.mzxid and stat2.czxid == stat.czxid
    assert stat2.mtime >= stat.mtime
    with pytest.raises(NodeExistsError):
        zk.create(path)
    with pytest.raises(NoNodeError):
        zk.create(f"{zk.root}/missing/child")
    with pytest.raises(BadVersionError):
        zk.delete(path, version=0)
    zk.create(f"{path}/child")
    with pytest.raises(NotEmptyError):
        zk.delete(path)
    zk.delete(path, recursive=True)
    assert zk.exists(path) is None
    with pytest.raises(NoNodeError):
        zk.get(path)


def test_ephemeral_and_sequential_nodes(zk, kazoo, shared_cluster: LocalCluster) -> None:
    other = kazoo(shared_cluster.connect_string())
    made = [other.create(f"{zk.root}/s-", b"", sequence=True) for _ in range(3)]
    assert made == [f"{zk.root}/s-{n:010d}" for n in range(3)]
    eph = other.create(f"{zk.root}/e-", b"x", ephemeral=True, sequence=True)
    assert eph == f"{zk.root}/e-0000000003"  # the parent's cversion counts every child made
    zk.sync(zk.root)  # zk may be on another server: sync makes it see what other wrote
    stat = zk.exists(eph)
    assert stat.ephemeralOwner == other.client_id[0] != 0
    with pytest.raises(NoChildrenForEphemeralsError):
        other.create(f"{eph}/child")
    parent = zk.exists(zk.root)
    assert parent.numChildren == 4 and parent.cversion == 4 and parent.pzxid == stat.czxid
    other.stop()  # closing the session deletes its ephemeral nodes, at once, everywhere
    zk.sync(zk.root)
    assert zk.exists(eph) is None
    assert sorted(zk.get_children(zk.root)) == sorted(p.rsplit("/", 1)[1] for p in made)


def test_children_with_stat_and_acl(zk) -> None:
    for name in ("b", "a", "c"):
        zk.create(f"{zk.root}/{name}")
    children, stat = zk.get_children(zk.root, include_data=True)
    assert sorted(children) == ["a", "b", "c"] and stat.numChildren == 3
    acl, acl_stat = zk.get_acls(f"{zk.root}/a")
    assert acl[0].id.scheme == "world" and acl[0].perms == 31
    zk.set_acls(f"{zk.root}/a", acl)
    assert zk.get_acls(f"{zk.root}/a")[1].aversion == acl_stat.aversion + 1


def test_transactions_are_all_or_nothing(zk) -> None:
    t = zk.transaction()
    t.create(f"{zk.root}/t1", b"a")
    t.create(f"{zk.root}/t2", b"b")
    t.set_data(f"{zk.root}/t1", b"c")
    t.check(f"{zk.root}/t1", 1)
    results = t.commit()
    assert results[:2] == [f"{zk.root}/t1", f"{zk.root}/t2"] and results[2].version == 1
    assert results[3] is True and zk.get(f"{zk.root}/t1")[0] == b"c"
    t = zk.transaction()
    t.create(f"{zk.root}/t3")
    t.delete(f"{zk.root}/t2")
    t.check(f"{zk.root}/t1", 7)
    t.set_data(f"{zk.root}/t1", b"never")
    results = t.commit()
    assert [type(r).__name__ for r in results] == [
        "RolledBackError",
        "RolledBackError",
        "BadVersionError",
        "RuntimeInconsistency",
    ]
    assert isinstance(results[0], RolledBackError)
    assert zk.exists(f"{zk.root}/t3") is None and zk.exists(f"{zk.root}/t2") is not None
    assert zk.get(f"{zk.root}/t1") == (b"c", zk.exists(f"{zk.root}/t1"))


def test_data_and_children_watches_fire_once_and_in_order(zk, kazoo, shared_cluster) -> None:
    writer = kazoo(shared_cluster.connect_string())
    path = f"{zk.root}/w"
    events: list[tuple[str, str]] = []
    fired = threading.Event()

    def record(event) -> None:
        events.append((event.type, event.path))
        fired.set()

    assert zk.exists(path, watch=record) is None
    writer.create(path, b"1")
    wait_for(fired.is_set, 10, "the exists watch")
    zk.get(path, watch=record)
    zk.get_children(path, watch=record)
    writer.set(path, b"2")
    writer.set(path, b"3")  # the data watch was used up by the first change
    writer.create(f"{path}/c")
    zk.sync(path)
    assert zk.get(path)[0] == b"3"
    assert events == [
        (EventType.CREATED, path),
        (EventType.CHANGED, path),
        (EventType.CHILD, path),
    ]


def test_datawatch_and_childrenwatch_follow_every_change(zk, kazoo, shared_cluster) -> None:
    writer = kazoo(shared_cluster.connect_string())
    path = f"{zk.root}/watched"
    seen_data: list[bytes | None] = []
    seen_children: list[list[str]] = []
    zk.DataWatch(path, lambda data, stat: seen_data.append(data))
    zk.ensure_path(path)
    zk.ChildrenWatch(path, lambda children: seen_children.append(sorted(children)))
    for value in (b"a", b"b", b"c"):
        writer.set(path, value)
        wait_for(lambda v=value: seen_data and seen_data[-1] == v, 10, f"DataWatch sees {value}")
    writer.create(f"{path}/x")
    writer.create(f"{path}/y")
    wait_for(lambda: seen_children[-1] == ["x", "y"], 10, "ChildrenWatch sees x and y")
    writer.delete(f"{path}/x")
    wait_for(lambda: seen_children[-1] == ["y"], 10, "ChildrenWatch sees x go")
    assert seen_data[0] is None and seen_data[-1] == b"c"
    assert seen_children[0] == []


def test_a_write_at_one_server_is_read_at_another_after_sync(zk, kazoo, shared_cluster) -> None:
    ports = shared_cluster.layout.client_ports
    a, b = (kazoo(f"127.0.0.1:{ports[s]}") for s in (1, 2))
    for n in range(20):
        a.create(f"{zk.root}/n{n}", str(n).encode())
        b.sync(f"{zk.root}/n{n}")
        assert b.get(f"{zk.root}/n{n}")[0] == str(n).encode()


def test_four_letter_words(zk, shared_cluster: LocalCluster) -> None:
    assert zk.command(b"ruok") == "imok"
    assert zk.server_version()[:2] == (3, 8)
    modes = set()
    for sid in shared_cluster.layout.servers:
        mntr = _four_letter(shared_cluster, sid, b"mntr")
        rows = dict(line.split("\t", 1) for line in mntr.splitlines())
        modes.add(rows["zk_server_state"])
        assert int(rows["zk_znode_count"]) >= 4
        assert "Mode: " in _four_letter(shared_cluster, sid, b"srvr")
        assert "Clients:" in _four_letter(shared_cluster, sid, b"stat")
    assert sorted(modes) == ["follower", "leader"]


def _four_letter(cluster: LocalCluster, sid: int, word: bytes) -> str:
    import socket

    with socket.create_connection(("127.0.0.1", cluster.layout.client_ports[sid]), 5) as s:
        s.sendall(word)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()
