"""Fixtures for the implementation's tests: local clusters of real server processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from impl.net.proxy import FaultyProxy
from impl.server.local import FAST_TUNING, HOST, ClusterLayout, LocalCluster, free_ports


class ProxiedCluster(LocalCluster):
    """A cluster whose every peer link runs through a :class:`FaultyProxy`."""

    proxies: dict[tuple[int, int], FaultyProxy]

    def links_of(self, sid: int) -> list[FaultyProxy]:
        return [p for pair, p in self.proxies.items() if sid in pair]


@pytest.fixture
def cluster_factory(tmp_path: Path) -> Iterator[Callable[..., LocalCluster]]:
    made: list[LocalCluster] = []
    proxies: list[FaultyProxy] = []

    def make(
        voters: int = 3, observers: int = 0, proxied: bool = False, **tuning: int
    ) -> LocalCluster:
        layout = ClusterLayout.on_free_ports(
            voters, observers, tuning={**FAST_TUNING, **tuning}, application="txnlist"
        )
        cluster: LocalCluster
        if proxied:
            pairs = [(a, b) for a in layout.servers for b in layout.servers if a < b]
            ports = free_ports(len(pairs))
            cluster_proxies = {}
            for (a, b), port in zip(pairs, ports, strict=True):
                # b dials a; it reaches a through the proxy
                layout.dial.setdefault(b, {})[a] = port
                proxy = FaultyProxy((HOST, port), (HOST, layout.peer_ports[a])).start()
                cluster_proxies[a, b] = proxy
                proxies.append(proxy)
            cluster = ProxiedCluster(layout, tmp_path / f"cluster{len(made)}")
            cluster.proxies = cluster_proxies
        else:
            cluster = LocalCluster(layout, tmp_path / f"cluster{len(made)}")
        made.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in made:
            cluster.stop_all()
        for proxy in proxies:
            proxy.stop()
