"""What recording the observable steps costs the core, measured in the simulator.

A 3-server simulated cluster takes W writes (no faults, no checker) three ways: recording off
(the default), recording on (an ``Observed`` effect with the server's state per step), and
with ``ZabPeer.step`` replaced by a no-op (the floor: as if the core had no step calls).
Prints the median of R alternating rounds of each, and the ratios.

    python bench/impl_record_cost.py            # 20000 writes, 5 rounds
"""

from __future__ import annotations

import argparse
import statistics
import time

from machine import describe  # bench/machine.py, beside this script

from impl.core.peer import ZabPeer
from impl.core.quorum import Cluster
from impl.sim.world import US, World


def workload(writes: int, record: bool) -> float:
    world = World(Cluster((1, 2, 3)), seed=1, record=record)
    for sid in (1, 2, 3):
        world.start(sid)
    world.run_until(1000 * US)
    started = time.perf_counter()
    for n in range(writes):
        world.submit(1 + n % 3, n + 1, b"x" * 50)
        if n % 20 == 0:
            world.run_until(world.now + 2 * US)
    world.run_until(world.now + 2000 * US)
    elapsed = time.perf_counter() - started
    peer = world.servers[1].peer
    assert peer is not None and peer.committed & 0xFFFFFFFF == writes
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"no step calls": [], "recording off": [], "recording on": []}
    real_step = ZabPeer.step
    for _ in range(args.rounds):
        ZabPeer.step = lambda self, name, *args: None  # type: ignore[method-assign]
        times["no step calls"].append(workload(args.writes, record=False))
        ZabPeer.step = real_step  # type: ignore[method-assign]
        times["recording off"].append(workload(args.writes, record=False))
        times["recording on"].append(workload(args.writes, record=True))
    floor = statistics.median(times["no step calls"])
    print(f"machine: {describe()}")
    print(f"{args.writes} writes through a simulated 3-server cluster, median of {args.rounds}:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<14} {median:6.2f}s  ({median / floor:.2f}x the floor)")


if __name__ == "__main__":
    main()
