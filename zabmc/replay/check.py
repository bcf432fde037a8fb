"""Walking a trace through its binding: the first event the spec does not allow ends it."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

from zabmc.replay.bindings.system import SystemReplay
from zabmc.replay.merge import load_run
from zabmc.replay.reader import Pieces
from zabmc.replay.trace import STATE_FIELDS, Event, Trace, TraceError, msg_text, state_field_text
from zabmc.replay.verdict import Divergence, Verdict

#: Bindings by the header's ``level``.
BINDINGS = {"system": SystemReplay}


def replay(trace: Trace) -> Verdict:
    """Replay ``trace`` against the spec of its level."""
    start = time.perf_counter()
    events = trace.events
    walk = BINDINGS[trace.header.level](trace.header, events)
    step = walk.step
    for index, e in enumerate(events, start=1):
        mismatch = step(e)
        if mismatch is not None:
            d = Divergence(
                index=index,
                where=e.where,
                server=e.server,
                action=e.action,
                args=e.args,
                msg=msg_text(e.msg),
                mismatch=mismatch,
                recorded_state=_fields(e.state),
                expected_state=_fields(walk.expected_state(e.server)),
                enabled=tuple(walk.enabled()),
                previous=tuple(event_text(x) for x in events[max(0, index - 6) : index - 1]),
            )
            return Verdict(trace.name, index - 1, len(events), time.perf_counter() - start, d)
    return Verdict(trace.name, len(events), len(events), time.perf_counter() - start)


def replay_files(files: list[Path], pieces: Pieces | None = None) -> Verdict | TraceError:
    """Read one run and replay it; an unreadable trace is returned, not raised (so that a
    worker process hands it back). ``pieces``: what the runs read before taught the reader."""
    try:
        trace = load_run(files, pieces)
    except TraceError as exc:
        return exc
    return replay(trace)


def replay_runs(runs: list[list[Path]], jobs: int = 1) -> Iterator[Verdict | TraceError]:
    """Each run's verdict (or why it cannot be read), in order; ``jobs`` processes share the
    runs when there are several (one run is replayed by one process: its steps are a chain)."""
    if jobs <= 1 or len(runs) <= 1:
        pieces = Pieces()
        for files in runs:
            yield replay_files(files, pieces)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(min(jobs, len(runs)), initializer=_start_worker) as pool:
        yield from pool.imap(_replay_in_worker, runs)


#: A worker process's reading, shared by the runs it is given.
_worker_pieces: Pieces | None = None


def _start_worker() -> None:
    global _worker_pieces
    _worker_pieces = Pieces()


def _replay_in_worker(files: list[Path]) -> Verdict | TraceError:
    return replay_files(files, _worker_pieces)


def _fields(state: tuple) -> dict[str, str]:
    return {f: state_field_text(f, v) for f, v in zip(STATE_FIELDS, state, strict=True)}


def event_text(e: Event) -> str:
    args = ", ".join(str(a) for a in e.args)
    msg = f" taking {msg_text(e.msg)}" if e.msg is not None else ""
    return f"{e.where}  {e.action}({args}){msg}"
