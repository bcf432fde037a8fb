"""kazoo's recipes against a real 3-server cluster of ours, clients spread over the servers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from kazoo.client import KazooClient

from impl.server.local import LocalCluster

CLIENTS = 4


@pytest.fixture
def clients(shared_cluster: LocalCluster, kazoo, request) -> list[KazooClient]:
    """One client per server and one more, each connected to a different server first."""
    ports = shared_cluster.layout.client_ports
    servers = shared_cluster.layout.servers
    made = []
    for n in range(CLIENTS):
        first = servers[n % len(servers)]
        order = [first] + [s for s in servers if s != first]
        hosts = ",".join(f"127.0.0.1:{ports[s]}" for s in order)
        made.append(kazoo(hosts, randomize_hosts=False))
    made[0].root = f"/{request.node.name}"
    return made


def run_all(workers: list[Callable[[], None]], timeout: float = 60) -> None:
    """Run each worker in a thread; re-raise the first failure."""
    failures: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # reported below
                failures.append(exc)

        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker is stuck"
    if failures:
        raise failures[0]


def test_lock_under_contention_admits_one_holder_at_a_time(clients) -> None:
    path = f"{clients[0].root}/lock"
    holders: list[str] = []
    inside = threading.Lock()
    count = {"n": 0}

    def worker(client: KazooClient, name: str) -> Callable[[], None]:
        def run() -> None:
            lock = client.Lock(path, name)
            for _ in range(5):
                with lock:
                    assert inside.acquire(blocking=False), "two holders at once"
                    holders.append(name)
                    count["n"] += 1
                    value = client.get(path)[1]  # a round trip while holding it
                    assert value is not None
                    inside.release()

        return run

    run_all([worker(c, f"c{i}") for i, c in enumerate(clients)])
    assert count["n"] == 5 * CLIENTS and len(set(holders)) == CLIENTS
    clients[0].sync(path)  # the others' deletes may not have reached its server yet
    assert clients[0].get_children(path) == []


def test_read_locks_share_and_write_locks_exclude(clients) -> None:
    path = f"{clients[0].root}/rw"
    state = {"readers": 0, "writers": 0, "max_readers": 0}
    guard = threading.Lock()
    both_reading = threading.Barrier(2, timeout=30)

    def reader(client: KazooClient, must_overlap: bool) -> Callable[[], None]:
        def run() -> None:
            with client.ReadLock(path):
                with guard:
                    assert state["writers"] == 0
                    state["readers"] += 1
                    state["max_readers"] = max(state["max_readers"], state["readers"])
                if must_overlap:
                    both_reading.wait()  # both readers hold the lock at once
                with guard:
                    state["readers"] -= 1

        return run

    def writer(client: KazooClient) -> Callable[[], None]:
        def run() -> None:
            for _ in range(3):
                with client.WriteLock(path):
                    with guard:
                        assert state["readers"] == 0 and state["writers"] == 0
                        state["writers"] += 1
                    client.sync(path)
                    with guard:
                        state["writers"] -= 1

        return run

    run_all([reader(clients[0], True), reader(clients[1], True)])
    assert state["max_readers"] == 2
    run_all([reader(clients[0], False), writer(clients[1]), writer(clients[2])])


def test_election_runs_one_leader_at_a_time_and_everyone_leads_once(clients) -> None:
    path = f"{clients[0].root}/election"
    led: list[str] = []
    leading = threading.Lock()

    def contender(client: KazooClient, name: str) -> Callable[[], None]:
        def lead() -> None:
            assert leading.acquire(blocking=False), "two leaders at once"
            led.append(name)
            client.sync(path)
            leading.release()  # returning from run() gives leadership up

        return lambda: client.Election(path, name).run(lead)

    run_all([contender(c, f"c{i}") for i, c in enumerate(clients)])
    assert sorted(led) == [f"c{i}" for i in range(CLIENTS)]
    clients[0].sync(path)
    assert clients[0].Election(path).contenders() == []


def test_party_membership_follows_joins_and_leaves(clients) -> None:
    path = f"{clients[0].root}/party"
    parties = [c.Party(path, f"member{i}") for i, c in enumerate(clients)]
    for p in parties:
        p.join()
    clients[0].sync(path)
    assert sorted(parties[0]) == [f"member{i}" for i in range(CLIENTS)]
    assert len(parties[0]) == CLIENTS
    parties[1].leave()
    clients[0].sync(path)
    assert sorted(parties[0]) == [f"member{i}" for i in range(CLIENTS) if i != 1]
    clients[2].stop()  # a member whose session ends leaves the party
    clients[0].sync(path)
    assert "member2" not in list(parties[0])


def test_barrier_holds_everyone_until_it_is_removed(clients) -> None:
    path = f"{clients[0].root}/barrier"
    clients[0].Barrier(path).create()
    passed: list[int] = []

    waiting = threading.Barrier(4, timeout=30)

    def waiter(i: int) -> Callable[[], None]:
        def run() -> None:
            clients[i].sync(path)  # its server may not have applied the create yet
            waiting.wait()
            assert clients[i].Barrier(path).wait(30)
            passed.append(i)

        return run

    threads = [threading.Thread(target=waiter(i), daemon=True) for i in (1, 2, 3)]
    for t in threads:
        t.start()
    waiting.wait()
    assert not clients[1].Barrier(path).wait(0.3) and passed == []
    clients[0].Barrier(path).remove()
    for t in threads:
        t.join(30)
    assert sorted(passed) == [1, 2, 3]


def test_double_barrier_enters_together_and_leaves_together(clients) -> None:
    path = f"{clients[0].root}/double"
    arrived: list[int] = []
    leaving: list[int] = []

    def member(i: int) -> Callable[[], None]:
        def run() -> None:
            barrier = clients[i].DoubleBarrier(path, CLIENTS)
            arrived.append(i)
            barrier.enter()
            assert len(arrived) == CLIENTS, "entered before everyone arrived"
            leaving.append(i)
            barrier.leave()
            assert len(leaving) == CLIENTS, "left before everyone was leaving"

        return run

    run_all([member(i) for i in range(CLIENTS)])
    clients[0].sync(path)
    assert clients[0].get_children(path) == []


def test_counter_increments_from_every_client_add_up(clients) -> None:
    path = f"{clients[0].root}/counter"

    def adder(client: KazooClient) -> Callable[[], None]:
        def run() -> None:
            counter = client.Counter(path)
            for _ in range(10):
                counter += 1

        return run

    run_all([adder(c) for c in clients])
    counter = clients[0].Counter(path)
    clients[0].sync(path)
    assert counter.value == 10 * CLIENTS


def test_queue_hands_out_every_item_once_in_priority_order(clients) -> None:
    path = f"{clients[0].root}/queue"
    producer = clients[0].Queue(path)
    for n in range(8):
        producer.put(f"low{n}".encode(), priority=100)
    producer.put(b"urgent", priority=1)
    got: list[bytes] = []
    guard = threading.Lock()

    def consumer(client: KazooClient) -> Callable[[], None]:
        def run() -> None:
            queue = client.Queue(path)
            while (item := queue.get()) is not None:
                with guard:
                    got.append(item)

        return run

    first = clients[1].Queue(path).get()
    assert first == b"urgent"
    run_all([consumer(c) for c in clients[1:]])
    assert sorted(got) == sorted(f"low{n}".encode() for n in range(8))


def test_locking_queue_items_are_taken_and_consumed_exactly_once(clients) -> None:
    path = f"{clients[0].root}/lqueue"
    clients[0].LockingQueue(path).put_all([f"job{n}".encode() for n in range(12)])
    done: list[bytes] = []
    guard = threading.Lock()

    def worker(client: KazooClient) -> Callable[[], None]:
        def run() -> None:
            queue = client.LockingQueue(path)
            while (item := queue.get(timeout=2)) is not None:
                with guard:
                    done.append(item)
                assert queue.consume()

        return run

    run_all([worker(c) for c in clients])
    assert sorted(done) == sorted(f"job{n}".encode() for n in range(12))
    clients[0].sync(path)
    assert len(clients[0].LockingQueue(path)) == 0
