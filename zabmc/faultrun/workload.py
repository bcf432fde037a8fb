"""Client processes of a fault run: each a kazoo client in its own thread, issuing one
operation at a time (the workloads of the issue) and recording each in the history.

Workloads, on keys under ``/lin``:

* a register per znode (``/lin/r/<i>``): ``get`` (half of them after a ``sync``), ``set``,
  and compare-and-set through a versioned ``set_data`` with the version this client saw last;
* sequential creates under ``/lin/q/<i>``, and reading their children;
* ``multi``: a versioned check of one register with a set of another, atomically.

An answer is a result (a ZooKeeper error such as BadVersion included); a write refused by a
read-only server took no effect (``fail``); a lost connection, an expired session or a
timeout is an unknown outcome (``info``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    NodeExistsError,
    NoNodeError,
    NotReadOnlyCallError,
    RolledBackError,
    RuntimeInconsistency,
)
from kazoo.retry import KazooRetry

from zabmc.faultrun.recorder import HistoryWriter

ROOT = "/lin"
ERRORS: dict[type[Exception], str] = {
    BadVersionError: "bad-version",
    NoNodeError: "no-node",
    NodeExistsError: "node-exists",
}


def register(i: int) -> str:
    return f"{ROOT}/r/{i}"


def queue(i: int) -> str:
    return f"{ROOT}/q/{i}"


def connect(hosts: str, session_timeout: float) -> KazooClient:
    """A started kazoo client that tries its hosts in the order given and never gives up
    reconnecting (a lost session is replaced by a new one)."""
    client = KazooClient(
        hosts=hosts,
        timeout=session_timeout,
        randomize_hosts=False,
        connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5),
    )
    client.start(timeout=30)
    return client


class ClientProcess:
    """One client process of the history (``process``), with its own kazoo session."""

    def __init__(
        self,
        process: int,
        client: KazooClient,
        history: HistoryWriter,
        rng: random.Random,
        *,
        registers: int,
        queues: int,
        op_timeout: float,
    ) -> None:
        self.process = process
        self.client = client
        self.history = history
        self.rng = rng
        self.registers = registers
        self.queues = queues
        self.op_timeout = op_timeout
        self.seen_version: dict[str, int] = {}
        self.counter = 0
        self.counts = {"ok": 0, "info": 0, "fail": 0}

    def session(self) -> str:
        cid = self.client.client_id
        return f"0x{cid[0] & ((1 << 64) - 1):016x}" if cid else f"p{self.process}-unconnected"

    def value(self) -> str:
        self.counter += 1
        return f"{self.process}-{self.counter}"

    def call(
        self,
        op: str,
        key: str | None,
        args: dict[str, Any],
        start: Callable[[], Any],
        result: Callable[[Any], dict[str, Any]],
    ) -> dict[str, Any] | None:
        """Invoke, wait for the answer and record it; the result, or None if unknown."""
        self.history.invoke(self.process, self.session(), op, key, args)
        try:
            answer = start().get(timeout=self.op_timeout)
        except tuple(ERRORS) as exc:
            out = {"error": ERRORS[type(exc)]}
        except NotReadOnlyCallError:  # a read-only server refused it: it took no effect
            self.history.fail(self.process, "NotReadOnlyCallError")
            self.counts["fail"] += 1
            return None
        except Exception as exc:  # lost connection, expired session, timeout: unknown
            self.history.info(self.process, type(exc).__name__)
            self.counts["info"] += 1
            return None
        else:
            out = result(answer)
        self.history.ok(self.process, out)
        self.counts["ok"] += 1
        return out

    # --- the operations ---------------------------------------------------------------------

    def create(self, path: str, value: str) -> None:
        self.call(
            "create",
            path,
            {"value": value},
            lambda: self.client.create_async(path, value.encode()),
            lambda _: {},
        )

    def get(self, path: str) -> None:
        def seen(answer: Any) -> dict[str, Any]:
            data, stat = answer
            self.seen_version[path] = stat.version
            return {"value": data.decode(), "version": stat.version}

        self.call("get", path, {}, lambda: self.client.get_async(path), seen)

    def sync(self, path: str) -> bool:
        out = self.call("sync", path, {}, lambda: self.client.sync_async(path), lambda _: {})
        return out is not None

    def set(self, path: str) -> None:
        value = self.value()
        c = self.client
        self.call(
            "set",
            path,
            {"value": value},
            lambda: c.set_async(path, value.encode()),
            lambda stat: {"version": stat.version},
        )

    def cas(self, path: str) -> None:
        value, version = self.value(), self.seen_version.get(path, 0)
        c = self.client
        self.call(
            "cas",
            path,
            {"value": value, "version": version},
            lambda: c.set_async(path, value.encode(), version=version),
            lambda stat: {"version": stat.version},
        )

    def create_seq(self, parent: str) -> None:
        value = self.value()
        c = self.client
        self.call(
            "create_seq",
            parent,
            {"value": value},
            lambda: c.create_async(f"{parent}/item-", value.encode(), sequence=True),
            lambda name: {"seq": int(name[-10:])},
        )

    def children(self, parent: str) -> None:
        self.call(
            "children",
            parent,
            {},
            lambda: self.client.get_children_async(parent),
            lambda names: {"seqs": sorted(int(n[-10:]) for n in names)},
        )

    def multi(self, checked: str, written: str) -> None:
        version, value = self.seen_version.get(checked, 0), self.value()
        ops = [
            {"op": "check", "key": checked, "version": version},
            {"op": "set", "key": written, "value": value},
        ]

        def start() -> Any:
            t = self.client.transaction()
            t.check(checked, version)
            t.set_data(written, value.encode())
            return t.commit_async()

        def result(answers: list[Any]) -> dict[str, Any]:
            for a in answers:
                if isinstance(a, Exception) and not isinstance(
                    a, RolledBackError | RuntimeInconsistency
                ):
                    return {"error": ERRORS[type(a)]}
            return {}

        self.call("multi", None, {"ops": ops}, start, result)

    # --- the loop ---------------------------------------------------------------------------

    def step(self) -> None:
        """One operation (or a sync and a read), drawn from the workload's mix."""
        rng = self.rng
        r = register(rng.randrange(self.registers))
        kind = rng.choices(
            ["get", "sync-get", "set", "cas", "create_seq", "children", "multi"],
            weights=[20, 20, 15, 20, 8, 7, 10],
        )[0]
        if kind == "get":
            self.get(r)
        elif kind == "sync-get":
            if self.sync(r):
                self.get(r)
        elif kind == "set":
            self.set(r)
        elif kind == "cas":
            self.cas(r)
        elif kind == "create_seq":
            self.create_seq(queue(rng.randrange(self.queues)))
        elif kind == "children":
            self.children(queue(rng.randrange(self.queues)))
        elif self.registers > 1:
            a, b = rng.sample(range(self.registers), 2)
            self.multi(register(a), register(b))

    def run(self, stop: threading.Event, pause: float) -> None:
        while not stop.is_set():
            self.step()
            if pause:
                stop.wait(self.rng.uniform(0, pause))
