"""Fixtures for the ZooKeeper service's tests: real 3-server clusters of ours and kazoo clients
(every cluster and client is stopped at the end, whatever happens)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from impl.server.local import FAST_TUNING, ClusterLayout, LocalCluster, wait_for

SERVICE = {"min_session_timeout_ms": 500, "tick_ms": 50}


def start_cluster(directory: Path, voters: int = 3) -> LocalCluster:
    layout = ClusterLayout.on_free_ports(voters, tuning=FAST_TUNING, service=SERVICE)
    cluster = LocalCluster(layout, directory)
    cluster.start_all()
    try:
        wait_for(cluster.leader, 30, "a leader")
    except BaseException:
        cluster.stop_all()
        raise
    return cluster


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One cluster for the tests of a module that do not break it."""
    cluster = start_cluster(tmp_path_factory.mktemp("zk"))
    try:
        yield cluster
    finally:
        cluster.stop_all()


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[Callable[[], LocalCluster]]:
    """A fresh cluster for a test that kills servers."""
    made: list[LocalCluster] = []

    def make() -> LocalCluster:
        made.append(start_cluster(tmp_path / f"zk{len(made)}"))
        return made[-1]

    try:
        yield make
    finally:
        for cluster in made:
            cluster.stop_all()


@pytest.fixture
def kazoo() -> Iterator[Callable[..., KazooClient]]:
    """``kazoo(hosts, **options)``: a started client, stopped and closed after the test."""
    clients: list[KazooClient] = []

    def connect(hosts: str, timeout: float = 10.0, **options: object) -> KazooClient:
        client = KazooClient(hosts=hosts, timeout=timeout, **options)
        clients.append(client)
        client.start(timeout=15)
        return client

    try:
        yield connect
    finally:
        for client in clients:
            try:
                client.stop()
            finally:
                client.close()
