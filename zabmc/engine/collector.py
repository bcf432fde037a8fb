"""Python's cyclic garbage collector is off while a search runs.

A search allocates tuples by the million and keeps hundreds of thousands of them
(the frontier), and frees the others by reference counting: a state is made of
ints, bools and tuples, so it holds no cycle. The cyclic collector only walks those
tuples, again and again: a young collection every 700 allocations, a full one over
every tuple held every hundred of those, and a walk over every state a partition
reads from a batch (:class:`~zabmc.engine.partition.Batch`). Measured with
``bench/scale.py``'s rows (one run each, CPU seconds): the one-core search of
system-2n took 26.9 s with the default thresholds, 17.5 with thresholds seventy
times larger and 15.5 with the collector off; a protocol-351k partition at ``-j 2``
took 22.6 s with the larger thresholds and 17.5 with it off.

So a search turns it off (reference counting still frees every state) and turns it
back on when it ends, which collects what cycles a model made meanwhile: 3,054
objects over the whole system-2n search, measured, so holding them costs nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def stop() -> None:
    """Collect no more, for a process that only searches (a worker) until it ends."""
    gc.disable()


@contextmanager
def uncollected() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is as it was after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


__all__ = ["stop", "uncollected"]
