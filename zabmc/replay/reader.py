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
    return ObservedState(
        *_state_roles(st), *_state_zxids(st), _state_vote(st), _history(st["history"])
    )


# A state's fields in three groups that vary apart (the fast path caches each group).


def _state_roles(st: dict) -> tuple[int, int, int, int]:
    """role, phase, acceptedEpoch and currentEpoch, checked."""
    role = _ROLE_INDEX.get(st["role"])
    if role is None:
        raise _Bad(f"state.role must be one of {', '.join(ROLES)}")
    phase = _PHASE_INDEX.get(st["phase"])
    if phase is None:
        raise _Bad(f"state.phase must be one of {', '.join(PHASES)}")
    return (
        role,
        phase,
        _int(st["acceptedEpoch"], "state.acceptedEpoch"),
        _int(st["currentEpoch"], "state.currentEpoch"),
    )


def _state_zxids(st: dict) -> tuple[tuple[int, int], tuple[int, int]]:
    """lastZxid and lastCommitted, checked."""
    return _zxid(st["lastZxid"], "state.lastZxid"), _zxid(
        st["lastCommitted"], "state.lastCommitted"
    )


def _state_vote(st: dict) -> Vote:
    v = _keys(st["vote"], VOTE_KEYS, "state.vote")
    return Vote(
        _int(v["leader"], "state.vote.leader"),
        _zxid(v["zxid"], "state.vote.zxid"),
        _int(v["epoch"], "state.vote.epoch"),
        _int(v["round"], "state.vote.round"),
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


def _event(obj: Any, header: Header, expected_seq: int, file: str, line: int) -> Event:
    e = _keys(obj, EVENT_KEYS, "event")
    seq = e["seq"]
    if seq != expected_seq or type(seq) is not int:
        raise _Bad(f"event out of order: seq {json.dumps(seq)}, expected {expected_seq}")
    server, action, args = _call(e, header)
    clock = _clock(e["clock"], server, header)
    state = _state(e["state"])
    return Event(seq, server, action, args, _message(e["msg"]), state, clock, file, line)


def _call(e: dict, header: Header) -> tuple[int, str, tuple[int, ...]]:
    """An event's server, action and args, checked."""
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
    return server, action, tuple(args)


def _clock(clock: Any, server: int, header: Header) -> int | None:
    """An event's clock, checked, and (in a process file) that its server is the file's."""
    if header.source == "process":
        _int(clock, "clock")
        if server != header.server:
            raise _Bad(f"an event of server {server} in the file of server {header.server}")
    elif clock is not None:
        raise _Bad("clock must be null in a simulator trace")
    return clock


_DECODER = json.JSONDecoder()


def _whole(text: str) -> Any:
    """``text`` parsed when it is exactly one JSON value, else None."""
    try:
        value, end = _DECODER.raw_decode(text)
    except json.JSONDecodeError:
        return None
    return value if end == len(text) else None


def _members(text: str, keys: frozenset) -> dict:
    """``', "key": value, ...'`` (a piece cut from inside an object) parsed as an object
    with exactly ``keys``; else :class:`_Bad` (the caller then takes the plain path)."""
    obj = _whole("{" + text[2:] + "}")
    if type(obj) is not dict or obj.keys() != keys:
        raise _Bad("not a clean piece")
    return obj


# --- the fast path ----------------------------------------------------------------------------
#
# A writer that keeps the documented key order writes an event line as
#
#   {"seq": N, "server": S, "action": A, "args": [..], "msg": M, "state": {"role": .., ..,
#    "vote": {..}, "history": [..]}, "clock": C}
#
# and most of it recurs from line to line and from file to file: the same steps of the same
# servers, the same message sent to each peer, a server's state unchanged by most steps,
# its history shared by many states. So a line is cut at those keys into pieces (call,
# message, state, and on a new state its fields and its history), and each piece's text is
# parsed and checked once per reading (:class:`Pieces`), then looked up. No check of the
# format relates two pieces, and each piece is checked by the plain path's own function, so
# a piece's value holds wherever its text recurs. A line that does not cut cleanly, or a new
# piece that does not parse into exactly its keys or fails a check, is read the plain way,
# which parses the whole line and names its first problem.

SEQ_OPEN = '{"seq": '
MSG_KEY = ', "msg": '
STATE_OPEN = ', "state": {'
STATE_KEY = ', "state": '
HISTORY_KEY = ', "history": '
CLOCK_KEY = ', "clock": '
NULL_CLOCK = ', "clock": null}'
CALL_KEYS = frozenset(("server", "action", "args"))
MSG_KEYS = frozenset(("msg",))
CLOCK_KEYS = frozenset(("clock",))
LAST_ZXID_KEY = ', "lastZxid": '
VOTE_KEY = ', "vote": '
ROLES_KEYS = frozenset(("role", "phase", "acceptedEpoch", "currentEpoch"))
ZXIDS_KEYS = frozenset(("lastZxid", "lastCommitted"))
VOTE_ONLY_KEYS = frozenset(("vote",))
#: A cache that outgrows this is emptied (a long reading keeps its memory bounded).
PIECES_LIMIT = 1 << 17
_ABSENT = object()


class Pieces:
    """The checked value of each piece of event text seen in one reading.

    Calls depend on the header (its servers, source and server), so they are kept per
    header; messages and states do not.
    """

    def __init__(self) -> None:
        self.calls: dict[tuple, dict[str, tuple[int, str, tuple[int, ...]]]] = {}
        self.messages: dict[str, tuple | None] = {}
        self.states: dict[str, ObservedState] = {}
        #: a state's groups of fields, by their text (see _state_fast)
        self.state_parts: dict[str, tuple] = {}
        self.histories: dict[str, tuple[tuple[int, int], ...]] = {}

    def calls_for(self, header: Header) -> dict[str, tuple[int, str, tuple[int, ...]]]:
        key = (header.servers, header.source, header.server)
        found = self.calls.get(key)
        if found is None:
            found = self.calls[key] = {}
        return found

    def bound(self) -> None:
        """Empty the caches that have grown past :data:`PIECES_LIMIT`."""
        for cache in (self.messages, self.states, self.state_parts, self.histories):
            if len(cache) > PIECES_LIMIT:
                cache.clear()


#: An Event built without NamedTuple's Python-level ``__new__`` (the fields are in order).
_new_event = tuple.__new__


def _event_fast(
    line: str,
    header: Header,
    seq: int,
    file: str,
    number: int,
    calls: dict[str, tuple[int, str, tuple[int, ...]]],
    pieces: Pieces,
) -> Event | None:
    """Event line ``line`` read from its pieces; None when it must be read the plain way."""
    c = line.find(", ", 8)
    if c < 0 or line[8:c] != str(seq) or not line.startswith(SEQ_OPEN):
        return None  # also a seq out of order: the plain way names it
    m = line.find(MSG_KEY, c)
    a = line.find(STATE_OPEN, m)
    b = line.rfind(CLOCK_KEY)
    if not c < m < a < b:
        return None
    try:
        call_text = line[c:m]
        call = calls.get(call_text)
        if call is None:
            call = calls[call_text] = _call(_members(call_text, CALL_KEYS), header)
        msg_text = line[m:a]
        msg = pieces.messages.get(msg_text, _ABSENT)
        if msg is _ABSENT:
            msg = pieces.messages[msg_text] = _message(_members(msg_text, MSG_KEYS)["msg"])
        state_text = line[a + len(STATE_KEY) : b]
        state = pieces.states.get(state_text)
        if state is None:
            state = pieces.states[state_text] = _state_fast(state_text, pieces)
        tail = line[b:]
        if tail == NULL_CLOCK and header.source == "simulator":
            clock = None
        else:
            clock = _clock(_members(tail[:-1], CLOCK_KEYS)["clock"], call[0], header)
    except _Bad:
        return None
    return _new_event(Event, (seq, *call, msg, state, clock, file, number))  # type: ignore[arg-type]


def _state_fast(text: str, pieces: Pieces) -> ObservedState:
    """A state's text not seen before, from its groups of fields and its history, which
    recur apart: ``{"role": .., "currentEpoch": ..`` | ``, "lastZxid": .., "lastCommitted":
    ..`` | ``, "vote": {..}`` | ``, "history": [..]`` | ``}``."""
    z = text.find(LAST_ZXID_KEY)
    v = text.find(VOTE_KEY, z)
    h = text.find(HISTORY_KEY, v)
    if not 0 < z < v < h or not text.endswith("}"):
        raise _Bad("not a clean piece")
    parts = pieces.state_parts
    roles_text, zxids_text, vote_text = text[:z], text[z:v], text[v:h]
    roles = parts.get(roles_text)
    if roles is None:
        roles = parts[roles_text] = _state_roles(_members(", " + roles_text[1:], ROLES_KEYS))
    zxids = parts.get(zxids_text)
    if zxids is None:
        zxids = parts[zxids_text] = _state_zxids(_members(zxids_text, ZXIDS_KEYS))
    vote = parts.get(vote_text)
    if vote is None:
        vote = parts[vote_text] = (_state_vote(_members(vote_text, VOTE_ONLY_KEYS)),)
    history_text = text[h + len(HISTORY_KEY) : -1]
    history = pieces.histories.get(history_text)
    if history is None:
        history = pieces.histories[history_text] = _history(_whole(history_text))
    return ObservedState(*roles, *zxids, *vote, history)


def _event_line(line: str, header: Header, seq: int, file: str, number: int) -> Event:
    """An event line the plain way: parsed whole, every key checked."""
    if not line.strip():
        raise _Bad("blank line (not allowed in a trace)")
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


def read_trace_file(path: str | Path, pieces: Pieces | None = None) -> tuple[Header, list[Event]]:
    """The header and events of one file; a :class:`TraceError` at the first problem.
    ``pieces`` carries what earlier files of the same reading taught (see :class:`Pieces`)."""
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
    if pieces is None:
        pieces = Pieces()
    pieces.bound()
    number = 1
    try:
        if not lines[0].strip():
            raise _Bad("blank line (not allowed in a trace)")
        try:
            header = _header(json.loads(lines[0]))
        except json.JSONDecodeError as exc:
            raise _Bad(f"bad JSON: {exc.msg} at column {exc.colno}") from None
        events: list[Event] = []
        append = events.append
        calls = pieces.calls_for(header)
        for number, line in enumerate(lines[1:], start=2):
            seq = number - 1
            event = _event_fast(line, header, seq, name, number, calls, pieces)
            append(event or _event_line(line, header, seq, name, number))
    except _Bad as exc:
        raise TraceError(f"{name}:{number}", str(exc)) from None
    except RecursionError:
        raise TraceError(f"{name}:{number}", "JSON nested too deeply") from None
    return header, events
