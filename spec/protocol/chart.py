"""What a protocol-spec step did to the channels, for message sequence charts."""

from __future__ import annotations

from spec.protocol.constants import SERVER_STATE_NAMES, ZAB_STATE_NAMES
from spec.protocol.render import message_text, zxid_text
from spec.protocol.state import ZabState
from zabmc.engine import Action
from zabmc.report.servers import Message, ServerLog, StepEvents

#: Actions that take the head of the channel from their second argument to their first.
RECEIVING = frozenset(
    {
        "LeaderProcessCEPOCH",
        "FollowerProcessNEWEPOCH",
        "LeaderProcessACKEPOCH",
        "FollowerProcessNEWLEADER",
        "LeaderProcessACKLD",
        "FollowerProcessCOMMITLD",
        "FollowerProcessPROPOSE",
        "LeaderProcessACK",
        "FollowerProcessCOMMIT",
        "FilterNonexistentMessage",
    }
)


def server_status(s: ZabState) -> list[str]:
    """Each server's role and phase, e.g. ``LEADING/BROADCAST``."""
    return [
        f"{SERVER_STATE_NAMES[s.state[i]]}/{ZAB_STATE_NAMES[s.zab_state[i]]}"
        for i in range(len(s.state))
    ]


def server_logs(s: ZabState) -> list[ServerLog]:
    """Each server's history as zxids, with the prefix up to its lastCommitted."""
    return [
        ServerLog(tuple(zxid_text(t.zxid) for t in h), max(c.index, 0))
        for h, c in zip(s.history, s.last_committed, strict=True)
    ]


def _consumed(before: tuple, after: tuple) -> int:
    """How many messages left the head of a channel: the fewest that leave ``after`` a suffix."""
    for k in range(len(before) + 1):
        rest = before[k:]
        if after[: len(rest)] == rest:
            return k
    return len(before)


def step_events(before: ZabState, action: Action, after: ZabState) -> StepEvents:
    """Sends, receives and losses, read off the channels before and after the step."""
    n = len(before.state)
    sent, received, lost = [], [], []
    receiver = (action.args[1], action.args[0]) if action.name in RECEIVING else None
    for src in range(n):
        for dst in range(n):
            old, new = before.msgs[src][dst], after.msgs[src][dst]
            if old == new:
                continue
            gone = _consumed(old, new)
            if gone and (src, dst) == receiver:
                received.append(Message(src, dst, message_text(old[0])))
                gone -= 1
            if gone:
                lost.append((src, dst, gone))
            kept = len(old) - _consumed(old, new)
            sent.extend(Message(src, dst, message_text(m)) for m in new[kept:])
    markers: list[tuple[int, str]] = []
    if action.name == "Restart":
        markers.append((action.args[0], "restart"))
    elif action.name == "Timeout":
        i, j = action.args
        markers.extend([(i, f"timeout with s{j + 1}"), (j, f"timeout with s{i + 1}")])
    elif action.name == "FilterNonexistentMessage":
        markers.append((action.args[0], "dropped an illegal message"))
    return StepEvents(tuple(sent), tuple(received), tuple(lost), tuple(markers))
