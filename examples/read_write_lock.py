"""A shared read/write lock without a herd: each waiter watches only the node it depends on,
so a release wakes one waiter (the next writer, or the readers behind the writer leaving)
instead of everyone in line.

The recipe (ZooKeeper's "Shared Locks"): a reader creates ``read-`` and a writer ``write-``,
ephemeral and sequential, under the lock node. A reader holds the lock once no ``write-``
node is ahead of it, and otherwise watches the last ``write-`` node ahead of it; a writer holds
it once no node at all is ahead of it, and otherwise watches the node just ahead of it.

The script queues readers and writers behind a writer, releases it, and counts wake-ups; then
does the same with the naive lock, where every waiter watches the whole line. (A writer can
still wake for nothing: the reader just ahead of it may leave before an earlier reader.)

    python examples/read_write_lock.py --hosts 127.0.0.1:2181 --waiters 9

Exit code 0 if readers shared, writers excluded, and no reader's release woke more than one
waiter; else 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter

from kazoo.client import KazooClient


class ReadWriteLock:
    def __init__(self, zk: KazooClient, path: str, *, herd: bool = False) -> None:
        self.zk, self.path, self.herd = zk, path, herd
        self.node: str | None = None
        self.wakeups = 0
        self.needless_wakeups = 0
        self.woken_by: list[str] = []
        """The nodes whose release woke us (not known for the naive lock)."""

    def acquire(self, kind: str, queued: threading.Event) -> None:
        """``kind`` is ``read`` or ``write``; ``queued`` is set once our node exists."""
        self.node = self.zk.create(f"{self.path}/{kind}-", ephemeral=True, sequence=True)
        queued.set()
        mine = self.node.rsplit("/", 1)[1]
        while True:
            changed = threading.Event()
            wake = lambda event, changed=changed: changed.set()  # noqa: E731
            if self.herd:  # everyone watches the whole line
                children = self.zk.get_children(self.path, watch=wake)
            else:
                children = self.zk.get_children(self.path)
            ahead = sorted((c for c in children if _seq(c) < _seq(mine)), key=_seq)
            if kind == "read":
                ahead = [c for c in ahead if c.startswith("write-")]
            if not ahead:
                return
            if not self.herd:  # only the node we depend on
                blocker = f"{self.path}/{ahead[-1]}"
                if self.zk.exists(blocker, watch=wake) is None:
                    continue  # it left meanwhile: look again
            changed.wait()
            self.wakeups += 1
            if not self.herd:
                self.woken_by.append(ahead[-1])
            if not self._may_go(kind, mine):
                self.needless_wakeups += 1

    def _may_go(self, kind: str, mine: str) -> bool:
        children = self.zk.get_children(self.path)
        ahead = [c for c in children if _seq(c) < _seq(mine)]
        return not [c for c in ahead if kind == "write" or c.startswith("write-")]

    def release(self) -> None:
        if self.node is not None:
            self.zk.delete(self.node)
            self.node = None


def _seq(name: str) -> int:
    return int(name[-10:])


def run(hosts: str, path: str, kinds: list[str], herd: bool) -> tuple[int, int, list[str]]:
    """Queue ``kinds`` behind a writer, release it, return (wakeups, needless, problems)."""
    problems: list[str] = []
    state = {"read": 0, "write": 0, "max_readers": 0}
    guard = threading.Lock()
    clients = [KazooClient(hosts=hosts) for _ in range(len(kinds) + 1)]
    for zk in clients:
        zk.start()
    first = ReadWriteLock(clients[0], path, herd=herd)
    first.acquire("write", threading.Event())
    locks = [ReadWriteLock(zk, path, herd=herd) for zk in clients[1:]]

    def waiter(lock: ReadWriteLock, kind: str, queued: threading.Event) -> None:
        lock.acquire(kind, queued)
        try:
            with guard:
                state[kind] += 1
                if state["write"] > 1 or (state["write"] and state["read"]):
                    problems.append(f"a {kind}er got in while {state} held it")
                state["max_readers"] = max(state["max_readers"], state["read"])
            time.sleep(0.05)
            with guard:
                state[kind] -= 1
        finally:
            lock.release()

    threads = []
    for lock, kind in zip(locks, kinds, strict=True):  # queue them in this order
        queued = threading.Event()
        threads.append(threading.Thread(target=waiter, args=(lock, kind, queued)))
        threads[-1].start()
        queued.wait()
    first.release()
    for t in threads:
        t.join()
    for zk in clients:
        zk.stop()
        zk.close()
    if "read" in kinds and state["max_readers"] < 2:
        problems.append("readers never shared the lock")
    woken = Counter(name for lock in locks for name in lock.woken_by)
    crowds = [f"{n} woke {k}" for n, k in woken.items() if n.startswith("read-") and k > 1]
    if crowds:
        problems.append(f"a reader's release woke several waiters: {crowds}")
    return sum(x.wakeups for x in locks), sum(x.needless_wakeups for x in locks), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default=os.environ.get("ZOOKEEPER_HOSTS", "127.0.0.1:2181"))
    parser.add_argument("--root", default="/examples/read-write-lock")
    parser.add_argument("--waiters", type=int, default=9)
    args = parser.parse_args(argv)
    pattern = ["read", "read", "write"]
    kinds = [pattern[i % 3] for i in range(args.waiters)]
    zk = KazooClient(hosts=args.hosts)
    zk.start()
    zk.delete(args.root, recursive=True)
    zk.ensure_path(args.root)
    failed = False
    for herd in (False, True):
        path = f"{args.root}/{'naive' if herd else 'lock'}"
        zk.ensure_path(path)
        wakeups, needless, problems = run(args.hosts, path, kinds, herd)
        name = "naive (everyone watches the line)" if herd else "each watches its blocker  "
        print(f"{name}: {len(kinds)} waiters, {wakeups} wake-ups, {needless} for nothing")
        for problem in problems:
            print(f"  PROBLEM: {problem}")
        failed |= bool(problems)
    zk.delete(args.root, recursive=True)
    zk.stop()
    zk.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
