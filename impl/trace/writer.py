"""The trace format, version 2 (``traces/README.md``): the header and one event per line.

Pure formatting, no I/O: :func:`header` builds line 1, :func:`event` one later line from an
``Observed`` step, its position in the file, (for process files) its Lamport clock, and the
history of the same server at its previous event in the file: version 2 records the change
(:func:`history_change`), so a recording grows with its steps, not with steps times history.
"""

from __future__ import annotations

import json
from typing import Any

from impl.core.effects import Observed, ObservedState
from impl.core.messages import (
    Ack,
    AckEpoch,
    AckNewLeader,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    Message,
    NewLeader,
    Notification,
    Proposal,
    Snap,
    Trunc,
    UpToDate,
)
from impl.core.quorum import Cluster
from impl.core.roles import Phase, Role
from impl.core.zxid import COUNTER_BITS, COUNTER_MASK, Runs

FORMAT = "zabmc-trace"
VERSION = 2
IMPL = "zabmc-impl 0.1.0"
SOURCES = ("simulator", "process")

Zxid = list[int]


def zxid(value: int) -> Zxid:
    """``[epoch, counter]``, the format's zxid."""
    return [value >> COUNTER_BITS, value & COUNTER_MASK]


def header(
    cluster: Cluster,
    *,
    source: str,
    run: str,
    seed: int | None = None,
    server: int | None = None,
    mutations: tuple[str, ...] = (),
    bounds: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Line 1 of a trace: a ``"simulator"`` run (with its seed) or one server's ``"process"``
    file (with its myid)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    if (source == "process") != (server is not None):
        raise ValueError("a process file names its server; a simulator file does not")
    return {
        "format": FORMAT,
        "version": VERSION,
        "level": "system",
        "voters": sorted(cluster.voters),
        "observers": sorted(cluster.observers),
        "bounds": bounds,
        "impl": IMPL,
        "source": source,
        "seed": seed,
        "server": server,
        "run": run,
        "mutations": sorted(mutations),
    }


def history_change(before: Runs, after: Runs) -> dict[str, Any]:
    """Version 2's ``history``: ``after`` is ``before`` cut to its first ``keep`` zxids, then
    the zxids of ``append`` (both as runs: counters 1..count of each epoch)."""
    keep = 0
    for (e1, n1), (e2, n2) in zip(before, after, strict=False):
        if e1 != e2:
            break
        keep += min(n1, n2)
        if n1 != n2:
            break
    append = []
    skip = keep
    for e, n in after:
        if skip >= n:
            skip -= n
            continue
        append.extend([e, c] for c in range(skip + 1, n + 1))
        skip = 0
    return {"keep": keep, "append": append}


def state(s: ObservedState, before: Runs = ()) -> dict[str, Any]:
    """The observable state of a server, as the format names it; ``before``: its history at
    its previous event in the file (none at its first)."""
    v = s.vote
    history = history_change(before, s.history)
    return {
        "role": Role(s.role).name,
        "phase": Phase(s.phase).name,
        "acceptedEpoch": s.accepted_epoch,
        "currentEpoch": s.current_epoch,
        "lastZxid": zxid(s.last_zxid),
        "lastCommitted": zxid(s.last_committed),
        "vote": {"leader": v.leader, "zxid": zxid(v.zxid), "epoch": v.epoch, "round": v.round},
        "history": history,
    }


def message(m: Message | None) -> dict[str, Any] | None:
    """The fields of the message a step took; raises ``ValueError`` for one the format has no
    name for (heartbeats, requests, notes: no step takes them)."""
    match m:
        case None:
            return None
        case Notification():
            return {
                "type": "NOTIFICATION",
                "leader": m.leader,
                "zxid": zxid(m.zxid),
                "epoch": m.epoch,
                "round": m.round,
                "state": Role(m.state).name,
            }
        case FollowerInfo():
            return {"type": "FOLLOWERINFO", "acceptedEpoch": m.accepted_epoch}
        case LeaderInfo():
            return {"type": "LEADERINFO", "epoch": m.epoch}
        case AckEpoch():
            return {
                "type": "ACKEPOCH",
                "currentEpoch": m.current_epoch,
                "lastZxid": zxid(m.last_zxid),
            }
        case Diff() | Trunc():
            return {"type": type(m).__name__.upper(), "zxid": zxid(m.zxid)}
        case Snap():
            return {"type": "SNAP", "zxid": zxid(m.snapshot.zxid)}
        case Proposal() | Inform():
            return {"type": type(m).__name__.upper(), "zxid": zxid(m.txn.zxid)}
        case Ack() | Commit():
            return {"type": type(m).__name__.upper(), "zxid": zxid(m.zxid)}
        case NewLeader():
            return {"type": "NEWLEADER", "epoch": m.epoch}
        case AckNewLeader():
            return {"type": "ACKLD", "epoch": m.epoch}
        case UpToDate():
            return {"type": "UPTODATE", "epoch": m.epoch}
    raise ValueError(f"no trace name for the message {type(m).__name__}")


def event(
    seq: int, observed: Observed, clock: int | None = None, before: Runs = ()
) -> dict[str, Any]:
    """One event line: the ``seq``-th event of its file; ``before``: the history of the
    same server at its previous event in the file (none at its first)."""
    return {
        "seq": seq,
        "server": observed.server,
        "action": observed.step,
        "args": list(observed.args),
        "msg": message(observed.msg),
        "state": state(observed.state, before),
        "clock": clock,
    }


def line(record: dict[str, Any]) -> str:
    """One JSON line (with its newline)."""
    return json.dumps(record) + "\n"
