"""What a system-spec step did, in the terms of a message sequence chart."""

from __future__ import annotations

from spec.system.constants import SERVER_STATE_NAMES, ZAB_STATE_NAMES
from spec.system.params import Params
from spec.system.render import message_text, notification_text, server_name
from spec.system.state import SystemState
from spec.system.zxid import zxid_text
from zabmc.engine import Action
from zabmc.report.servers import Message, ServerLog, StepEvents

#: The step that takes an FLE notification; every other receiving step takes a Zab message.
TAKES_NOTIFICATION = "FLEReceiveNotmsg"
#: Two-server steps that take no message.
SENDS_ONLY = frozenset(
    {
        "PartitionStart",
        "PartitionRecover",
        "ConnectAndFollowerSendFOLLOWERINFO",
        "LeaderSyncFollower",
        "FollowLeader",
        "ElectLeader",
    }
)


def server_status(s: SystemState) -> list[str]:
    """Each server's role and phase, e.g. ``LEADING/BROADCAST``, or ``OFFLINE``."""
    return [
        f"{SERVER_STATE_NAMES[x.state]}/{ZAB_STATE_NAMES[x.zab_state]}" if x.online else "OFFLINE"
        for x in s.servers
    ]


def server_logs(s: SystemState) -> list[ServerLog]:
    """Each server's log as zxids, with the prefix it has delivered."""
    return [
        ServerLog(tuple(zxid_text(t.zxid) for t in x.history), x.last_committed) for x in s.servers
    ]


def _consumed(before: tuple, after: tuple) -> int:
    """How many messages left the head of a channel: the fewest that leave ``after`` a suffix."""
    for k in range(len(before) + 1):
        rest = before[k:]
        if after[: len(rest)] == rest:
            return k
    return len(before)


def _channel_events(before: tuple, after: tuple, n: int, taken: int | None, label) -> tuple:
    sent, received, lost = [], [], []
    for c, (old, new) in enumerate(zip(before, after, strict=True)):
        if old == new:
            continue
        src, dst = divmod(c, n)
        gone = _consumed(old, new)
        if gone and c == taken:
            received.append(Message(src, dst, label(old[0])))
            gone -= 1
        if gone:
            lost.append((src, dst, gone))
        sent.extend(Message(src, dst, label(x)) for x in new[len(old) - _consumed(old, new) :])
    return sent, received, lost


def vote_label(note: tuple) -> str:
    """A notification as a chart labels it."""
    return f"vote {notification_text(note)}"


def _markers(action: Action, before: SystemState, after: SystemState) -> list[tuple[int, str]]:
    markers: list[tuple[int, str]] = []
    name, args = action.name, action.args
    if name == "NodeCrash":
        markers.append((args[0], "crash"))
    elif name == "NodeStart":
        markers.append((args[0], "restart"))
    elif name in ("PartitionStart", "PartitionRecover"):
        i, j = args
        what = "partition from" if name == "PartitionStart" else "link healed to"
        markers += [(i, f"{what} {server_name(j)}"), (j, f"{what} {server_name(i)}")]
    elif name in ("ZabTimeout", "FLENotmsgTimeout"):
        markers.append((args[0], "timeout"))
    for k, (old, new) in enumerate(zip(before.servers, after.servers, strict=True)):
        if new.online and (old.state, old.online) != (new.state, new.online):
            markers.append((k, SERVER_STATE_NAMES[new.state]))
    for b in after.ghost.breaches[len(before.ghost.breaches) :]:
        markers.append((b.server, "check failed"))
    return markers


def step_events(before: SystemState, action: Action, after: SystemState, p: Params) -> StepEvents:
    """Sends, receives and losses read off the channels, and markers for faults and roles."""
    n = p.n
    taken_zab = taken_note = None
    if len(action.args) == 2 and action.name not in SENDS_ONLY:
        i, j = action.args
        if action.name == TAKES_NOTIFICATION:
            taken_note = j * n + i
        else:
            taken_zab = j * n + i
    zab = _channel_events(before.network.msgs, after.network.msgs, n, taken_zab, message_text)
    notes = _channel_events(before.network.notes, after.network.notes, n, taken_note, vote_label)
    return StepEvents(
        sent=tuple(zab[0] + notes[0]),
        received=tuple(zab[1] + notes[1]),
        lost=tuple(zab[2] + notes[2]),
        markers=tuple(_markers(action, before, after)),
    )
