"""Simulated runs that exercise each bug switch (``impl.core.switches``), found by seed search.

Each switch has a schedule that gives its bug a chance (a crash just after a write, a TRUNC, a
DIFF with proposals, ...) and a *sign*: a pattern in the recorded trace that the bug, and only
the bug, produces. :func:`find_run` tries seeds until the recorded trace shows the sign, so
the run it returns really took the planted path (``python -m impl.sim mutant NAME --out F``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from impl.core.switches import (
    ACK_BEFORE_FSYNC,
    COMMIT_WITHOUT_QUORUM,
    SKIP_TRUNC,
    STALE_EPOCH,
    ZK_3911,
    check_switches,
)
from impl.sim.faults import Op, Schedule
from impl.sim.record import Recorded, parse_op, record_schedule
from impl.trace.recorder import whole_histories

Event = dict[str, Any]
Sign = Callable[[list[Event]], bool]


def read_events(path: Path) -> list[Event]:
    """The events of a trace file (its lines after the header), each with its server's whole
    history (the file records changes to it)."""
    with open(path, encoding="utf-8") as f:
        events = [json.loads(line) for line in f][1:]
    whole_histories(events)
    return events


def acked_then_lost(events: list[Event]) -> bool:
    """A leader took f's ACK for z, and f later restarted without z in its history."""
    acked: dict[int, set[tuple[int, int]]] = {}
    for e in events:
        if e["action"] == "LeaderProcessACK" and e["msg"] is not None:
            acked.setdefault(e["args"][1], set()).add(tuple(e["msg"]["zxid"]))
        elif e["action"] == "NodeStart":
            history = {tuple(z) for z in e["state"]["history"]}
            if acked.get(e["server"], set()) - history:
                return True
    return False


def committed_alone(events: list[Event]) -> bool:
    """A leader committed z before it had taken any follower's ACK for z (in a cluster of
    three or more voters, its own ack is no quorum)."""
    acks: dict[int, set[tuple[int, int]]] = {}
    committed: dict[int, tuple[int, int]] = {}
    for e in events:
        if e["state"]["role"] != "LEADING":
            continue
        sid = e["server"]
        if e["action"] == "LeaderProcessACK" and e["msg"] is not None:
            acks.setdefault(sid, set()).add(tuple(e["msg"]["zxid"]))
        last = tuple(e["state"]["lastCommitted"])
        before = committed.get(sid, (0, 0))
        committed[sid] = last
        if e["action"] == "LeaderProcessACK" and last > before and last not in acks.get(sid, ()):
            return True
    return False


def trunc_kept_entries(events: list[Event]) -> bool:
    """A learner took TRUNC to z and still holds entries past z."""
    return any(
        e["action"] == "FollowerProcessSyncMessage"
        and e["msg"]["type"] == "TRUNC"
        and e["state"]["lastZxid"] > e["msg"]["zxid"]
        for e in events
    )


def newleader_without_synced(events: list[Event]) -> bool:
    """A learner acked NEWLEADER without the proposals it took during that sync in its
    history."""
    queued: dict[int, list[list[int]]] = {}
    for e in events:
        sid = e["server"]
        if e["action"] == "FollowerProcessSyncMessage":
            queued[sid] = []
        elif e["action"] == "FollowerProcessPROPOSALInSync":
            queued.setdefault(sid, []).append(e["msg"]["zxid"])
        elif e["action"] == "FollowerProcessNEWLEADER":
            if any(z not in e["state"]["history"] for z in queued.get(sid, [])):
                return True
            queued[sid] = []
    return False


def accepted_lower_epoch(events: list[Event]) -> bool:
    """A learner took a LEADERINFO whose epoch is below its acceptedEpoch, and followed."""
    accepted: dict[int, int] = {}
    for e in events:
        sid = e["server"]
        if (
            e["action"] == "FollowerProcessLEADERINFO"
            and e["msg"]["epoch"] < accepted.get(sid, 0)
            and e["state"]["role"] != "LOOKING"
        ):
            return True
        accepted[sid] = e["state"]["acceptedEpoch"]
    return False


def _ops(*texts: str) -> tuple[Op, ...]:
    return tuple(parse_op(text) for text in texts)


@dataclass(frozen=True)
class MutantRun:
    """How to exercise one switch: schedules to try (one per seed) and the trace's sign."""

    mutation: str
    schedules: Callable[[int], Schedule]
    sign: Sign
    what: str


def _fixed(voters: int, *ops: str, snapshot_every: int = 10_000) -> Callable[[int], Schedule]:
    def make(seed: int) -> Schedule:
        return Schedule(seed, voters, 0, _ops(*ops), snapshot_every)

    return make


#: Leader 3 logs a proposal that no one else gets and crashes; the others go on without it,
#: and 3 restarts as a follower that must truncate it (the corpus's TRUNC run, too).
TRUNC_OPS = (
    "300,write,3,0,2",
    "590,slow,3,1,40",
    "590,slow,3,2,40",
    "600,write,3,0,1",
    "625,crash,3",
    "1500,write,1,0,1",
    "1500,write,2,0,1",
    "2000,restart,3",
)

MUTANT_RUNS: dict[str, MutantRun] = {
    ACK_BEFORE_FSYNC: MutantRun(
        ACK_BEFORE_FSYNC,
        _fixed(
            3, "300,write-leader,0,0,2", "600,write-leader,0,0,1", "602,crash,1", "1200,restart,1"
        ),
        acked_then_lost,
        "follower 1 crashes 2 ms after a write: its ACK reached the leader, its log did not",
    ),
    COMMIT_WITHOUT_QUORUM: MutantRun(
        COMMIT_WITHOUT_QUORUM,
        _fixed(3, "300,write-leader,0,0,3"),
        committed_alone,
        "three writes in a clean cluster: the leader commits on its own ack",
    ),
    SKIP_TRUNC: MutantRun(
        SKIP_TRUNC,
        _fixed(3, *TRUNC_OPS),
        trunc_kept_entries,
        "leader 3 logs a proposal nobody else gets, crashes, and restarts to a TRUNC",
    ),
    ZK_3911: MutantRun(
        ZK_3911,
        _fixed(3, "300,write,3,0,2", "500,crash,1", "600,write,3,0,3", "1200,restart,1"),
        newleader_without_synced,
        "follower 1 restarts 3 txns behind and syncs by DIFF with proposals",
    ),
    STALE_EPOCH: MutantRun(
        STALE_EPOCH,
        _fixed(
            3,
            "0,slow,3,1,40",
            "0,slow,3,2,40",
            "1,crash-when-fixed,3,0,3000",
            "2,restart,3",
            "3,crash-when-fixed,3,0,3000",
            "4000,restart,3",
        ),
        accepted_lower_epoch,
        "server 3 twice leads, fixes an epoch and crashes before its LEADERINFO lands; the "
        "others elect a lower epoch, which 3 follows when it restarts",
    ),
}


def find_run(
    mutation: str, out: Path, seeds: Iterable[int] = range(1, 201), *, with_switch: bool = True
) -> tuple[int, Recorded] | None:
    """Record runs of ``mutation``'s schedule (with the switch on, unless ``with_switch`` is
    false) for each seed until the trace shows the switch's sign; the first such seed and its
    run, or None. ``out`` holds the last trace recorded."""
    check_switches({mutation})
    plan = MUTANT_RUNS[mutation]
    switches = frozenset({mutation}) if with_switch else frozenset()
    for seed in seeds:
        recorded = record_schedule(plan.schedules(seed), out, switches=switches, settle_ms=20_000)
        if plan.sign(read_events(out)):
            return seed, recorded
    return None
