"""Zxids as ZooKeeper builds them: the epoch in the high 32 bits, the counter in the low 32.

A zxid is one int, so comparing two zxids compares epochs first and counters second,
exactly as ``ZxidUtils`` and ZkV3_7_0.tla's ``ZxidCompare`` do.
"""

from __future__ import annotations

COUNTER_BITS = 32
COUNTER_MASK = (1 << COUNTER_BITS) - 1

#: The zxid <<0, 0>>: "nothing".
ZERO = 0


def make_zxid(epoch: int, counter: int) -> int:
    """The zxid ``epoch:counter``."""
    return epoch << COUNTER_BITS | counter


def epoch_of(zxid: int) -> int:
    """The epoch of a zxid (``ZxidUtils.getEpochFromZxid``)."""
    return zxid >> COUNTER_BITS


def counter_of(zxid: int) -> int:
    """The counter of a zxid (``ZxidUtils.getCounterFromZxid``)."""
    return zxid & COUNTER_MASK


def zxid_text(zxid: int) -> str:
    """A zxid as ``epoch:counter``, the way reports show it."""
    return f"{zxid >> COUNTER_BITS}:{zxid & COUNTER_MASK}"


def is_next_zxid(current: int, nxt: int) -> bool:
    """ZkV3_7_0.tla's ``IsNextZxid``: ``nxt`` directly follows ``current``.

    Either the first proposal of a later epoch, or the next counter of the same epoch.
    """
    if counter_of(nxt) == 1:
        return epoch_of(current) < epoch_of(nxt)
    return epoch_of(current) == epoch_of(nxt) and counter_of(current) + 1 == counter_of(nxt)
