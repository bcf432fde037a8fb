"""The four-letter words on the client port (``ruok``, ``srvr``, ``stat``, ``envi``, ``mntr``),
rendered from a snapshot of the server's facts, in ZooKeeper's formats."""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "3.8.0-zabmc"
"""The ZooKeeper release whose client protocol this server speaks (kazoo's
``server_version()`` reads it from ``envi``), marked as zabmc's."""

NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n"


@dataclass(frozen=True, slots=True)
class ClientFacts:
    address: str
    session_id: int
    queued: int
    received: int
    sent: int


@dataclass(frozen=True, slots=True)
class ServerFacts:
    sid: int
    mode: str
    """leader, follower, observer, or looking (not serving)."""
    zxid: int
    node_count: int
    ephemerals: int
    watches: int
    sessions: int
    clients: tuple[ClientFacts, ...]
    received: int
    sent: int
    outstanding: int
    latency_ms: tuple[int, float, int]
    """min, avg, max of the requests answered so far."""
    environment: tuple[tuple[str, str], ...] = ()
    """What ``envi`` lists besides the version (host name, Python, OS), from the adapter."""


def render(word: str, facts: ServerFacts) -> str:
    if word == "ruok":
        return "imok"
    if word == "envi":
        return _envi(facts)
    if facts.mode == "looking":
        return NOT_SERVING
    if word == "mntr":
        return _mntr(facts)
    if word == "stat":
        clients = "".join(
            f" {c.address}[1](queued={c.queued},recved={c.received},sent={c.sent},"
            f"sid=0x{c.session_id:x})\n"
            for c in facts.clients
        )
        return f"Zookeeper version: {VERSION}\nClients:\n{clients}\n{_summary(facts)}"
    return f"Zookeeper version: {VERSION}\n{_summary(facts)}"


def _summary(f: ServerFacts) -> str:
    low, avg, high = f.latency_ms
    return (
        f"Latency min/avg/max: {low}/{avg:.4f}/{high}\n"
        f"Received: {f.received}\n"
        f"Sent: {f.sent}\n"
        f"Connections: {len(f.clients)}\n"
        f"Outstanding: {f.outstanding}\n"
        f"Zxid: 0x{f.zxid:x}\n"
        f"Mode: {f.mode}\n"
        f"Node count: {f.node_count}\n"
    )


def _envi(f: ServerFacts) -> str:
    lines = [
        "Environment:",
        f"zookeeper.version={VERSION}, built on zabmc (a Python reference implementation)",
        *(f"{key}={value}" for key, value in f.environment),
        f"zabmc.server.id={f.sid}",
    ]
    return "\n".join(lines) + "\n"


def _mntr(f: ServerFacts) -> str:
    low, avg, high = f.latency_ms
    rows: list[tuple[str, object]] = [
        ("zk_version", VERSION),
        ("zk_server_state", f.mode),
        ("zk_avg_latency", f"{avg:.4f}"),
        ("zk_max_latency", high),
        ("zk_min_latency", low),
        ("zk_packets_received", f.received),
        ("zk_packets_sent", f.sent),
        ("zk_num_alive_connections", len(f.clients)),
        ("zk_outstanding_requests", f.outstanding),
        ("zk_znode_count", f.node_count),
        ("zk_watch_count", f.watches),
        ("zk_ephemerals_count", f.ephemerals),
        ("zk_global_sessions", f.sessions),
        ("zk_last_zxid", f"0x{f.zxid:x}"),
    ]
    return "".join(f"{key}\t{value}\n" for key, value in rows)
