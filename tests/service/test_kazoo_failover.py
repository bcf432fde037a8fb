"""Servers die under kazoo clients: a session survives the loss of its server (even the
leader), and a session that nobody hears from expires and releases its locks."""

from __future__ import annotations

import threading

from kazoo.protocol.states import KazooState

from impl.server.local import LocalCluster, wait_for


def hosts(cluster: LocalCluster, first: int) -> str:
    """The connect string with ``first`` first (the client tries the list in order)."""
    order = [first] + [s for s in cluster.layout.servers if s != first]
    return cluster.connect_string(order)


def test_a_client_whose_server_dies_reconnects_elsewhere_with_its_session(
    own_cluster, kazoo
) -> None:
    cluster = own_cluster()
    leader = wait_for(cluster.leader, 30, "a leader")
    client = kazoo(hosts(cluster, leader), randomize_hosts=False)
    states: list[str] = []
    client.add_listener(states.append)
    session = client.client_id
    assert client._connection._socket.getpeername()[1] == cluster.layout.client_ports[leader]
    client.create("/mine", b"eph", ephemeral=True)
    changes: list[bytes | None] = []
    client.DataWatch("/watched", lambda data, stat: changes.append(data))

    cluster.kill(leader)  # the server this client is connected to, and the leader
    others = [s for s in cluster.layout.servers if s != leader]
    wait_for(lambda: cluster.leader(others), 30, "a new leader")
    wait_for(lambda: client.connected and states[-1] == KazooState.CONNECTED, 30, "reconnect")

    assert client.client_id == session
    assert KazooState.SUSPENDED in states and KazooState.LOST not in states
    port = client._connection._socket.getpeername()[1]
    assert port in [cluster.layout.client_ports[s] for s in others]
    assert client.get("/mine")[1].ephemeralOwner == session[0]
    client.create("/watched", b"after")  # the DataWatch was set again on the new server
    wait_for(lambda: changes and changes[-1] == b"after", 10, "the DataWatch")


def test_an_expired_session_releases_its_lock_and_its_client_learns_it(own_cluster, kazoo) -> None:
    cluster = own_cluster()
    leader = wait_for(cluster.leader, 30, "a leader")
    lonely = next(s for s in cluster.layout.servers if s != leader)
    # a client that can reach one server only, with a short session
    holder = kazoo(f"127.0.0.1:{cluster.layout.client_ports[lonely]}", timeout=1.5)
    states: list[str] = []
    holder.add_listener(states.append)
    lock = holder.Lock("/lock", "holder")
    assert lock.acquire(timeout=10)
    other = next(s for s in cluster.layout.servers if s not in (leader, lonely))
    waiter = kazoo(hosts(cluster, other), randomize_hosts=False)
    got = threading.Event()
    contender = waiter.Lock("/lock", "waiter")
    thread = threading.Thread(target=lambda: contender.acquire(timeout=30) and got.set())
    thread.start()
    wait_for(lambda: len(waiter.get_children("/lock")) == 2, 10, "the waiter in line")
    assert not got.wait(0.5)

    cluster.kill(lonely)  # nobody hears from the holder's session any more
    wait_for(got.is_set, 30, "the lock to pass once the holder's session expired")
    thread.join(5)
    assert contender.contenders() == ["waiter"]

    cluster.start(lonely)  # the holder reconnects, and is told its session is gone
    wait_for(lambda: KazooState.LOST in states, 30, "the holder to learn of the expiry")
    wait_for(lambda: holder.connected, 30, "the holder's new session")
    assert holder.exists("/lock") is not None
