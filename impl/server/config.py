"""The server's configuration file (TOML)::

id = 1
data_dir = "data/1"
application = "zookeeper"    # optional: "zookeeper" (the default) or "txnlist"

[servers.1]
peer = "127.0.0.1:7101"      # where the others reach this server
client = "127.0.0.1:7201"    # the client port: ZooKeeper's protocol, four-letter words, JSON lines
[servers.2]
peer = "127.0.0.1:7102"
client = "127.0.0.1:7202"
[servers.4]
peer = "127.0.0.1:7104"
client = "127.0.0.1:7204"
observer = true

[dial]                       # optional: reach server 2 through another address (a proxy)
2 = "127.0.0.1:9002"

[tuning]                     # optional: impl.core.tunables.Tunables fields
tick_ms = 100

[service]                    # optional: impl.service.zookeeper.Limits fields
min_session_timeout_ms = 1000
super_digest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="   # optional: addauth digest super:test is super

[trace]                      # optional: record every step (traces/README.md)
file = "trace/1.jsonl"       # this server's trace file, continued after a restart
run = "run-1"                # the identifier the files of one run share

mutations = ["skip-trunc"]   # optional (a top-level key): bug switches, impl.core.switches
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from impl.core.quorum import Cluster
from impl.core.switches import NONE, Switches, check_switches
from impl.core.tunables import Tunables
from impl.service.zookeeper import Limits

Address = tuple[str, int]

APPLICATIONS = ("zookeeper", "txnlist")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ServerConfig:
    sid: int
    data_dir: Path
    cluster: Cluster
    peer_addresses: dict[int, Address]
    client_addresses: dict[int, Address]
    dial: dict[int, Address]
    tunables: Tunables
    application: str = "zookeeper"
    """What the txns are: ZooKeeper's data tree and sessions, or an opaque list (``TxnList``)."""
    limits: Limits = field(default_factory=Limits)
    trace_file: Path | None = None
    """Where to record this server's steps (none: not recording)."""
    trace_run: str = "run"
    switches: Switches = NONE
    """Bug switches (the file's top-level ``mutations``), checked by ``impl.core.switches``."""

    @property
    def listen(self) -> Address:
        return self.peer_addresses[self.sid]

    @property
    def client(self) -> Address:
        return self.client_addresses[self.sid]


def parse_address(text: Any, where: str) -> Address:
    if not isinstance(text, str):
        raise ConfigError(f'{where}: expected "host:port", got {text!r}')
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f'{where}: expected "host:port", got {text!r}')
    return host, int(port)


def load_config(path: Path) -> ServerConfig:
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, str(path), path.parent)


def parse_config(raw: dict[str, Any], where: str, base: Path) -> ServerConfig:
    known = {"id", "data_dir", "application", "servers", "dial", "tuning", "service"}
    unknown = set(raw) - known - {"trace", "mutations"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    sid = raw.get("id")
    if not isinstance(sid, int) or isinstance(sid, bool):
        raise ConfigError(f"{where}: 'id' must be an integer")
    if not isinstance(raw.get("data_dir"), str):
        raise ConfigError(f"{where}: 'data_dir' must be a string")
    servers = raw.get("servers")
    if not isinstance(servers, dict) or not servers:
        raise ConfigError(f"{where}: a [servers.N] table per server is required")
    voters, observers, peers, clients = [], [], {}, {}
    for key, entry in servers.items():
        if not key.isdigit() or not isinstance(entry, dict):
            raise ConfigError(f"{where}: [servers.{key}]: the key must be a server id")
        n = int(key)
        peers[n] = parse_address(entry.get("peer"), f"{where}: servers.{key}.peer")
        clients[n] = parse_address(entry.get("client"), f"{where}: servers.{key}.client")
        (observers if entry.get("observer", False) else voters).append(n)
    try:
        cluster = Cluster(tuple(sorted(voters)), tuple(sorted(observers)))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if sid not in peers:
        raise ConfigError(f"{where}: id {sid} has no [servers.{sid}] entry")
    dial = dict(peers)
    for key, value in (raw.get("dial") or {}).items():
        if not key.isdigit() or int(key) not in peers:
            raise ConfigError(f"{where}: dial.{key}: not a server id")
        dial[int(key)] = parse_address(value, f"{where}: dial.{key}")
    application = raw.get("application", "zookeeper")
    if application not in APPLICATIONS:
        raise ConfigError(f"{where}: application: one of {', '.join(APPLICATIONS)}")
    tuning = _settings(raw, "tuning", Tunables, where)
    limits = _settings(raw, "service", Limits, where)
    data_dir = Path(raw["data_dir"])
    trace_file, trace_run = _trace(raw, where, base)
    mutations = raw.get("mutations", [])
    if not isinstance(mutations, list) or not all(isinstance(m, str) for m in mutations):
        raise ConfigError(f"{where}: mutations: a list of strings")
    try:
        switches = check_switches(frozenset(mutations))
    except ValueError as exc:
        raise ConfigError(f"{where}: mutations: {exc}") from None
    return ServerConfig(
        sid,
        data_dir if data_dir.is_absolute() else base / data_dir,
        cluster,
        peers,
        clients,
        dial,
        Tunables(**tuning),
        application,
        Limits(**limits),
        trace_file,
        trace_run,
        switches,
    )


def _trace(raw: dict[str, Any], where: str, base: Path) -> tuple[Path | None, str]:
    """The ``[trace]`` table: the file (relative to the configuration's folder) and run."""
    table = raw.get("trace")
    if table is None:
        return None, "run"
    if not isinstance(table, dict) or set(table) - {"file", "run"}:
        raise ConfigError(f"{where}: [trace] takes 'file' and 'run'")
    file, run = table.get("file"), table.get("run", "run")
    if not isinstance(file, str) or not file or not isinstance(run, str):
        raise ConfigError(f"{where}: trace.file and trace.run must be strings")
    path = Path(file)
    return (path if path.is_absolute() else base / path), run


def _settings(raw: dict[str, Any], table: str, cls: type, where: str) -> dict[str, int | str]:
    """The ``[table]`` of settings for the dataclass ``cls``: positive integers, or strings
    where the field's default is one."""
    values = raw.get(table) or {}
    kinds = {f.name: type(f.default) for f in fields(cls)}
    for key, value in values.items():
        if kinds.get(key) is str:
            if not isinstance(value, str):
                raise ConfigError(f"{where}: {table}.{key}: not a string setting")
        elif key not in kinds or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where}: {table}.{key}: not a positive integer setting")
    return values
