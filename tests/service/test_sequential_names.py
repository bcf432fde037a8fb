"""Sequential names as ZooKeeper 3.8 gives them, step by step under one fresh parent, through
kazoo against a real cluster. The expected names and cversion are ZooKeeper's own, measured
with these steps on Debian's ZooKeeper 3.8.0 (issue 16's table; the same names again, and
cversion 9, on 3.8.0 standalone): only the creates under the parent count for a name, not
deletes, not failed creates, not the creates of a failed multi."""

from __future__ import annotations

import pytest
from kazoo.exceptions import NodeExistsError

from impl.server.local import LocalCluster

ZOOKEEPER_NAMES = ["n-0000000000", "n-0000000002", "n-0000000004", "n-0000000006"]


def test_sequential_names_are_zookeepers(shared_cluster: LocalCluster, kazoo) -> None:
    zk = kazoo(shared_cluster.connect_string())
    parent = "/sequential-names"
    zk.create(parent)
    names = []

    # a sequential create inside a multi that fails: nothing is created
    tx = zk.transaction()
    tx.create(f"{parent}/n-", sequence=True)
    tx.create(f"{parent}/missing/child")
    assert not all(r is True or isinstance(r, str) for r in tx.commit())

    names.append(zk.create(f"{parent}/n-", sequence=True))

    other = kazoo(shared_cluster.connect_string())  # an ephemeral node, gone with its session
    other.create(f"{parent}/e", ephemeral=True)
    other.stop()
    names.append(zk.create(f"{parent}/n-", sequence=True))

    zk.create(f"{parent}/d")
    zk.delete(f"{parent}/d")
    names.append(zk.create(f"{parent}/n-", sequence=True))

    zk.create(f"{parent}/d2")
    with pytest.raises(NodeExistsError):
        zk.create(f"{parent}/d2")
    names.append(zk.create(f"{parent}/n-", sequence=True))

    assert [n.rsplit("/", 1)[1] for n in names] == ZOOKEEPER_NAMES
    # the cversion a client sees counts creates and deletes (7 + 2), as ZooKeeper 3.8 shows it
    assert zk.exists(parent).cversion == 9
    # ZooKeeper's own /zookeeper was not created by a create: 2 * 0 - 1 child (3.8 has a
    # second, /zookeeper/config, and shows -2)
    assert zk.exists("/zookeeper").cversion == -1
