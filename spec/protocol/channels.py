"""Zab.tla's channel helpers: msgs[i][j] is a FIFO from i to j, touched only here."""

from __future__ import annotations

from typing import Any

from spec.protocol.state import ZabState, put

Msgs = tuple[tuple[tuple[tuple, ...], ...], ...]


def _set_channel(msgs: Msgs, i: int, j: int, channel: tuple) -> Msgs:
    return put(msgs, i, put(msgs[i], j, channel))


def pending(s: ZabState, i: int, j: int, mtype: int) -> bool:
    """``PendingX(i, j)``: the head of j's channel to i is a message of type ``mtype``."""
    channel = s.msgs[j][i]
    return bool(channel) and channel[0][0] == mtype


def head(s: ZabState, i: int, j: int) -> Any:
    """``msgs[j][i][1]``: the message i is about to receive from j (a record of
    :mod:`spec.protocol.messages`, of the type its caller's guard checked)."""
    return s.msgs[j][i][0]


def send(msgs: Msgs, i: int, j: int, m: tuple) -> Msgs:
    """``Send(i, j, m)``: append m to the channel from i to j."""
    return _set_channel(msgs, i, j, (*msgs[i][j], m))


def discard(msgs: Msgs, i: int, j: int) -> Msgs:
    """``Discard(i, j)``: drop the head of the channel from i to j, if any."""
    if not msgs[i][j]:
        return msgs
    return _set_channel(msgs, i, j, msgs[i][j][1:])


def reply(msgs: Msgs, i: int, j: int, m: tuple) -> Msgs:
    """``Reply(i, j, m)``: i consumes the head from j and sends m to j."""
    return send(_set_channel(msgs, j, i, msgs[j][i][1:]), i, j, m)


def clean(msgs: Msgs, i: int, j: int) -> Msgs:
    """``Clean(i, j)``: empty both channels between i and j."""
    return _set_channel(_set_channel(msgs, j, i, ()), i, j, ())


def clean_input_buffer(msgs: Msgs, servers: int) -> Msgs:
    """``CleanInputBuffer(S)``: empty every channel into a server of S (a bitmask)."""
    return tuple(tuple(() if servers >> v & 1 else ch for v, ch in enumerate(row)) for row in msgs)


def discard_and_broadcast(msgs: Msgs, i: int, j: int | None, targets: int, m: tuple) -> Msgs:
    """Discard the head from j to i, then append m to i's channel to each target.

    This is the shape of Broadcast and every DiscardAndBroadcastX of Zab.tla:
    ``targets`` is already the set ``Q \\cap learners[i] \\ {i}`` (a bitmask).
    Pass ``j = None`` for a plain Broadcast.
    """
    if j is not None:
        msgs = _set_channel(msgs, j, i, msgs[j][i][1:])
    row = tuple((*ch, m) if targets >> v & 1 and v != i else ch for v, ch in enumerate(msgs[i]))
    return put(msgs, i, row)
