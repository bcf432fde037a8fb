"""Zxids: ``epoch << 32 | counter``, and histories described as runs of counters per epoch.

A ZAB history never has gaps: a leader numbers the proposals of its epoch 1, 2, 3, ... and a
learner accepts only the next zxid. So a history is fully described by its runs, one
``(epoch, count)`` pair per epoch it holds (counters 1..count); the runs let the core answer
"is this zxid in my history?" and "what is the last zxid before it?" without the payloads.
"""

from __future__ import annotations

COUNTER_BITS = 32
COUNTER_MASK = (1 << COUNTER_BITS) - 1

Runs = tuple[tuple[int, int], ...]
"""A history's zxids as ``((epoch, count), ...)`` in increasing epoch order, counts >= 1."""


def make_zxid(epoch: int, counter: int) -> int:
    """The zxid of the ``counter``-th proposal of ``epoch``."""
    return (epoch << COUNTER_BITS) | counter


def epoch_of(zxid: int) -> int:
    return zxid >> COUNTER_BITS


def counter_of(zxid: int) -> int:
    return zxid & COUNTER_MASK


def format_zxid(zxid: int) -> str:
    """``epoch:counter``, the form reports use."""
    return f"{epoch_of(zxid)}:{counter_of(zxid)}"


def parse_zxid(text: str) -> int:
    """The inverse of :func:`format_zxid`; raises ``ValueError`` on anything else."""
    epoch, sep, counter = text.partition(":")
    if not sep:
        raise ValueError(f"not a zxid (epoch:counter): {text!r}")
    return make_zxid(int(epoch), int(counter))


def runs_append(runs: list[list[int]], zxid: int) -> None:
    """Extend ``runs`` (mutable ``[epoch, count]`` pairs) by ``zxid``, which must be next."""
    epoch, counter = epoch_of(zxid), counter_of(zxid)
    if runs and runs[-1][0] == epoch:
        runs[-1][1] = counter
    else:
        runs.append([epoch, counter])


def runs_truncate(runs: list[list[int]], zxid: int) -> None:
    """Cut ``runs`` so that ``zxid`` (which must be in them, or 0) is the last zxid kept."""
    epoch, counter = epoch_of(zxid), counter_of(zxid)
    while runs and runs[-1][0] > epoch:
        runs.pop()
    if runs and runs[-1][0] == epoch:
        if counter == 0:
            runs.pop()
        else:
            runs[-1][1] = counter


def runs_contains(runs: Runs | list[list[int]], zxid: int) -> bool:
    """Whether ``zxid`` is in the history (zxid 0, the empty prefix, always is)."""
    if zxid == 0:
        return True
    epoch, counter = epoch_of(zxid), counter_of(zxid)
    return counter >= 1 and any(e == epoch and counter <= n for e, n in runs)


def runs_last_before(runs: Runs | list[list[int]], zxid: int) -> int:
    """The largest zxid in the history that is smaller than ``zxid`` (0 if none)."""
    epoch, counter = epoch_of(zxid), counter_of(zxid)
    best = 0
    for e, n in runs:
        if e < epoch:
            best = make_zxid(e, n)
        elif e == epoch and counter > 1:
            best = make_zxid(e, min(n, counter - 1))
    return best


def runs_index(runs: Runs | list[list[int]], zxid: int) -> int:
    """The 1-based position of ``zxid`` in the history (0 for zxid 0); it must be present."""
    if zxid == 0:
        return 0
    epoch, counter = epoch_of(zxid), counter_of(zxid)
    index = 0
    for e, n in runs:
        if e == epoch:
            return index + counter
        index += n
    raise ValueError(f"zxid {format_zxid(zxid)} is not in the history")


def runs_length(runs: Runs | list[list[int]]) -> int:
    return sum(n for _, n in runs)


def runs_zxids(runs: Runs | list[list[int]]) -> tuple[int, ...]:
    """Every zxid of the history, in order."""
    return tuple(make_zxid(e, c) for e, n in runs for c in range(1, n + 1))


def freeze_runs(runs: list[list[int]]) -> Runs:
    return tuple((e, n) for e, n in runs)
