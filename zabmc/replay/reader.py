"""Reading one trace file of the documented format (``traces/README.md``, version 1).

Everything is checked as it is read, and the first problem stops the reading with a
:class:`~zabmc.replay.trace.TraceError` naming the file and line: bad JSON, a wrong version,
a missing or unknown key, a value of the wrong type, an action outside the vocabulary, an
unknown server, an event out of sequence.
"""

from __future__ import annotations

import json
from itertools import chain
from pathlib import Path
from typing import Any

from zabmc.replay.trace import STATE_FIELDS, Event, Header, ObservedState, TraceError, Vote
from zabmc.replay.vocabulary import ACTIONS, INT, MESSAGES, PHASES, ROLES, ZXID

FORMAT = "zabmc-trace"
#: The versions of the format this reader understands.
VERSIONS = (1,)
LEVELS = ("system",)
SOURCES = ("simulator", "process")

HEADER_KEYS = frozenset(
    (
        "format",
        "version",
        "level",
        "voters",
        "observers",
        "bounds",
        "impl",
        "source",
        "seed",
        "server",
        "run",
        "mutations",
    )
)
EVENT_KEYS = frozenset(("seq", "server", "action", "args", "msg", "state", "clock"))
STATE_KEYS = frozenset(STATE_FIELDS)
VOTE_KEYS = frozenset(("leader", "zxid", "epoch", "round"))
_ROLE_INDEX = {name: k for k, name in enumerate(ROLES)}
_PHASE_INDEX = {name: k for k, name in enumerate(PHASES)}
_MESSAGE_KEYS = {kind: frozenset(fields) | {"type"} for kind, fields in MESSAGES.items()}


class _Bad(Exception):
    """A problem inside one line; the caller adds where."""


def _keys(obj: Any, expected: frozenset, what: str) -> dict:
    if not isinstance(obj, dict):
        raise _Bad(f"{what} must be a JSON object")
    keys = obj.keys()
    if keys != expected:
        missing = sorted(expected - keys)
        extra = sorted(keys - expected)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unknown {', '.join(extra)}")
        raise _Bad(f"{what}: {'; '.join(parts)}")
    return obj


def _int(value: Any, what: str) -> int:
    if type(value) is not int or value < 0:
        raise _Bad(f"{what} must be a non-negative integer, got {json.dumps(value)}")
    return value


def _zxid(value: Any, what: str) -> tuple[int, int]:
    if (
        type(value) is list
        and len(value) == 2
        and type(value[0]) is int
        and type(value[1]) is int
        and value[0] >= 0
        and value[1] >= 0
    ):
        return (value[0], value[1])
    raise _Bad(f"{what} must be a zxid [epoch, counter], got {json.dumps(value)}")


