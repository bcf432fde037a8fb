"""Reading one trace file of the documented format (``traces/README.md``, versions 1 and 2).

Everything is checked as it is read, and the first problem stops the reading with a
:class:`~zabmc.replay.trace.TraceError` naming the file and line: bad JSON, a wrong version,
a missing or unknown key, a value of the wrong type, an action outside the vocabulary, an
unknown server, an event out of sequence, a history change that keeps more than there was.

Version 1 spells each event's whole history; version 2 the change since the same server's
previous event in the file (``keep`` zxids of it, then ``append``). Either way an event read
holds its whole history, a :class:`~zabmc.replay.trace.History`: version 2's are built one
from another, sharing their zxids, so that reading an event costs what its line holds (a long
history is neither copied nor kept once per event).
"""

from __future__ import annotations

import json
from itertools import chain
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import msgspec

from zabmc.engine.collector import uncollected
from zabmc.replay.trace import (
    STATE_FIELDS,
    Event,
    Header,
    History,
    ObservedState,
    TraceError,
    Vote,
    Zxid,
)
from zabmc.replay.vocabulary import ACTIONS, INT, MESSAGES, PHASES, ROLES, ZXID

FORMAT = "zabmc-trace"
#: The versions of the format this reader understands.
VERSIONS = (1, 2)
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
CHANGE_KEYS = frozenset(("keep", "append"))
_ROLE_INDEX = {name: k for k, name in enumerate(ROLES)}
_PHASE_INDEX = {name: k for k, name in enumerate(PHASES)}
_MESSAGE_KEYS = {kind: frozenset(fields) | {"type"} for kind, fields in MESSAGES.items()}


class _Bad(Exception):
    """A problem inside one line; the caller adds where."""


#: Per server, its history at its latest event read from the file (version 2 builds on it).
_Histories = dict[int, History]


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


def _state(obj: Any, version: int, before: History | None) -> ObservedState:
    """The state; in version 2 ``before`` is the server's history at its previous event."""
    st = _keys(obj, STATE_KEYS, "state")
    if version == 1:
        history = History(_history(st["history"]))
    else:
        change = _keys(st["history"], CHANGE_KEYS, "state.history")
        keep = _int(change["keep"], "state.history.keep")
        history = _changed(before, keep, _history(change["append"], "state.history.append"))
    return ObservedState(*_state_roles(st), *_state_zxids(st), _state_vote(st), history)


def _changed(before: History | None, keep: int, append: tuple[Zxid, ...]) -> History:
    """Version 2: ``before`` (None before the server's first event) cut to its first
    ``keep`` zxids, then ``append``, sharing ``before``'s zxids (see History.changed)."""
    if before is None:
        before = History()  # a store of the server's own
    if keep > len(before):
        raise _Bad(
            f"state.history keeps {keep} zxids, but the server's history at its previous "
            f"event in this file has {len(before)}"
        )
    return before.changed(keep, append)


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


def _history(value: Any, what: str = "state.history") -> tuple[tuple[int, int], ...]:
    """A list of zxids, checked with C-level passes over it (it is the longest field)."""
    if type(value) is not list:
        raise _Bad(f"{what} must be a list of zxids")
    if not value:
        return ()
    if set(map(type, value)) == {list} and set(map(len, value)) == {2}:
        flat = list(chain.from_iterable(value))
        if set(map(type, flat)) == {int} and min(flat) >= 0:
            return tuple(map(tuple, value))  # type: ignore[arg-type]
    return tuple(_zxid(z, f"{what} entry") for z in value)  # raises on the bad one


def _event(
    obj: Any, header: Header, expected_seq: int, file: str, line: int, histories: _Histories
) -> Event:
    e = _keys(obj, EVENT_KEYS, "event")
    seq = e["seq"]
    if seq != expected_seq or type(seq) is not int:
        raise _Bad(f"event out of order: seq {json.dumps(seq)}, expected {expected_seq}")
    server, action, args = _call(e["server"], e["action"], e["args"], header)
    clock = _clock(e["clock"], server, header)
    state = _state(e["state"], header.version, histories.get(server))
    histories[server] = state.history
    return Event(seq, server, action, args, _message(e["msg"]), state, clock, file, line)


def _call(server: Any, action: Any, args: Any, header: Header) -> tuple[int, str, tuple[int, ...]]:
    """An event's server, action and args, checked."""
    arity = ACTIONS.get(action) if isinstance(action, str) else None
    if arity is None:
        raise _Bad(f"unknown action {json.dumps(action)} (not in the shared vocabulary)")
    servers = header.servers
    if server not in servers or type(server) is not int:
        raise _Bad(f"unknown server {json.dumps(server)} (the run has {list(servers)})")
    if not isinstance(args, list | tuple) or len(args) != arity:
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


