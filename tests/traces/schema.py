"""A check of trace files against the format of ``traces/README.md`` (versions 1 and 2),
written from the README alone: it knows nothing of the writer in ``impl.trace``. Events come
back with each state's whole ``history``, as version 1 spells it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEADER = {
    "format": str,
    "version": int,
    "level": str,
    "voters": list,
    "observers": list,
    "bounds": (dict, type(None)),
    "impl": str,
    "source": str,
    "seed": (int, type(None)),
    "server": (int, type(None)),
    "run": str,
    "mutations": list,
}
EVENT = {
    "seq": int,
    "server": int,
    "action": str,
    "args": list,
    "msg": (dict, type(None)),
    "state": dict,
    "clock": (int, type(None)),
}
MSG_FIELDS = {
    "NOTIFICATION": {"leader", "zxid", "epoch", "round", "state"},
    "FOLLOWERINFO": {"acceptedEpoch"},
    "LEADERINFO": {"epoch"},
    "ACKEPOCH": {"currentEpoch", "lastZxid"},
    "DIFF": {"zxid"},
    "TRUNC": {"zxid"},
    "SNAP": {"zxid"},
    "PROPOSAL": {"zxid"},
    "COMMIT": {"zxid"},
    "ACK": {"zxid"},
    "INFORM": {"zxid"},
    "NEWLEADER": {"epoch"},
    "ACKLD": {"epoch"},
    "UPTODATE": {"epoch"},
}
ZXID_FIELDS = {"zxid", "lastZxid", "lastCommitted"}
ROLES = {"LOOKING", "FOLLOWING", "LEADING", "OBSERVING"}
PHASES = {"ELECTION", "DISCOVERY", "SYNCHRONIZATION", "BROADCAST"}
STATE = {
    "role",
    "phase",
    "acceptedEpoch",
    "currentEpoch",
    "lastZxid",
    "lastCommitted",
    "vote",
    "history",
}
ACTIONS = {
    "NodeCrash", "NodeStart", "PartitionStart", "PartitionRecover", "ZabTimeout",
    "FLEReceiveNotmsg", "FLENotmsgTimeout", "FLEHandleNotmsg", "FLEWaitNewNotmsg",
    "ConnectAndFollowerSendFOLLOWERINFO", "LeaderProcessFOLLOWERINFO",
    "FollowerProcessLEADERINFO", "LeaderProcessACKEPOCH", "LeaderSyncFollower",
    "FollowerProcessSyncMessage", "FollowerProcessPROPOSALInSync", "FollowerProcessCOMMITInSync",
    "FollowerProcessNEWLEADER", "LeaderProcessACKLD", "FollowerProcessUPTODATE",
    "LeaderProcessRequest", "FollowerProcessPROPOSAL", "FollowerSyncProcessorLogRequest",
    "LeaderProcessACK", "FollowerProcessCOMMIT", "ObserverProcessINFORM",
}  # fmt: skip


class SchemaError(AssertionError):
    pass


def _keys(obj: Any, spec: dict[str, Any], where: str) -> None:
    if not isinstance(obj, dict) or set(obj) != set(spec):
        got = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise SchemaError(f"{where}: keys {got}, expected {sorted(spec)}")
    for key, kind in spec.items():
        if not isinstance(obj[key], kind) or isinstance(obj[key], bool):
            raise SchemaError(f"{where}: {key} = {obj[key]!r}")


def _nat(value: Any, where: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SchemaError(f"{where}: {value!r} is not a non-negative int")


def _zxid(value: Any, where: str) -> None:
    if not isinstance(value, list) or len(value) != 2:
        raise SchemaError(f"{where}: {value!r} is not a zxid")
    for part in value:
        _nat(part, where)


def check_header(head: Any, where: str) -> None:
    _keys(head, HEADER, where)
    if (head["format"], head["level"]) != ("zabmc-trace", "system") or head["version"] not in (
        1,
        2,
    ):
        raise SchemaError(f"{where}: not a version 1 or 2 system trace")
    if head["source"] not in ("simulator", "process"):
        raise SchemaError(f"{where}: source {head['source']!r}")
    if (head["source"] == "process") != (head["server"] is not None):
        raise SchemaError(f"{where}: server must be set exactly for process files")
    if head["voters"] != sorted(head["voters"]) or head["observers"] != sorted(head["observers"]):
        raise SchemaError(f"{where}: voters and observers ascending")


def check_state(state: Any, where: str) -> None:
    if not isinstance(state, dict) or set(state) != STATE:
        raise SchemaError(f"{where}: state keys {sorted(state)}")
    if state["role"] not in ROLES or state["phase"] not in PHASES:
        raise SchemaError(f"{where}: role/phase {state['role']}/{state['phase']}")
    for key in ("acceptedEpoch", "currentEpoch"):
        _nat(state[key], f"{where}: {key}")
    for key in ("lastZxid", "lastCommitted"):
        _zxid(state[key], f"{where}: {key}")
    vote = state["vote"]
    if not isinstance(vote, dict) or set(vote) != {"leader", "zxid", "epoch", "round"}:
        raise SchemaError(f"{where}: vote {vote!r}")
    _zxid(vote["zxid"], f"{where}: vote.zxid")
    for key in ("leader", "epoch", "round"):
        _nat(vote[key], f"{where}: vote.{key}")
    if not isinstance(state["history"], list):
        raise SchemaError(f"{where}: history")
    for z in state["history"]:
        _zxid(z, f"{where}: history")
    if state["history"] and state["history"][-1] != state["lastZxid"]:
        raise SchemaError(f"{where}: lastZxid is not the history's last")


def check_msg(msg: Any, where: str) -> None:
    if msg is None:
        return
    kind = msg.get("type")
    if kind not in MSG_FIELDS or set(msg) != MSG_FIELDS[kind] | {"type"}:
        raise SchemaError(f"{where}: msg {msg!r}")
    for key, value in msg.items():
        if key in ZXID_FIELDS:
            _zxid(value, f"{where}: msg.{key}")
        elif key == "state":
            if value not in ROLES:
                raise SchemaError(f"{where}: msg.state {value!r}")
        elif key != "type":
            _nat(value, f"{where}: msg.{key}")


def whole_history(state: Any, before: list, where: str) -> None:
    """Version 2: replace the state's history change by the history it makes of ``before``
    (the server's history at its previous event in the file)."""
    change = state.get("history") if isinstance(state, dict) else None
    if not isinstance(change, dict) or set(change) != {"keep", "append"}:
        raise SchemaError(f"{where}: history {change!r} is not a change")
    _nat(change["keep"], f"{where}: history.keep")
    if change["keep"] > len(before) or not isinstance(change["append"], list):
        raise SchemaError(f"{where}: history keeps {change['keep']} of {len(before)}")
    state["history"] = before[: change["keep"]] + change["append"]


def check_event(e: Any, seq: int, head: dict[str, Any], where: str) -> None:
    _keys(e, EVENT, where)
    servers = set(head["voters"]) | set(head["observers"])
    if e["seq"] != seq:
        raise SchemaError(f"{where}: seq {e['seq']}, expected {seq}")
    if e["action"] not in ACTIONS:
        raise SchemaError(f"{where}: unknown action {e['action']!r}")
    if e["server"] not in servers or not set(e["args"]) <= servers or not e["args"]:
        raise SchemaError(f"{where}: servers {e['server']} / {e['args']}")
    if head["source"] == "process" and (e["server"] != head["server"] or e["clock"] is None):
        raise SchemaError(f"{where}: a process file's event of its server, with a clock")
    if head["source"] == "simulator" and e["clock"] is not None:
        raise SchemaError(f"{where}: clock in a simulator file")
    check_msg(e["msg"], where)
    check_state(e["state"], where)


def check_file(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and events of ``path``; raises :class:`SchemaError` naming file:line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines[-1] != "":
        raise SchemaError(f"{path}: the last line has no newline")
    lines.pop()
    records = []
    for n, text in enumerate(lines, 1):
        try:
            records.append(json.loads(text))
        except ValueError as exc:
            raise SchemaError(f"{path}:{n}: not JSON: {exc}") from None
    if not records:
        raise SchemaError(f"{path}: empty")
    head, events = records[0], records[1:]
    check_header(head, f"{path}:1")
    histories: dict[Any, list] = {}
    for n, e in enumerate(events, 1):
        if head["version"] == 2 and isinstance(e, dict):
            whole_history(e.get("state"), histories.get(e.get("server"), []), f"{path}:{n + 1}")
        check_event(e, n, head, f"{path}:{n + 1}")
        histories[e["server"]] = e["state"]["history"]
    return head, events
