"""The lost create reply of the lock recipe, in the simulator: a contender's create of its
lock node may commit while the reply is lost with the server it was sent to. kazoo's Lock puts
a uuid in the node's name so that, once reconnected, it finds its node instead of making a
second one that would wait behind the first, its own, until the session expires.

Each seed runs three servers with the ZooKeeper application, submits the create at a random
server, and crashes that server at a random moment. The contender then goes to a live server,
syncs, and looks for its uuid before creating again. Every seed must end with exactly one lock
node of the session, the same tree on every server; and over all seeds, the lost-reply case
must actually have happened (a naive retry would have left two nodes).
"""

from __future__ import annotations

import random
from collections import Counter

from impl.core.effects import Observed, WriteResult
from impl.core.messages import Snapshot, Txn
from impl.core.peer import ZabPeer
from impl.core.quorum import Cluster
from impl.jute.records import CreateRequest, OpCode, SyncRequest
from impl.service.application import ZooKeeperApplication
from impl.service.tree import EPHEMERAL, OPEN_ACL, SEQUENTIAL
from impl.service.txns import CreateSessionTxn, Outcome, payload
from impl.sim.world import US, World

SESSION = 0x0100000000000001
UUID = "6a2f0c4e9b1d4f7a8c3e5d2b1a0f9e8d"
PREFIX = f"{UUID}__lock__"
SEEDS = 200


class Results:
    """The simulator's listener: keeps the outcome of each write, by (server, request id)."""

    def __init__(self) -> None:
        self.results: dict[tuple[int, int], WriteResult] = {}

    def write_result(self, sid: int, result: WriteResult) -> None:
        self.results[sid, result.request_id] = result

    def started(self, sid: int, peer: ZabPeer) -> None: ...
    def delivered(self, sid: int, txn: Txn) -> None: ...
    def dropped(self, sid: int, txns: list[Txn], epoch: int) -> None: ...
    def observed(self, event: Observed) -> None: ...
    def snapshot_installed(self, sid: int, snapshot: Snapshot) -> None: ...


class Contender:
    """A client of the simulated cluster, doing what kazoo's Lock does to join the line."""

    def __init__(self, world: World, results: Results) -> None:
        self.world, self.results = world, results
        self.request = 0

    def leader(self) -> int | None:
        peers = [s.peer for s in self.world.servers.values() if s.peer is not None]
        return next((p.sid for p in peers if p.leader == p.sid), None)

    def write(self, sid: int, record, within_ms: int = 3_000) -> Outcome | None:
        """Submit at ``sid``; the outcome, or None if the reply never came (lost)."""
        self.request += 1
        key = (sid, self.request)
        self.world.submit(sid, self.request, payload(SESSION, record.type, record.serialize()))
        deadline = self.world.now + within_ms * US
        while key not in self.results.results and self.world.now < deadline:
            self.world.run_until(self.world.now + 1_000)
        result = self.results.results.get(key)
        if result is None or result.zxid is None:
            return None
        return Outcome.deserialize(result.result)[0]

    def settle(self) -> int:
        """Run until some server leads; returns a live server that serves under it."""
        for _ in range(100):
            if (leader := self.leader()) is not None:
                alive = [s for s, x in self.world.servers.items() if x.peer and x.peer.leader]
                return next((s for s in alive if s != leader), leader)
            self.world.run_until(self.world.now + 100_000)
        raise AssertionError("no leader after 10 s of simulated time")

    def mine(self, sid: int) -> list[str]:
        app = self.world.servers[sid].peer.app
        return [c for c in app.tree.node("/lock").children if c.startswith(PREFIX)]


def run(seed: int) -> str:
    """One seed: ``replied``, ``lost-committed`` (the reply was lost, the node exists) or
    ``lost-dropped`` (the create never committed); asserts one node and one tree at the end."""
    rng = random.Random(seed)
    results = Results()
    world = World(
        Cluster((1, 2, 3)), seed, listener=results, record=False, app=ZooKeeperApplication
    )
    for sid in (1, 2, 3):
        world.start(sid)
    client = Contender(world, results)
    first = client.settle()
    assert client.write(first, CreateSessionTxn(30_000, b"p" * 16)).err == 0
    assert client.write(first, CreateRequest("/lock", b"", OPEN_ACL, 0)).err == 0

    target = rng.choice((1, 2, 3))
    client.request += 1
    create = CreateRequest(f"/lock/{PREFIX}", b"", OPEN_ACL, EPHEMERAL | SEQUENTIAL)
    world.submit(target, client.request, payload(SESSION, OpCode.CREATE, create.serialize()))
    world.run_until(world.now + rng.randint(0, 12_000))
    result = results.results.get((target, client.request))
    world.crash(target, keep_unsynced=rng.random() < 0.5)
    if result is not None and result.zxid is not None:
        case = "replied"
    else:  # no reply: reconnect elsewhere, sync, and look for our node before creating again
        server = client.settle()
        while client.write(server, SyncRequest("/lock")) is None:
            server = client.settle()
        case = "lost-committed" if client.mine(server) else "lost-dropped"
        while not client.mine(server) and client.write(server, create) is None:
            server = client.settle()  # this reply may be lost too: sync and look again
            while client.write(server, SyncRequest("/lock")) is None:
                server = client.settle()
    world.start(target)
    world.run_until(world.now + 3_000 * US)
    trees = {s.peer.app.snapshot() for s in world.servers.values()}
    assert len(trees) == 1, f"seed {seed}: the servers' trees differ"
    nodes = client.mine(target)
    assert len(nodes) == 1, f"seed {seed} ({case}): lock nodes of one session: {nodes}"
    return case


def test_a_lost_create_reply_never_leaves_a_second_lock_node() -> None:
    cases = Counter(run(seed) for seed in range(SEEDS))
    assert cases["lost-committed"] > 0, (
        f"the lost reply of a committed create never happened: {cases}"
    )
    assert cases["lost-dropped"] > 0 and cases["replied"] > 0, cases
