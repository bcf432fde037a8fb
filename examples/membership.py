"""Cluster membership: members announce themselves with ephemeral nodes, and a monitor's
child watch tells it whenever someone joins, leaves, or dies.

A member creates ``/members/<name>`` (ephemeral, holding its address). It stays while the
member's session lives: a member that leaves closes its session; a member that dies stops
answering, and once its session times out the ensemble deletes its node. The monitor uses
kazoo's ``ChildrenWatch``, which sets a new watch each time one fires.

The script starts a monitor and three members (one a separate process), lets one leave, kills
the process with SIGKILL, and checks what the monitor saw.

    python examples/membership.py --hosts 127.0.0.1:2181

Exit code 0 if the monitor saw every change; else 1.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient


def join(hosts: str, root: str, name: str, timeout: float) -> KazooClient:
    zk = KazooClient(hosts=hosts, timeout=timeout)
    zk.start()
    zk.create(f"{root}/{name}", f"{name}.example:7000".encode(), ephemeral=True)
    return zk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default=os.environ.get("ZOOKEEPER_HOSTS", "127.0.0.1:2181"))
    parser.add_argument("--root", default="/examples/members")
    parser.add_argument("--member", help=argparse.SUPPRESS)  # run as a member until killed
    args = parser.parse_args(argv)
    if args.member:
        join(args.hosts, args.root, args.member, timeout=2.0)
        print("joined", flush=True)
        while True:
            time.sleep(60)

    monitor = KazooClient(hosts=args.hosts)
    monitor.start()
    monitor.delete(args.root, recursive=True)
    monitor.ensure_path(args.root)
    views: list[list[str]] = []
    changed = threading.Condition()

    @monitor.ChildrenWatch(args.root)
    def on_members(children: list[str]) -> None:
        with changed:
            views.append(sorted(children))
            print(f"monitor: members are now {sorted(children)}")
            changed.notify_all()

    def expect(members: list[str], within: float = 30.0) -> bool:
        with changed:
            return changed.wait_for(lambda: views and views[-1] == members, within)

    ok = expect([])
    a = join(args.hosts, args.root, "alpha", timeout=10.0)
    b = join(args.hosts, args.root, "beta", timeout=10.0)
    ok &= expect(["alpha", "beta"])
    member = [sys.executable, __file__, "--hosts", args.hosts, "--root", args.root]
    gamma = subprocess.Popen([*member, "--member", "gamma"], stdout=subprocess.PIPE, text=True)
    assert gamma.stdout is not None
    ok &= gamma.stdout.readline().strip() == "joined"
    ok &= expect(["alpha", "beta", "gamma"])
    b.stop()  # beta leaves: its session closes, its node goes at once
    b.close()
    ok &= expect(["alpha", "gamma"])
    gamma.send_signal(signal.SIGKILL)  # gamma dies: its node goes when its session expires
    gamma.wait()
    started = time.monotonic()
    ok &= expect(["alpha"])
    print(f"gamma's death noticed after {time.monotonic() - started:.1f}s (its session timeout)")
    a.stop()
    a.close()
    ok &= expect([])
    monitor.delete(args.root, recursive=True)
    monitor.stop()
    monitor.close()
    if not ok:
        print(f"PROBLEM: the monitor's views were {views}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
