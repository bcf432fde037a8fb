"""Write throughput and latency of a local cluster of the reference implementation.

Starts N server processes on 127.0.0.1 (fsync on: every txn is on disk at a quorum before it
commits), then C concurrent clients each write in a loop through the JSON-lines client port
for D seconds after a warm-up. Prints ops/s and the latency percentiles of acknowledged
writes, and the machine.

    python bench/impl_throughput.py                       # 3 servers, 32 clients at the leader
    python bench/impl_throughput.py --spread              # clients spread over every server
    python bench/impl_throughput.py --clients 1 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import describe  # bench/machine.py, beside this script

from impl.server.local import HOST, ClusterLayout, LocalCluster, wait_for


async def client(
    port: int, payload: str, warmup_end: float, end: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection(HOST, port)
    request = json.dumps({"op": "write", "data": payload}).encode() + b"\n"
    errors = 0
    try:
        while (now := time.perf_counter()) < end:
            writer.write(request)
            reply = json.loads(await reader.readline())
            done = time.perf_counter()
            if not reply["ok"]:
                errors += 1
            elif now >= warmup_end:
                latencies.append(done - now)
    finally:
        writer.close()
    return errors


async def load(ports: list[int], clients: int, size: int, warmup: float, seconds: float) -> tuple:
    latencies: list[float] = []
    start = time.perf_counter()
    warmup_end, end = start + warmup, start + warmup + seconds
    payload = "x" * size
    tasks = [
        client(ports[i % len(ports)], payload, warmup_end, end, latencies) for i in range(clients)
    ]
    errors = sum(await asyncio.gather(*tasks))
    return latencies, errors


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--size", type=int, default=100, help="payload bytes per write")
    parser.add_argument("--spread", action="store_true", help="clients on every server")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="zab-bench-"))
    layout = ClusterLayout.on_free_ports(args.servers, application="txnlist")
    cluster = LocalCluster(layout, directory)
    cluster.start_all()
    try:
        leader = wait_for(cluster.leader, 30, "a leader")
        servers = cluster.layout.servers if args.spread else [leader]
        ports = [cluster.layout.client_ports[s] for s in servers]
        latencies, errors = asyncio.run(
            load(ports, args.clients, args.size, args.warmup, args.seconds)
        )
        counts = {
            s: (cluster.status(s) or {}).get("committed_count") for s in cluster.layout.servers
        }
    finally:
        cluster.stop_all()
    where = "every server" if args.spread else f"the leader (server {leader})"
    print(f"machine: {describe()}")
    print(
        f"{args.servers} servers on loopback, fsync on; {args.clients} clients writing "
        f"{args.size}-byte payloads to {where} for {args.seconds:g}s after {args.warmup:g}s warm-up"
    )
    if not latencies:
        print(f"no write was acknowledged ({errors} errors)")
        return 1
    ms = sorted(1000 * x for x in latencies)
    print(
        f"  {len(ms) / args.seconds:,.0f} ops/s; latency p50 {percentile(ms, 50):.2f} ms, "
        f"p99 {percentile(ms, 99):.2f} ms, max {ms[-1]:.2f} ms; {errors} errors"
    )
    print(f"  committed txns per server at the end: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
