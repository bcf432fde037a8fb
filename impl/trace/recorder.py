"""Writing a trace file through a buffer, and picking up a process's file where it ended.

Events are buffered as text and written with one ``os.write`` per :meth:`TraceFile.flush` on
a file opened for appending, so a process killed at any moment leaves whole lines, except
perhaps a torn last one if the machine itself went down (:func:`resume` cuts that off). The
adapters flush before they carry out a step's effects, so what a crash loses is only steps
whose effects never left the process.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from impl.core.effects import Observed
from impl.core.zxid import Runs
from impl.trace.writer import event, line

FLUSH_AT = 1 << 16
"""Bytes buffered before a write even without an explicit flush (simulator runs)."""


class TraceError(Exception):
    """A trace file cannot be continued; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Tail:
    """Where a file left off: its last event's ``seq``, ``clock`` and the event itself, and
    each server's history at its last event (version 2 records changes to it)."""

    seq: int
    clock: int
    last: dict[str, Any] | None
    histories: dict[int, Runs]


class TraceFile:
    """One trace file being written: line 1 is ``head`` (written when the file is new); with
    ``resume`` an existing file is continued after its last event."""

    def __init__(self, path: Path, head: dict[str, Any], *, resume: bool = False) -> None:
        self.path = path
        tail = resume_tail(path, head) if resume and path.exists() else None
        self.seq = tail.seq if tail else 0
        self.clock = tail.clock if tail else 0
        """The Lamport clock of the last event (process files)."""
        self.histories: dict[int, Runs] = dict(tail.histories) if tail else {}
        """Each server's history at its last event in the file."""
        self._fd = os.open(
            path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | (0 if tail else os.O_TRUNC), 0o644
        )
        self._buffer: list[str] = []
        self._size = 0
        if tail is None:
            self._buffer.append(line(head))
            self.flush()

    def record(self, observed: Observed, clock: int | None = None) -> None:
        """Buffer one event (the next ``seq``)."""
        self.seq += 1
        before = self.histories.get(observed.server, ())
        self.histories[observed.server] = observed.state.history
        text = line(event(self.seq, observed, clock, before))
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        data = "".join(self._buffer).encode()
        self._buffer.clear()
        self._size = 0
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        if self._fd < 0:
            return
        self.flush()
        os.close(self._fd)
        self._fd = -1


def resume_tail(path: Path, head: dict[str, Any] | None = None) -> Tail:
    """Read ``path``'s header and last event; cut off a torn last line (no newline). With
    ``head``, the file must belong to the same server and run."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        end = data.rfind(b"\n") + 1
        os.truncate(path, end)
        data = data[:end]
    lines = data.splitlines()
    if not lines:
        raise TraceError(f"{path}:1: empty trace file, no header")
    try:
        first = json.loads(lines[0])
        events = [json.loads(text) for text in lines[1:]]
        histories = _histories(events)
    except (ValueError, KeyError, TypeError) as exc:
        raise TraceError(f"{path}: not JSON lines of a version 2 trace: {exc}") from None
    last = events[-1] if events else None
    if head is not None:
        for key in ("format", "version", "source", "server", "run"):
            if first.get(key) != head[key]:
                raise TraceError(
                    f"{path}:1: {key} is {first.get(key)!r}, this recording's is {head[key]!r}"
                )
    if last is None:
        return Tail(0, 0, None, {})
    return Tail(int(last["seq"]), int(last["clock"] or 0), last, histories)


def whole_histories(events: list[dict[str, Any]]) -> dict[int, list[list[int]]]:
    """Version 2 events with each state's history change replaced, in place, by the whole
    history it makes (as version 1 spells it); each server's history at its last event."""
    held: dict[int, list[list[int]]] = {}
    for e in events:
        change = e["state"]["history"]
        history = held.get(e["server"], [])[: change["keep"]] + change["append"]
        e["state"]["history"] = held[e["server"]] = history
    return held


def _histories(events: list[dict[str, Any]]) -> dict[int, Runs]:
    """Each server's history at its last event, as runs (counters 1..count of each epoch)."""
    runs: dict[int, Runs] = {}
    for server, held in whole_histories(events).items():
        counts: dict[int, int] = {}
        for epoch, _ in held:
            counts[epoch] = counts.get(epoch, 0) + 1
        runs[server] = tuple(counts.items())
    return runs


def append_crash(path: Path) -> dict[str, Any] | None:
    """Append ``NodeCrash`` to a killed server's file (a process cannot record its own
    ``kill -9``): the next ``seq`` and clock, the state of its last recorded step. A server
    killed before it recorded its (re)start took no step: nothing is appended (None)."""
    if not path.exists():
        return None
    tail = resume_tail(path)
    if tail.last is None or tail.last["action"] == "NodeCrash":
        return None
    server = tail.last["server"]
    held = sum(n for _, n in tail.histories.get(server, ()))
    crash = {
        "seq": tail.seq + 1,
        "server": server,
        "action": "NodeCrash",
        "args": [server],
        "msg": None,
        "state": {**tail.last["state"], "history": {"keep": held, "append": []}},
        "clock": tail.clock + 1,
    }
    with open(path, "a", encoding="utf-8") as f:
        f.write(line(crash))
    return crash
