"""The channels between servers, touched only here.

Each ordered pair of servers has two FIFO channels: one for Zab messages (the quorum
port) and one for FLE notifications (the election port). A message sent on a cut
link is lost (MSPEC_2.tla's ``AddMsg``); cutting a link loses what was in flight on
it, both ways; a crash loses everything to and from the server (its TCP connections
close).
"""

from __future__ import annotations

from typing import Any

from spec.system.params import MAX_IDS
from spec.system.state import Network, network_with, put


def link_cut(net: Network, n: int, i: int, j: int) -> bool:
    """Whether the link between i and j is partitioned."""
    return bool(net.cut >> (i * n + j) & 1)


def _append(channels: tuple, n: int, cut: int, src: int, dst: int, msgs: tuple) -> tuple:
    c = src * n + dst
    if cut >> c & 1:
        return channels
    return put(channels, c, channels[c] + msgs)


def _append_to_each(channels: tuple, n: int, cut: int, src: int, targets: int, msg: tuple) -> tuple:
    """``msg`` appended to the channel from src to every server in ``targets`` but itself
    (one copy of ``channels``, not one per target)."""
    out = list(channels)
    for v in range(n):
        c = src * n + v
        if targets >> v & 1 and v != src and not cut >> c & 1:
            out[c] += (msg,)
    return tuple(out)


def _pop(channels: tuple, n: int, src: int, dst: int) -> tuple:
    c = src * n + dst
    return put(channels, c, channels[c][1:])


# Zab messages.


def zab_head(net: Network, n: int, i: int, j: int) -> Any:
    """The Zab message i is about to receive from j (a record of :mod:`spec.system.messages`,
    read by field), if any; else None."""
    channel = net.msgs[j * n + i]
    return channel[0] if channel else None


def send(net: Network, n: int, src: int, dst: int, *msgs: tuple) -> Network:
    """``Send``/``SendPackets``: append messages to the channel from src to dst."""
    return network_with(net, msgs=_append(net.msgs, n, net.cut, src, dst, msgs))


def discard(net: Network, n: int, i: int, j: int) -> Network:
    """``Discard``: i takes the head of the channel from j."""
    return network_with(net, msgs=_pop(net.msgs, n, j, i))


def reply(net: Network, n: int, i: int, j: int, *msgs: tuple) -> Network:
    """``Reply``: i takes the head of the channel from j and sends msgs to j."""
    return network_with(net, msgs=_append(_pop(net.msgs, n, j, i), n, net.cut, i, j, msgs))


def broadcast(net: Network, n: int, i: int, targets: int, msg: tuple) -> Network:
    """``Broadcast``: i sends msg to every server in the bitmask ``targets`` but itself."""
    return network_with(net, msgs=_append_to_each(net.msgs, n, net.cut, i, targets, msg))


def close_connection(net: Network, n: int, i: int, j: int) -> Network:
    """``Clean``: the connection between i and j closes; both channels are emptied."""
    msgs = list(net.msgs)
    msgs[i * n + j] = ()
    msgs[j * n + i] = ()
    return network_with(net, msgs=tuple(msgs))


def clean_input(net: Network, n: int, group: int) -> Network:
    """``CleanInputBufferInCluster``: every Zab channel into a server of ``group`` is emptied.

    A leader and its learners only talk to each other, so this drops every message
    between the members of ``group``.
    """
    return network_with(net, msgs=_emptied(net.msgs, _INTO[n, group]))


# FLE notifications.


def notification_head(net: Network, n: int, i: int, j: int) -> tuple | None:
    """The notification i is about to receive from j, if any."""
    channel = net.notes[j * n + i]
    return channel[0] if channel else None


def notify(net: Network, n: int, src: int, targets: int, note: tuple, cuts: bool = True) -> Network:
    """Send an FLE notification from src to every server in ``targets`` but itself; lost on
    a cut link unless ``cuts`` is off (FastLeaderElection.tla's election ignores partitions)."""
    cut = net.cut if cuts else 0
    return network_with(net, notes=_append_to_each(net.notes, n, cut, src, targets, note))


def take_notification(net: Network, n: int, i: int, j: int) -> Network:
    """i takes the head of the notification channel from j."""
    return network_with(net, notes=_pop(net.notes, n, j, i))


def no_notification_for(net: Network, n: int, i: int) -> bool:
    """No notification is on its way to i."""
    notes = net.notes
    return not any(notes[j * n + i] for j in range(n))


# Faults.


def _touching(n: int, i: int) -> tuple[int, ...]:
    """The channels from or to i."""
    return tuple(c for c in range(n * n) if c // n == i or c % n == i)


_TOUCHING = {(n, i): _touching(n, i) for n in range(1, MAX_IDS + 1) for i in range(n)}
#: The channels into a server of each group (a mask of servers).
_INTO = {
    (n, group): tuple(c for c in range(n * n) if group >> (c % n) & 1)
    for n in range(1, MAX_IDS + 1)
    for group in range(1 << n)
}


def _emptied(channels: tuple, which: tuple[int, ...]) -> tuple:
    out = None
    for c in which:
        if channels[c]:
            if out is None:
                out = list(channels)
            out[c] = ()
    return channels if out is None else tuple(out)


def isolate(net: Network, n: int, i: int, notes: bool = True) -> Network:
    """A crash: every channel to and from i is emptied (the notification channels only
    if ``notes``: ZkV3_7_0.tla's crash keeps them)."""
    which = _TOUCHING[n, i]
    return Network(
        _emptied(net.msgs, which), _emptied(net.notes, which) if notes else net.notes, net.cut
    )


def cut_link(net: Network, n: int, i: int, j: int, notes: bool = True) -> Network:
    """``PartitionStart``: the link between i and j goes down; in-flight messages are lost
    (notifications only if ``notes``: FastLeaderElection.tla's election ignores partitions)."""
    lost = (i * n + j, j * n + i)
    return Network(
        _emptied(net.msgs, lost),
        _emptied(net.notes, lost) if notes else net.notes,
        net.cut | 1 << (i * n + j) | 1 << (j * n + i),
    )


def heal_link(net: Network, n: int, i: int, j: int) -> Network:
    """``PartitionRecover``: the link between i and j comes back."""
    return network_with(net, cut=net.cut & ~(1 << (i * n + j) | 1 << (j * n + i)))
