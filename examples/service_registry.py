"""A service registry: providers register ``ip:port`` under ephemeral nodes; consumers keep a
cached list of providers and are told when it changes.

A provider listens on a TCP port and creates ``/services/<service>/provider-`` (ephemeral and
sequential) holding ``ip:port``; the node lives as long as the provider's session. A consumer
watches the service's children (kazoo's ``ChildrenWatch``), reads the addresses when they
change, and calls providers from its cache without asking ZooKeeper each time.

The script starts two providers and a consumer, adds a third provider, stops one, and checks
after each step that the consumer's cache is right and that every cached provider answers.

    python examples/service_registry.py --hosts 127.0.0.1:2181

Exit code 0 if the consumer's cache followed every change; else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError


class Provider:
    """Answers ``hello`` on a TCP port, and registers that port while it runs."""

    def __init__(self, hosts: str, service_path: str, name: str) -> None:
        self.name = name
        self.listener = socket.create_server(("127.0.0.1", 0))
        host, port = self.listener.getsockname()[:2]
        self.address = f"{host}:{port}"
        threading.Thread(target=self._serve, daemon=True).start()
        self.zk = KazooClient(hosts=hosts)
        self.zk.start()
        self.zk.create(
            f"{service_path}/provider-", self.address.encode(), ephemeral=True, sequence=True
        )

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(64)
                conn.sendall(f"hello from {self.name}".encode())

    def stop(self) -> None:
        self.zk.stop()  # the session closes and the registration goes with it
        self.zk.close()
        self.listener.close()


class Consumer:
    """Caches the addresses of a service's providers, refreshed by a child watch."""

    def __init__(self, hosts: str, service_path: str) -> None:
        self.zk = KazooClient(hosts=hosts)
        self.zk.start()
        self.path = service_path
        self.addresses: list[str] = []
        self.changed = threading.Condition()
        self.zk.ChildrenWatch(service_path, self._refresh)

    def _refresh(self, children: list[str]) -> None:
        addresses = []
        for child in children:
            with contextlib.suppress(NoNodeError):  # gone meanwhile: the next event says so
                addresses.append(self.zk.get(f"{self.path}/{child}")[0].decode())
        with self.changed:
            self.addresses = sorted(addresses)
            print(f"consumer: providers are now {self.addresses}")
            self.changed.notify_all()

    def wait_for(self, addresses: list[str], within: float = 30.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.addresses == sorted(addresses), within)

    def call_all(self) -> list[str]:
        """Call every cached provider (no ZooKeeper round trip)."""
        answers = []
        for address in self.addresses:
            host, port = address.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=5) as s:
                s.sendall(b"hello")
                answers.append(s.recv(64).decode())
        return sorted(answers)

    def stop(self) -> None:
        self.zk.stop()
        self.zk.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default=os.environ.get("ZOOKEEPER_HOSTS", "127.0.0.1:2181"))
    parser.add_argument("--root", default="/examples/services")
    args = parser.parse_args(argv)
    admin = KazooClient(hosts=args.hosts)
    admin.start()
    admin.delete(args.root, recursive=True)
    path = f"{args.root}/echo"
    admin.ensure_path(path)

    providers = {n: Provider(args.hosts, path, n) for n in ("p1", "p2")}
    consumer = Consumer(args.hosts, path)
    steps: list[bool] = []

    def check(names: list[str]) -> None:
        expected = [providers[n].address for n in names]
        steps.append(consumer.wait_for(expected))
        answers = consumer.call_all()
        steps.append(answers == sorted(f"hello from {n}" for n in names))
        print(f"  calls answered by: {', '.join(answers)}")

    check(["p1", "p2"])
    providers["p3"] = Provider(args.hosts, path, "p3")
    check(["p1", "p2", "p3"])
    providers["p1"].stop()
    check(["p2", "p3"])
    for name in ("p2", "p3"):
        providers[name].stop()
    steps.append(consumer.wait_for([]))
    consumer.stop()
    admin.delete(args.root, recursive=True)
    admin.stop()
    admin.close()
    if not all(steps):
        print(f"PROBLEM: the consumer's cache fell behind (steps: {steps})")
    return 0 if all(steps) else 1


if __name__ == "__main__":
    sys.exit(main())
