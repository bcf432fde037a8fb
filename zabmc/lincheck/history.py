"""Client histories: the JSON-lines format and its reader.

A history is one JSON object per line, in the order the recorder saw the events:

``{"type": "invoke", "process": 3, "session": "0x5a...", "time": 1200450, "op": "cas",
"key": "/r/1", "args": {"value": "3-17", "version": 4}}``
    a client process invokes an operation. ``time`` is when it was invoked, in integer
    nanoseconds of one monotonic clock shared by every process of the history.
    ``session`` names the ZooKeeper session the operation is sent in.

``{"type": "ok", "process": 3, "time": 1290020, "result": {"version": 5}}``
    the operation of that process completed with this result (an error the server answered
    with, such as ``{"error": "bad-version"}``, is a result too: it says what the state was).

``{"type": "fail", "process": 3, "time": ...}``
    the operation definitely did not take effect (it was never sent).

``{"type": "info", "process": 3, "time": ...}``
    the outcome is unknown (connection lost, timed out): it may take effect at any time after
    its invocation, or never. An invocation with no completion by the end of the file is
    read as ``info``.

Lines of type ``"header"`` (``{"type": "header", "format": "zabmc-history/1", ...}``, what
produced the history: seed, workload, cluster) and ``"nemesis"`` (``{"type": "nemesis",
"time": ..., "fault": "kill", "detail": "server 2"}``, a fault injected) carry no operations;
they are kept for the report. A process has at most one operation outstanding; a completion
belongs to the process's outstanding invocation.

The operations (``key`` is a znode path; a ``multi`` has ``"key": null``):

=============  ===========================================  ==================================
op             args                                         result
=============  ===========================================  ==================================
``get``        —                                            ``{"value", "version"}``
``children``   —                                            ``{"seqs": [n, ...]}``
``create``     ``{"value"}``                                ``{}``
``set``        ``{"value"}``                                ``{"version"}``
``cas``        ``{"value", "version"}`` (versioned set)     ``{"version"}``
``create_seq`` ``{"value"}`` (sequential child of key)      ``{"seq"}``
``sync``       —                                            ``{}``
``multi``      ``{"ops": [{"op": "check"|"set"|"cas"|``     ``{}``
               ``"create", "key", ...}, ...]}``
=============  ===========================================  ==================================

Any result may instead be ``{"error": "no-node" | "node-exists" | "bad-version"}`` (for a
``multi``, the error of its first failing operation).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

FORMAT = "zabmc-history/1"

READS = frozenset({"get", "children"})
WRITES = frozenset({"create", "set", "cas", "create_seq", "multi"})
BARRIERS = frozenset({"sync"})
OPS = READS | WRITES | BARRIERS
MULTI_OPS = frozenset({"check", "set", "cas", "create"})
ERRORS = frozenset({"no-node", "node-exists", "bad-version"})

_RESULT_FIELDS: dict[str, frozenset[str]] = {
    "get": frozenset({"value", "version"}),
    "children": frozenset({"seqs"}),
    "create": frozenset(),
    "set": frozenset({"version"}),
    "cas": frozenset({"version"}),
    "create_seq": frozenset({"seq"}),
    "sync": frozenset(),
    "multi": frozenset(),
}
_ARG_FIELDS: dict[str, frozenset[str]] = {
    "get": frozenset(),
    "children": frozenset(),
    "create": frozenset({"value"}),
    "set": frozenset({"value"}),
    "cas": frozenset({"value", "version"}),
    "create_seq": frozenset({"value"}),
    "sync": frozenset(),
    "multi": frozenset({"ops"}),
}


class HistoryError(Exception):
    """A history that cannot be read; the message names the place (file:line)."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of a history: invoked at ``inv``, completed at ``ret`` (``inf`` when its
    outcome is unknown, ``status == "info"``)."""

    index: int
    process: int
    session: str
    op: str
    key: str | None
    args: dict[str, Any]
    status: str
    """``ok`` or ``info`` (``fail`` operations are kept out of the checked history)."""
    result: dict[str, Any] | None
    inv: int
    ret: float
    line: int
    """The line of the invocation."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The znodes it touches (a ``sync`` touches none: it is a barrier for all)."""
        if self.op == "multi":
            return tuple(sorted({sub["key"] for sub in self.args["ops"]}))
        return () if self.op == "sync" else (self.key,)  # type: ignore[return-value]

    @property
    def ordered_in_real_time(self) -> bool:
        """Writes and syncs are linearizable; reads only sequentially consistent."""
        return self.op not in READS

    @property
    def can_change_state(self) -> bool:
        return self.op in WRITES and not (self.result and "error" in self.result)

    def untimed(self) -> Operation:
        """The same operation and result with its reply time forgotten: it still took effect,
        at some time after its invocation."""
        return replace(self, ret=math.inf)

    def forgotten(self) -> Operation:
        """The same invocation with its outcome forgotten (``info``)."""
        return replace(self, status="info", result=None, ret=math.inf)

    def text(self) -> str:
        """``cas /r/1 {value: 3-17, version: 4} -> {version: 5}`` style, for reports."""
        args = " ".join(f"{k}={_short(v)}" for k, v in self.args.items())
        where = f" {self.key}" if self.key else ""
        call = f"{self.op}{where}{' ' + args if args else ''}"
        if self.status != "ok":
            return f"{call} -> ?"
        assert self.result is not None
        out = " ".join(f"{k}={_short(v)}" for k, v in self.result.items()) or "ok"
        return f"{call} -> {out}"


def _short(value: Any) -> str:
    if isinstance(value, list) and len(value) > 3 and value == list(range(value[0], value[-1] + 1)):
        return f"[{value[0]}..{value[-1]}]"
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return "[" + "; ".join(" ".join(f"{k}={w}" for k, w in v.items()) for v in value) + "]"
    return json.dumps(value) if not isinstance(value, str) else value


