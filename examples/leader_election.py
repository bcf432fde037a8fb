"""Leader latch and leader selection: candidates line up, the first in line leads, a leader may
give up and line up again, and a leader that dies is replaced.

Each candidate creates an ephemeral sequential node under the election node (it joins the
line) and watches only the node just ahead of it; when that node goes, it looks again, and
leads once its node is first (the latch). A leader that is done deletes its node (it resigns)
and may join again at the back (selection). A leader whose session ends loses its node with
it, so the next in line takes over without anyone noticing the crash first.

While leading, a candidate holds the ephemeral node ``leader``: creating it fails if another
leader still holds it, which is how the script checks there is never more than one.

    python examples/leader_election.py --hosts 127.0.0.1:2181 --candidates 3 --terms 3

Exit code 0 if there never were two leaders and every candidate led its terms; else 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError


class Candidate:
    def __init__(self, zk: KazooClient, path: str, name: str) -> None:
        self.zk, self.path, self.name = zk, path, name
        self.node: str | None = None

    def join(self) -> None:
        self.node = self.zk.create(
            f"{self.path}/n_", self.name.encode(), ephemeral=True, sequence=True
        )

    def await_leadership(self) -> None:
        """The latch: returns once this candidate is first in line."""
        assert self.node is not None
        mine = self.node.rsplit("/", 1)[1]
        while True:
            line = sorted(self.zk.get_children(self.path))
            ahead = [n for n in line if n < mine]
            if not ahead:
                return
            gone = threading.Event()
            if self.zk.exists(f"{self.path}/{ahead[-1]}", watch=lambda e, g=gone: g.set()):
                gone.wait()

    def resign(self) -> None:
        if self.node is not None:
            self.zk.delete(self.node)
            self.node = None


def campaign(hosts: str, root: str, name: str, terms: int, crash: bool, log: list[str]) -> None:
    zk = KazooClient(hosts=hosts)
    zk.start()
    candidate = Candidate(zk, f"{root}/line", name)
    try:
        for term in range(terms):
            candidate.join()
            candidate.await_leadership()
            try:
                zk.create(f"{root}/leader", name.encode(), ephemeral=True)
            except NodeExistsError:
                log.append(f"TWO LEADERS: {name} and {zk.get(f'{root}/leader')[0].decode()}")
                return
            log.append(name)
            zk.sync(root)  # a round trip as leader
            if crash and term == terms - 1:
                return  # dies as leader: its session ends, its nodes go with it
            zk.delete(f"{root}/leader")
            candidate.resign()  # give up, and compete again
    finally:
        zk.stop()
        zk.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default=os.environ.get("ZOOKEEPER_HOSTS", "127.0.0.1:2181"))
    parser.add_argument("--root", default="/examples/leader-election")
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--terms", type=int, default=3)
    args = parser.parse_args(argv)
    zk = KazooClient(hosts=args.hosts)
    zk.start()
    zk.delete(args.root, recursive=True)
    zk.ensure_path(f"{args.root}/line")
    log: list[str] = []
    names = [f"candidate{i}" for i in range(args.candidates)]
    threads = [
        threading.Thread(
            target=campaign, args=(args.hosts, args.root, name, args.terms, name == names[0], log)
        )
        for name in names
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("leaders, term by term:", " ".join(log))
    zk.delete(args.root, recursive=True)
    zk.stop()
    zk.close()
    problems = [entry for entry in log if entry.startswith("TWO LEADERS")]
    problems += [f"{n} led {log.count(n)} times" for n in names if log.count(n) != args.terms]
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