def _ids(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise _Bad(f"{what} must be a list of myids")
    return tuple(_int(v, what) for v in value)


def _header(obj: Any) -> Header:
    if isinstance(obj, dict) and "version" in obj and obj.get("format") == FORMAT:
        version = obj["version"]
        if version not in VERSIONS:
            readable = ", ".join(str(v) for v in VERSIONS)
            raise _Bad(
                f"trace format version {json.dumps(version)} is not supported "
                f"(zabmc replay reads version {readable})"
            )
    h = _keys(obj, HEADER_KEYS, "header")
    if h["format"] != FORMAT:
        raise _Bad(f"not a zabmc trace: format is {json.dumps(h['format'])}, not {FORMAT!r}")
    if h["level"] not in LEVELS:
        raise _Bad(f"level {json.dumps(h['level'])} is not one of {', '.join(LEVELS)}")
    if h["source"] not in SOURCES:
        raise _Bad(f"source {json.dumps(h['source'])} is not one of {', '.join(SOURCES)}")
    voters, observers = _ids(h["voters"], "voters"), _ids(h["observers"], "observers")
    servers = (*voters, *observers)
    if not voters or servers != tuple(range(1, len(servers) + 1)):
        raise _Bad(
            f"servers must be myids 1..N, voters first then observers; got voters "
            f"{list(voters)}, observers {list(observers)}"
        )
    bounds = h["bounds"]
    if bounds is not None:
        if not isinstance(bounds, dict):
            raise _Bad("bounds must be an object or null")
        for key, value in bounds.items():
            _int(value, f"bounds.{key}")
    for key in ("impl", "run"):
        if not isinstance(h[key], str):
            raise _Bad(f"{key} must be a string")
    if h["seed"] is not None and type(h["seed"]) is not int:
        raise _Bad("seed must be an integer or null")
    server = h["server"]
    if h["source"] == "process":
        if server not in servers:
            raise _Bad(f"a process file's server must be one of {list(servers)}, got {server}")
    elif server is not None:
        raise _Bad("server must be null in a simulator trace")
    mutations = h["mutations"]
    if not isinstance(mutations, list) or not all(isinstance(m, str) for m in mutations):
        raise _Bad("mutations must be a list of strings")
    return Header(
        version=h["version"],
        level=h["level"],
        voters=voters,
        observers=observers,
        bounds=bounds,
        impl=h["impl"],
        source=h["source"],
        seed=h["seed"],
        server=server,
        run=h["run"],
        mutations=tuple(mutations),
    )


def _message(obj: Any) -> tuple | None:
    if obj is None:
        return None
    if not isinstance(obj, dict) or obj.get("type") not in MESSAGES:
        kind = obj.get("type") if isinstance(obj, dict) else obj
        raise _Bad(f"msg type {json.dumps(kind)} is not one of {', '.join(MESSAGES)}")
    kind = obj["type"]
    _keys(obj, _MESSAGE_KEYS[kind], f"{kind} msg")
    values: list[Any] = [kind]
    for name, how in MESSAGES[kind].items():
        value = obj[name]
        if how == ZXID:
            values.append(_zxid(value, f"msg.{name}"))
        elif how == INT:
            values.append(_int(value, f"msg.{name}"))
        else:
            if value not in _ROLE_INDEX:
                raise _Bad(f"msg.{name} must be one of {', '.join(ROLES)}")
            values.append(_ROLE_INDEX[value])
    return tuple(values)


def _state(obj: Any) -> ObservedState:
    st = _keys(obj, STATE_KEYS, "state")
    role = _ROLE_INDEX.get(st["role"])
    if role is None:
        raise _Bad(f"state.role must be one of {', '.join(ROLES)}")
    phase = _PHASE_INDEX.get(st["phase"])
    if phase is None:
        raise _Bad(f"state.phase must be one of {', '.join(PHASES)}")
    v = _keys(st["vote"], VOTE_KEYS, "state.vote")
    history = _history(st["history"])
    return ObservedState(
        role,
        phase,
        _int(st["acceptedEpoch"], "state.acceptedEpoch"),
        _int(st["currentEpoch"], "state.currentEpoch"),
        _zxid(st["lastZxid"], "state.lastZxid"),
        _zxid(st["lastCommitted"], "state.lastCommitted"),
        Vote(
            _int(v["leader"], "state.vote.leader"),
            _zxid(v["zxid"], "state.vote.zxid"),
            _int(v["epoch"], "state.vote.epoch"),
            _int(v["round"], "state.vote.round"),
        ),
        history,
    )


def _history(value: Any) -> tuple[tuple[int, int], ...]:
    """A list of zxids, checked with C-level passes over it (it is the longest field)."""
    if type(value) is not list:
        raise _Bad("state.history must be a list of zxids")
    if not value:
        return ()
    if set(map(type, value)) == {list} and set(map(len, value)) == {2}:
        flat = list(chain.from_iterable(value))
        if set(map(type, flat)) == {int} and min(flat) >= 0:
            return tuple(map(tuple, value))  # type: ignore[arg-type]
    return tuple(_zxid(z, "state.history entry") for z in value)  # raises on the bad one


def _event(
    obj: Any,
    header: Header,
    expected_seq: int,
    file: str,
    line: int,
    state: ObservedState | None = None,
) -> Event:
    e = _keys(obj, EVENT_KEYS, "event")
    seq = e["seq"]
    if seq != expected_seq or type(seq) is not int:
        raise _Bad(f"event out of order: seq {json.dumps(seq)}, expected {expected_seq}")
    action = e["action"]
    arity = ACTIONS.get(action) if isinstance(action, str) else None
    if arity is None:
        raise _Bad(f"unknown action {json.dumps(action)} (not in the shared vocabulary)")
    servers = header.servers
    server = e["server"]
    if server not in servers or type(server) is not int:
        raise _Bad(f"unknown server {json.dumps(server)} (the run has {list(servers)})")
    args = e["args"]
    if not isinstance(args, list) or len(args) != arity:
        raise _Bad(f"{action} takes {arity} server(s) as args, got {json.dumps(args)}")
    for a in args:
        if a not in servers or type(a) is not int:
            raise _Bad(f"unknown server {json.dumps(a)} in args (the run has {list(servers)})")
    clock = e["clock"]
    if header.source == "process":
        _int(clock, "clock")
        if server != header.server:
            raise _Bad(f"an event of server {server} in the file of server {header.server}")
    elif clock is not None:
        raise _Bad("clock must be null in a simulator trace")
    if state is None:
        state = _state(e["state"])
    return Event(seq, server, action, tuple(args), _message(e["msg"]), state, clock, file, line)


_DECODER = json.JSONDecoder()


def _whole(text: str) -> Any:
    """``text`` parsed when it is exactly one JSON value (the fast path), else None: the
    caller then parses the whole line with json.loads, which names the problem."""
    try:
        value, end = _DECODER.raw_decode(text)
    except json.JSONDecodeError:
        return None
    return value if end == len(text) else None


#: Where a writer that keeps the documented key order puts an event's state: after
#: ``"msg"`` and before ``"clock"``. States repeat from event to event (a server's state
#: changes with some steps only), so a state's text is parsed and checked once per file.
STATE_OPEN = ', "state": {'
STATE_KEY = ', "state": '
CLOCK_KEY = ', "clock": '


def _event_line(
    line: str, header: Header, seq: int, file: str, number: int, states: dict[str, ObservedState]
) -> Event:
    """One event line. The state is looked up by its text when the line has the documented
    key order; anything else (another order, bad JSON) takes the plain path below."""
    a = line.find(STATE_OPEN)
    b = line.rfind(CLOCK_KEY)
    if 0 < a < b:
        text = line[a + len(STATE_KEY) : b]
        obj = _whole(line[:a] + line[b:])
        known = states.get(text)
        raw = None if known is not None or obj is None else _whole(text)
        if known is None and raw is None:
            obj = None
        if isinstance(obj, dict) and "state" not in obj:
            obj["state"] = raw
            event = _event(obj, header, seq, file, number, known)
            states[text] = event.state
            return event
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _Bad(f"bad JSON: {exc.msg} at column {exc.colno}") from None
    return _event(obj, header, seq, file, number)


def read_header(path: str | Path) -> Header:
    """Line 1 of a trace file, checked."""
    name = str(path)
    try:
        with open(path, "rb") as f:
            first = f.readline()
    except OSError as exc:
        raise TraceError(name, f"cannot read: {exc.strerror or exc}") from None
    if not first:
        raise TraceError(f"{name}:1", "empty file: a trace starts with its header")
    if not first.strip():
        raise TraceError(f"{name}:1", "blank line (not allowed in a trace)")
    try:
        return _header(json.loads(first.decode("utf-8")))
    except UnicodeDecodeError:
        raise TraceError(f"{name}:1", "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise TraceError(f"{name}:1", f"bad JSON: {exc.msg} at column {exc.colno}") from None
    except _Bad as exc:
        raise TraceError(f"{name}:1", str(exc)) from None


def read_trace_file(path: str | Path) -> tuple[Header, list[Event]]:
    """The header and events of one file; a :class:`TraceError` at the first problem."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise TraceError(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TraceError(f"{name}:{line}", "not UTF-8 text") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise TraceError(f"{name}:1", "empty file: a trace starts with its header")
    header: Header | None = None
    events: list[Event] = []
    states: dict[str, ObservedState] = {}
    for number, line in enumerate(lines, start=1):
        try:
            if not line.strip():
                raise _Bad("blank line (not allowed in a trace)")
            if header is not None:
                events.append(_event_line(line, header, len(events) + 1, name, number, states))
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _Bad(f"bad JSON: {exc.msg} at column {exc.colno}") from None
            header = _header(obj)
        except _Bad as exc:
            raise TraceError(f"{name}:{number}", str(exc)) from None
        except RecursionError:
            raise TraceError(f"{name}:{number}", "JSON nested too deeply") from None
    assert header is not None
    return header, events
