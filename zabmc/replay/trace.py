"""What a trace is once read: a header, and events that each know where they came from.

Values are normalised as they are read so that a binding compares plain tuples: a zxid is an
``(epoch, counter)`` pair, a role or phase is its index in
:data:`~zabmc.replay.vocabulary.ROLES` / :data:`~zabmc.replay.vocabulary.PHASES`, a message
is a tuple ``(type, field, ...)`` in the order :data:`~zabmc.replay.vocabulary.MESSAGES`
lists its fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from zabmc.replay.vocabulary import MESSAGES, PHASES, ROLES

Zxid = tuple[int, int]


class TraceError(Exception):
    """A trace that cannot be read: the message names the file and line."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class Vote(NamedTuple):
    leader: int
    zxid: Zxid
    epoch: int
    round: int


class ObservedState(NamedTuple):
    """A server's observable state after a step (the trace's ``state`` object)."""

    role: int
    phase: int
    acceptedEpoch: int
    currentEpoch: int
    lastZxid: Zxid
    lastCommitted: Zxid
    vote: Vote
    history: tuple[Zxid, ...]


#: The fields of :class:`ObservedState`, as the trace names them.
STATE_FIELDS = ObservedState._fields


@dataclass(frozen=True, slots=True)
class Header:
    """Line 1 of a trace file."""

    version: int
    level: str
    voters: tuple[int, ...]
    observers: tuple[int, ...]
    bounds: dict[str, int] | None
    impl: str
    source: str
    seed: int | None
    server: int | None
    run: str
    mutations: tuple[str, ...]

    @property
    def servers(self) -> tuple[int, ...]:
        return (*self.voters, *self.observers)


class Event(NamedTuple):
    """One step of a run, with the file and line it was read from."""

    seq: int
    server: int
    action: str
    args: tuple[int, ...]
    msg: tuple | None
    state: ObservedState
    clock: int | None
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def call(self) -> str:
        """The step as ``Name(arg, ...)``."""
        return f"{self.action}({', '.join(str(a) for a in self.args)})"


@dataclass(frozen=True, slots=True)
class Trace:
    """A whole run, its events in one order (merged, for per-process files)."""

    header: Header
    events: tuple[Event, ...]
    files: tuple[str, ...]

    @property
    def name(self) -> str:
        return (
            self.files[0]
            if len(self.files) == 1
            else f"{self.header.run} ({len(self.files)} files)"
        )


# Rendering, for reports: back to the trace's own spelling.


def zxid_text(z: Zxid) -> str:
    return f"{z[0]}:{z[1]}"


def msg_text(msg: tuple | None) -> str:
    """A message as ``TYPE field=value ...``, zxids as ``epoch:counter``."""
    if msg is None:
        return "none"
    kind = msg[0]
    parts = [kind]
    for (name, how), value in zip(MESSAGES[kind].items(), msg[1:], strict=True):
        if how == "zxid":
            value = zxid_text(value)
        elif how == "state":
            value = ROLES[value]
        parts.append(f"{name}={value}")
    return " ".join(parts)


def state_field_text(name: str, value: object) -> str:
    """One field of an :class:`ObservedState` as a reader should see it."""
    if name == "role":
        return ROLES[value]  # type: ignore[index]
    if name == "phase":
        return PHASES[value]  # type: ignore[index]
    if name in ("lastZxid", "lastCommitted"):
        return zxid_text(value)  # type: ignore[arg-type]
    if name == "vote":
        v = value
        return (
            f"leader {v.leader} zxid {zxid_text(v.zxid)} epoch {v.epoch} "  # type: ignore[union-attr]
            f"round {v.round}"  # type: ignore[union-attr]
        )
    if name == "history":
        return "[" + " ".join(zxid_text(z) for z in value) + "]"  # type: ignore[union-attr]
    return str(value)
