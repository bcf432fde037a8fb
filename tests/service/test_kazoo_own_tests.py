"""kazoo's own tests (``kazoo/tests``, as kazoo ships them), run against a cluster of our
servers: kazoo's harness asks ``kazoo.testing.harness.get_global_cluster`` for the servers, and
here it gets ours (configured as kazoo's harness configures ZooKeeper: the super digest of
``super:test``)."""

from __future__ import annotations

import unittest
from collections.abc import Iterator
from pathlib import Path

import kazoo.testing.harness as harness
import kazoo.tests.test_client as kazoo_client_tests
import pytest

from impl.server.local import FAST_TUNING, ClusterLayout, LocalCluster, wait_for
from impl.service.auth import digest
from tests.service.conftest import SERVICE


class _Server:
    """What kazoo's harness reads of one server."""

    running = True

    def __init__(self, port: int) -> None:
        self.address = f"127.0.0.1:{port}"


class _Cluster(list):
    """kazoo's ``ZookeeperCluster`` as its tests use it: servers, and a no-op terminate (the
    fixture stops the real cluster)."""

    def start(self) -> None:
        pass

    def terminate(self) -> None:
        pass

    def get_logs(self) -> list[str]:
        return []


@pytest.fixture(scope="module")
def kazoo_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    service = dict(SERVICE, super_digest=digest("super:test"))
    layout = ClusterLayout.on_free_ports(3, tuning=FAST_TUNING, service=service)
    cluster = LocalCluster(layout, Path(tmp_path_factory.mktemp("kazoo-own")))
    cluster.start_all()
    ours = _Cluster(_Server(layout.client_ports[s]) for s in layout.servers)
    saved = harness.get_global_cluster
    harness.get_global_cluster = lambda: ours
    try:
        wait_for(cluster.leader, 30, "a leader")
        yield
    finally:
        harness.get_global_cluster = saved
        cluster.stop_all()


def _run(case: type[unittest.TestCase], name: str) -> None:
    result = unittest.TestResult()
    case(name).run(result)
    problems = [text for _, text in result.errors + result.failures]
    assert not problems, "\n".join(problems)
    assert result.testsRun == 1 and not result.skipped


AUTHENTICATION = ["test_auth", "test_connect_auth", "test_unicode_auth", "test_async_auth_failure"]
AUTHENTICATION += ["test_async_auth", "test_invalid_auth", "test_add_auth_on_reconnect"]
CLIENT = ["test_create_acl_duplicate", "test_create_makepath_incompatible_acls"]
CLIENT += ["test_create_acl_empty_list", "test_create_unicode_path", "test_create_no_makepath"]


@pytest.mark.parametrize("name", AUTHENTICATION)
def test_kazoo_authentication(kazoo_harness: None, name: str) -> None:
    _run(kazoo_client_tests.TestAuthentication, name)


@pytest.mark.parametrize("name", CLIENT)
def test_kazoo_client_acls(kazoo_harness: None, name: str) -> None:
    _run(kazoo_client_tests.TestClient, name)
