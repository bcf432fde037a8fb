"""From the paths a user gives to traces: each simulator file is a run; the per-process files
of one run (``"source": "process"``, sharing ``run``) are merged into one order.

The merged order is by Lamport clock, then by server (``traces/README.md``): it respects
causality because a step that takes a message has a larger clock than the step that sent it.
Each file's clocks must increase strictly; a file that breaks that cannot be ordered.

A departure needs one correction: a ``kill -9`` (the harness appends ``NodeCrash(i)`` with
i's next clock) or a ``ZabTimeout(i)`` (i gives up its leader or its followers). Messages i
sent before it may still sit in the kernel's buffers, and a peer can read them after it, so a
receipt from i can be ordered after the departure (its clock is larger). In the spec a
departure empties i's channels at once. Those receipts took messages sent before i's
connections were torn down, so the departure is moved to just after the last event that
takes such a message. Nothing can depend on the departure itself, so moving it later keeps
the order causal.
"""

from __future__ import annotations

from pathlib import Path

from zabmc.replay.reader import Pieces, read_header, read_trace_file
from zabmc.replay.trace import Event, Header, Trace, TraceError

#: Steps whose second argument is not the peer whose message they take.
NOT_RECEIVING = frozenset(
    (
        "ConnectAndFollowerSendFOLLOWERINFO",
        "LeaderSyncFollower",
        "PartitionStart",
        "PartitionRecover",
    )
)

#: The steps of a server that has only started again: no Zab message leaves it during them.
ELECTION_STEPS = frozenset(
    ("NodeStart", "FLEReceiveNotmsg", "FLEHandleNotmsg", "FLEWaitNewNotmsg", "FLENotmsgTimeout")
)
NOTIFICATION_RECEIPT = "FLEReceiveNotmsg"
#: The steps after which a server's connections to its peers are gone.
DEPARTURES = frozenset(("NodeCrash", "ZabTimeout"))


def expand(paths: list[str]) -> list[Path]:
    """Files, with a directory standing for its ``*.jsonl`` files in name order."""
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise TraceError(str(path), "no *.jsonl trace files in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files


def plan(paths: list[str]) -> list[list[Path]]:
    """The runs the given files and directories hold, as the files of each, in the order
    first named; only the headers are read."""
    runs: list[list[Path]] = []
    by_run: dict[str, list[Path]] = {}
    for path in expand(paths):
        header = read_header(path)
        if header.source == "simulator":
            runs.append([path])
            continue
        group = by_run.get(header.run)
        if group is None:
            group = by_run[header.run] = []
            runs.append(group)
        group.append(path)
    return runs


def load_run(files: list[Path], pieces: Pieces | None = None) -> Trace:
    """One run, from its file (simulator) or files (processes, merged); ``pieces``: what
    the files read before taught (see :class:`~zabmc.replay.reader.Pieces`)."""
    return _one([(*read_trace_file(path, pieces), str(path)) for path in files])


def load(paths: list[str]) -> list[Trace]:
    """The runs the given files and directories hold, in the order first named."""
    pieces = Pieces()
    return [load_run(files, pieces) for files in plan(paths)]


def _one(group: list[tuple[Header, list[Event], str]]) -> Trace:
    header, events, path = group[0]
    if header.source == "simulator":
        return Trace(header, tuple(events), (path,))
    seen: dict[int, str] = {}
    for h, evs, p in group:
        if (h.voters, h.observers, h.level, h.mutations) != (
            header.voters,
            header.observers,
            header.level,
            header.mutations,
        ):
            raise TraceError(f"{p}:1", f"header disagrees with {path} about the run {h.run!r}")
        assert h.server is not None
        if h.server in seen:
            raise TraceError(
                f"{p}:1", f"a second file for server {h.server} (first: {seen[h.server]})"
            )
        seen[h.server] = p
        _check_clocks(evs)
    merged = merge_by_clock([evs for _, evs, _ in group])
    return Trace(header, tuple(defer_crashes(merged)), tuple(p for _, _, p in group))


def _check_clocks(events: list[Event]) -> None:
    last = -1
    for e in events:
        assert e.clock is not None
        if e.clock <= last:
            raise TraceError(e.where, f"clock {e.clock} does not increase (previous {last})")
        last = e.clock


def merge_by_clock(files: list[list[Event]]) -> list[Event]:
    """Events of every file, by clock then server (each file already in that order)."""
    everything = [e for evs in files for e in evs]
    everything.sort(key=lambda e: (e.clock, e.server))
    return everything


def takes_message_from(e: Event, i: int) -> bool:
    """Whether step ``e`` takes a message that server ``i`` sent."""
    return len(e.args) == 2 and e.args[1] == i != e.server and e.action not in NOT_RECEIVING


def defer_crashes(events: list[Event]) -> list[Event]:
    """Move each departure of a server (``NodeCrash``, ``ZabTimeout``) after the receipts of
    the messages it had sent before it (see above).

    A peer may even read such a message after the server has started its next life: a Zab
    message from i (anything but a notification) taken while i's new life has taken only
    election steps cannot come from that new life, since i sends Zab messages only once it
    has followed or led. Then i's departure and its steps since move after that receipt too;
    none of them sent anything a peer has taken by then, so the order stays causal. A
    notification from i may be one of its new life, so it keeps the departure before it.
    """
    out = list(events)
    k = 0
    while k < len(out):
        e = out[k]
        if e.action in DEPARTURES:
            i = e.server
            last = k
            since: list[int] = []  # positions of i's events in its next life
            for m in range(k + 1, len(out)):
                later = out[m]
                if later.server == i:
                    if later.action not in ELECTION_STEPS:
                        break  # i is past its election: its Zab messages are new ones
                    since.append(m)
                    continue
                if not takes_message_from(later, i):
                    continue
                if later.action == NOTIFICATION_RECEIPT and (since or e.action != "NodeCrash"):
                    break  # maybe a vote of i's new life
                last = m
            if last != k:
                moved = [k] + [m for m in since if m < last]
                block = [out[m] for m in moved]
                for m in reversed(moved):
                    del out[m]
                at = last - len(moved) + 1
                out[at:at] = block
                continue  # the event now at k has not been looked at
        k += 1
    return out