# --- the fast path ----------------------------------------------------------------------------
#
# Most lines are read by one typed decoder (msgspec): the line's keys and the types of call and
# clock are checked as it is parsed, and its message and state are kept as raw JSON text. Those
# two recur from line to line and from file to file (the same message sent to each peer, a
# server's state unchanged by most steps), so each distinct text is decoded and checked once
# per reading (:class:`Pieces`), by typed decoders as strict as the plain path: keys exact,
# ints non-negative, roles and phases named, zxids pairs. What the types cannot say (the
# order of events, the vocabulary, the run's servers, the clock's source) is checked by the
# plain path's own functions. A line the decoders refuse is read the plain way, which parses
# it whole and names its first problem in the format's words. (The decoded records hold no
# references to other objects that could form a cycle, so the garbage collector skips them:
# ``gc=False``.)

_NonNegative = Annotated[int, msgspec.Meta(ge=0)]
_Zxid = tuple[_NonNegative, _NonNegative]


class _Line(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    seq: int
    server: int
    action: str
    args: tuple[int, ...]
    msg: msgspec.Raw
    state: msgspec.Raw
    clock: _NonNegative | None


class _Vote(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    leader: _NonNegative
    zxid: _Zxid
    epoch: _NonNegative
    round: _NonNegative


class _Fields(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A state's fields but its history."""

    role: Literal[ROLES]  # type: ignore[valid-type]
    phase: Literal[PHASES]  # type: ignore[valid-type]
    acceptedEpoch: _NonNegative
    currentEpoch: _NonNegative
    lastZxid: _Zxid
    lastCommitted: _Zxid
    vote: _Vote


class _State(_Fields, forbid_unknown_fields=True, gc=False):
    history: tuple[_Zxid, ...]


class _Change(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    keep: _NonNegative
    append: tuple[_Zxid, ...]


class _State2(_Fields, forbid_unknown_fields=True, gc=False):
    """Version 2's state: the history as the change since the previous event."""

    history: _Change


_FIELD_TYPES = {ZXID: _Zxid, INT: _NonNegative}
_MESSAGE_TYPES = tuple(
    msgspec.defstruct(
        kind,
        [(name, _FIELD_TYPES.get(how, Literal[ROLES])) for name, how in fields.items()],
        tag_field="type",
        tag=kind,
        forbid_unknown_fields=True,
        gc=False,
    )
    for kind, fields in MESSAGES.items()
)
_MESSAGE_ROLES = {  # per message type: which of its fields are a role (stored as its index)
    t: tuple(how not in _FIELD_TYPES for how in MESSAGES[t.__name__].values())
    for t in _MESSAGE_TYPES
}
_read_line = msgspec.json.Decoder(_Line).decode
_read_lines = msgspec.json.Decoder(_Line).decode_lines
_read_state = msgspec.json.Decoder(_State).decode
_read_state2 = msgspec.json.Decoder(_State2).decode
_read_message = msgspec.json.Decoder(Union[(*_MESSAGE_TYPES, None)]).decode
#: A cache that outgrows this is emptied (a long reading keeps its memory bounded).
PIECES_LIMIT = 1 << 17
_ABSENT = object()


class Pieces:
    """The checked value of each message's and state's text seen in one reading, and of each
    call (server, action, args), which depends on the header, so is kept per header."""

    def __init__(self) -> None:
        self.calls: dict[tuple, dict[tuple, tuple[int, str, tuple[int, ...]]]] = {}
        self.messages: dict[bytes, tuple | None] = {}
        self.states: dict[bytes, ObservedState] = {}
        self.changes: dict[bytes, tuple[tuple, int, tuple[Zxid, ...]]] = {}
        """Version 2: a state's text -> (its fields but the history, keep, append)."""

    def calls_for(self, header: Header) -> dict[tuple, tuple[int, str, tuple[int, ...]]]:
        key = (header.servers, header.source, header.server)
        found = self.calls.get(key)
        if found is None:
            found = self.calls[key] = {}
        return found

    def bound(self) -> None:
        """Empty the caches that have grown past :data:`PIECES_LIMIT`."""
        for cache in (self.messages, self.states, self.changes):
            if len(cache) > PIECES_LIMIT:
                cache.clear()


def _fields(s: _Fields) -> tuple:
    """A decoded state's fields but the history, as :class:`ObservedState` holds them."""
    v = s.vote
    return (
        _ROLE_INDEX[s.role],
        _PHASE_INDEX[s.phase],
        s.acceptedEpoch,
        s.currentEpoch,
        s.lastZxid,
        s.lastCommitted,
        Vote(v.leader, v.zxid, v.epoch, v.round),
    )


def _state_value(text: bytes) -> ObservedState:
    s = _read_state(text)
    return ObservedState(*_fields(s), History(s.history))


def _change_value(text: bytes) -> tuple[tuple, int, tuple[Zxid, ...]]:
    """Version 2: a state's fields but the history, and the history's keep and append."""
    s = _read_state2(text)
    return _fields(s), s.history.keep, s.history.append


def _message_value(text: bytes) -> tuple | None:
    m = _read_message(text)
    if m is None:
        return None
    values = msgspec.structs.astuple(m)
    roles = _MESSAGE_ROLES[type(m)]
    return (
        type(m).__name__,
        *(_ROLE_INDEX[v] if role else v for v, role in zip(values, roles, strict=True)),
    )


#: An Event built without NamedTuple's Python-level ``__new__`` (the fields are in order).
_new_event = tuple.__new__


def _event_fast(
    e: _Line,
    header: Header,
    seq: int,
    file: str,
    number: int,
    calls: dict[tuple, tuple[int, str, tuple[int, ...]]],
    messages: dict[bytes, tuple | None],
    states: dict[bytes, ObservedState],
    changes: dict[bytes, tuple[tuple, int, tuple[Zxid, ...]]] | None,
    histories: _Histories,
) -> Event | None:
    """The event of a decoded line (``messages``, ``states`` and, for version 2, ``changes``:
    the :class:`Pieces` seen); None when its line must be read the plain way."""
    try:
        if e.seq != seq:
            return None  # the plain way names it
        key = (e.server, e.action, e.args)
        call = calls.get(key)
        if call is None:
            call = calls[key] = _call(e.server, e.action, e.args, header)
        clock = e.clock
        if clock is not None or header.server is not None:  # a process file's
            clock = _clock(clock, e.server, header)
        msg_text = bytes(e.msg)
        msg = messages.get(msg_text, _ABSENT)
        if msg is _ABSENT:
            msg = messages[msg_text] = _message_value(msg_text)
        state_text = bytes(e.state)
        if changes is None:
            state = states.get(state_text)
            if state is None:
                state = states[state_text] = _state_value(state_text)
        else:
            found = changes.get(state_text)
            if found is None:
                found = changes[state_text] = _change_value(state_text)
            fields, keep, append = found
            server = call[0]
            history = _changed(histories.get(server), keep, append)
            histories[server] = history
            state = tuple.__new__(ObservedState, (*fields, history))  # type: ignore[arg-type]
    except (msgspec.ValidationError, msgspec.DecodeError, _Bad):
        return None
    return _new_event(Event, (seq, *call, msg, state, clock, file, number))  # type: ignore[arg-type]


def _decoded_lines(body: bytes, count: int) -> list[_Line | None]:
    """Every event line decoded, in one call when all decode (the usual case), else one by
    one, with None for a line the decoder refuses."""
    try:
        decoded: list[_Line | None] = _read_lines(body)
        if len(decoded) == count:
            return decoded
    except msgspec.DecodeError:
        pass
    out: list[_Line | None] = []
    for line in body.split(b"\n")[:count]:
        try:
            out.append(_read_line(line))
        except msgspec.DecodeError:
            out.append(None)
    return out


def _event_line(
    line: str, header: Header, seq: int, file: str, number: int, histories: _Histories
) -> Event:
    """An event line the plain way: parsed whole, every key checked."""
    if not line.strip():
        raise _Bad("blank line (not allowed in a trace)")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _Bad(f"bad JSON: {exc.msg} at column {exc.colno}") from None
    return _event(obj, header, seq, file, number, histories)


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
        raw.decode("utf-8")  # checked whole; the lines stay bytes, which the decoders read
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TraceError(f"{name}:{line}", "not UTF-8 text") from None
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
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
        calls, messages, states = pieces.calls_for(header), pieces.messages, pieces.states
        changes = pieces.changes if header.version == 2 else None
        histories: _Histories = {}
        # No cyclic collection while a file's events are built: they are tuples and
        # histories without reference cycles, but each collection meanwhile (one per few
        # hundred objects built) looks at all built so far, so reading cost more per event
        # the longer the run (a 12,000-write run read at 0.45 to 0.65 of a 500-write run's
        # rate, and as fast once collections wait).
        with uncollected():
            decoded = _decoded_lines(raw[len(lines[0]) + 1 :], len(lines) - 1)
            for seq, e in enumerate(decoded, start=1):
                number = seq + 1
                event = None
                if e is not None:
                    event = _event_fast(
                        e, header, seq, name, number, calls, messages, states, changes, histories
                    )
                append(
                    event or _event_line(lines[seq].decode(), header, seq, name, number, histories)
                )
    except _Bad as exc:
        raise TraceError(f"{name}:{number}", str(exc)) from None
    except RecursionError:
        raise TraceError(f"{name}:{number}", "JSON nested too deeply") from None
    return header, events
