"""An exclusive lock: several workers, each with its own ZooKeeper session, increment a counter
kept in a node by reading it and writing it back. Only the lock makes that safe.

kazoo's ``Lock`` recipe: each contender creates an ephemeral sequential node under the lock
node and waits for the one just before it to go; the lowest holds the lock. If a holder's
session ends (it crashed, or was cut off), its node goes with it and the next one takes over.

    python examples/exclusive_lock.py --hosts 127.0.0.1:2181 --workers 4 --rounds 10
    ZOOKEEPER_HOSTS=127.0.0.1:2181 python examples/exclusive_lock.py

Exit code 0 if the counter ends at workers x rounds (no increment was lost), else 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

from kazoo.client import KazooClient


def worker(hosts: str, root: str, name: str, rounds: int) -> None:
    zk = KazooClient(hosts=hosts)
    zk.start()
    try:
        lock = zk.Lock(f"{root}/lock", identifier=name)
        for _ in range(rounds):
            with lock:  # blocks until every earlier contender has released it
                value, _ = zk.get(f"{root}/counter")
                zk.set(f"{root}/counter", str(int(value) + 1).encode())
    finally:
        zk.stop()
        zk.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default=os.environ.get("ZOOKEEPER_HOSTS", "127.0.0.1:2181"))
    parser.add_argument("--root", default="/examples/exclusive-lock")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)

    zk = KazooClient(hosts=args.hosts)
    zk.start()
    zk.delete(args.root, recursive=True)
    zk.create(f"{args.root}/counter", b"0", makepath=True)
    threads = [
        threading.Thread(target=worker, args=(args.hosts, args.root, f"worker{i}", args.rounds))
        for i in range(args.workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    zk.sync(args.root)
    count = int(zk.get(f"{args.root}/counter")[0])
    expected = args.workers * args.rounds
    print(f"{args.workers} workers x {args.rounds} increments under the lock: counter = {count}")
    zk.delete(args.root, recursive=True)
    zk.stop()
    zk.close()
    if count != expected:
        print(f"LOST {expected - count} increments: the lock let two workers in at once")
        return 1
    print("no increment lost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