@dataclass(slots=True)
class History:
    """The operations of a history file, in invocation order, with its other lines."""

    operations: list[Operation]
    header: dict[str, Any] = field(default_factory=dict)
    nemesis: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    """Operations completed with ``fail`` (they took no effect; not checked)."""
    source: str = ""


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise HistoryError(f"{where}: {what}")


def _check_call(where: str, op: str, key: Any, args: Any) -> None:
    _need(op in OPS, where, f"unknown op {op!r}; choose from: {', '.join(sorted(OPS))}")
    _need(isinstance(args, dict), where, '"args" must be an object')
    missing = _ARG_FIELDS[op] - set(args)
    _need(not missing, where, f"{op} needs args {', '.join(sorted(missing))}")
    if op == "multi":
        _need(key is None, where, 'a multi has "key": null (its ops name their keys)')
        ops = args["ops"]
        _need(isinstance(ops, list) and ops, where, "multi args.ops must be a non-empty list")
        for sub in ops:
            _need(
                isinstance(sub, dict) and sub.get("op") in MULTI_OPS,
                where,
                f"a multi op is one of {', '.join(sorted(MULTI_OPS))} with a key",
            )
            _need(isinstance(sub.get("key"), str), where, "a multi op needs a string key")
            wanted = {"check": {"version"}, "set": {"value"}, "cas": {"value", "version"}}
            need = wanted.get(sub["op"], {"value"})
            _need(need <= set(sub), where, f"multi {sub['op']} needs {', '.join(sorted(need))}")
    else:
        _need(isinstance(key, str) and key.startswith("/"), where, f"{op} needs a znode key")
    for name in ("version",):
        if name in args:
            _need(isinstance(args[name], int), where, f"args.{name} must be an integer")


def _check_result(where: str, op: str, result: Any) -> None:
    _need(isinstance(result, dict), where, 'an "ok" needs a "result" object')
    if "error" in result:
        _need(
            result["error"] in ERRORS,
            where,
            f"unknown error {result['error']!r}; choose from: {', '.join(sorted(ERRORS))}",
        )
        return
    missing = _RESULT_FIELDS[op] - set(result)
    _need(not missing, where, f"the result of {op} needs {', '.join(sorted(missing))}")
    if op == "children":
        seqs = result["seqs"]
        _need(isinstance(seqs, list) and all(isinstance(s, int) for s in seqs), where, "seqs")
    for name in ("version", "seq"):
        if name in result:
            _need(isinstance(result[name], int), where, f"result.{name} must be an integer")


def parse_history(lines: list[str], source: str = "<history>") -> History:
    """The history of these lines, or :class:`HistoryError` naming ``source:line``."""
    history = History([], source=source)
    pending: dict[int, dict[str, Any]] = {}
    last_time: dict[int, int] = {}
    ops: list[Operation] = []
    for number, raw in enumerate(lines, start=1):
        where = f"{source}:{number}"
        if not raw.strip():
            continue
        try:
            event = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from None
        _need(isinstance(event, dict), where, "each line must be a JSON object")
        kind = event.get("type")
        if kind == "header":
            fmt = event.get("format")
            _need(fmt == FORMAT, where, f"format {fmt!r} is not {FORMAT!r}")
            history.header = event
            continue
        if kind == "nemesis":
            _need(isinstance(event.get("time"), int), where, 'a nemesis line needs an int "time"')
            history.nemesis.append({**event, "line": number})
            continue
        _need(
            kind in ("invoke", "ok", "fail", "info"),
            where,
            f"unknown type {kind!r}; choose from: header, invoke, ok, fail, info, nemesis",
        )
        process, time = event.get("process"), event.get("time")
        _need(isinstance(process, int), where, 'needs an integer "process"')
        _need(isinstance(time, int) and time >= 0, where, 'needs a non-negative integer "time"')
        _need(time >= last_time.get(process, 0), where, f"time goes back for process {process}")
        last_time[process] = time
        if kind == "invoke":
            _need(
                process not in pending,
                where,
                f"process {process} invokes while its operation of line "
                f"{pending.get(process, {}).get('line')} is outstanding",
            )
            _need(isinstance(event.get("session"), str), where, 'needs a string "session"')
            _check_call(where, event.get("op"), event.get("key"), event.get("args", {}))
            pending[process] = {**event, "line": number, "args": event.get("args", {})}
            continue
        _need(process in pending, where, f"a completion for process {process}, which has none")
        call = pending.pop(process)
        if "op" in event:
            _need(event["op"] == call["op"], where, f"completes a {call['op']}, says {event['op']}")
        if kind == "fail":
            history.failed += 1
            continue
        result = None
        if kind == "ok":
            result = event.get("result")
            _check_result(where, call["op"], result)
        ops.append(
            Operation(
                index=0,
                process=process,
                session=call["session"],
                op=call["op"],
                key=call.get("key"),
                args=call["args"],
                status=kind,
                result=result,
                inv=call["time"],
                ret=time if kind == "ok" else math.inf,
                line=call["line"],
            )
        )
    for call in pending.values():  # never completed: unknown outcome
        ops.append(
            Operation(
                0,
                call["process"],
                call["session"],
                call["op"],
                call.get("key"),
                call["args"],
                "info",
                None,
                call["time"],
                math.inf,
                call["line"],
            )
        )
    ops.sort(key=lambda o: (o.inv, o.line))
    history.operations = [replace(o, index=i) for i, o in enumerate(ops)]
    return history


def read_history(path: str | Path) -> History:
    """The history in a file; :class:`HistoryError` if it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"{path}: cannot read: {exc}") from None
    return parse_history(text.splitlines(), str(path))
