"""The cost of moving a state between partitions: one pickle per batch, or the link's stream.

A row's prefix is searched with ``--parts`` partitions in this process (as ``-j N`` splits
it, but without forking, so that the batches can be kept), and every batch's states are
kept per link (sender, owner) and level. Then they are written and read back, in the
order the search sent them, two ways, and the CPU microseconds and bytes per moved state
printed (median of ``--runs``; CPU time, since the machine is shared):

* "batch": one pickle of each batch's list on its own (the parts its states share
  written once a batch), as the engine wrote batches before;
* "stream": each link's :class:`~zabmc.engine.partition.StateWriter` and ``StateReader``,
  started afresh at each level's end, as the engine writes them (a level's parts
  interned by value and written once a link).

The batches are those of the engine as it is: the states a partition received by a
stream share their parts, and so do the successors it makes of them, which makes the
"batch" figures smaller than they were when every batch was a pickle of its own (484
bytes a state on system-3911 to depth 24 then, 319 here).

    python bench/batch_wire.py                                  # system-3911 to depth 24
    python bench/batch_wire.py --row system-2n --depth 0 --runs 5
"""

from __future__ import annotations

import argparse
import gc
import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import build

from zabmc.engine import parallel, partition
from zabmc.engine.parallel import InProcess, ScaleOptions, check_parallel

Sent = tuple[tuple[int, int], int, list[Any]]  # (sender, owner), level, states


def capture(row: str, parts: int, depth: int | None) -> list[Sent]:
    """Search the row's prefix with ``parts`` partitions in this process; each batch's
    states, in the order sent."""
    sent: list[Sent] = []
    level = [0]
    finish, rank = partition.Partition._finish_round, partition.Partition.rank

    def finish_round(self: partition.Partition, report: Any) -> Any:
        for dst, out in enumerate(self._outgoing):
            if dst != self.index:
                sent.append(((self.index, dst), level[0], list(out.states)))
        return finish(self, report)

    def ranked(self: partition.Partition, keys: Any) -> Any:
        if self.index == 0:
            level[0] += 1
        return rank(self, keys)

    partition.Partition._finish_round = finish_round  # type: ignore[method-assign]
    partition.Partition.rank = ranked  # type: ignore[method-assign]
    parallel.Processes = lambda factory, count, _folder: InProcess(factory, count)  # type: ignore[assignment,misc]
    try:
        model, options = build(row)
        options.max_depth = depth
        # the states move only where a partition key places them (placement "owner")
        check_parallel(model, options, ScaleOptions(jobs=parts, placement="owner"))
    finally:
        partition.Partition._finish_round = finish  # type: ignore[method-assign]
        partition.Partition.rank = rank  # type: ignore[method-assign]
    return sent


def by_batch(sent: list[Sent]) -> tuple[float, float, int]:
    """Seconds to write, to read, and bytes: one pickle a batch."""
    write = read = 0.0
    size = 0
    for _link, _level, states in sent:
        t = time.process_time()
        data = partition._dump_states(states)
        write += time.process_time() - t
        size += len(data)
        t = time.process_time()
        pickle.loads(data)
        read += time.process_time() - t
    return write, read, size


def by_stream(sent: list[Sent]) -> tuple[float, float, int]:
    """Seconds to write, to read, and bytes: a stream a link, afresh at each level."""
    ends: dict[tuple[int, int], tuple[partition.StateWriter, partition.StateReader]] = {}
    levels: dict[tuple[int, int], int] = {}
    write = read = 0.0
    size = 0
    for link, level, states in sent:
        if link not in ends:
            ends[link] = (partition.StateWriter(), partition.StateReader())
        writer, reader = ends[link]
        t = time.process_time()
        if levels.get(link) != level:
            writer.reset()
        continued, data = writer.dump(states)
        write += time.process_time() - t
        size += len(data)
        t = time.process_time()
        if levels.get(link) != level:
            reader.reset()
        got = reader.load(data, continued)
        read += time.process_time() - t
        levels[link] = level
        if got != states:
            raise SystemExit(f"link {link}, level {level}: a stream read back other states")
    return write, read, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--row", default="system-3911")
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--depth", type=int, default=24, help="0: the whole row")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sent = capture(args.row, args.parts, args.depth or None)
    moved = sum(len(states) for _, _, states in sent)
    print(f"{args.row} to depth {args.depth or 'the end'}, {args.parts} partitions:")
    print(f"{len(sent)} batches, {moved:,} moved states")
    gc.disable()  # as in the search (zabmc.engine.collector)
    for name, way in (("batch", by_batch), ("stream", by_stream)):
        runs = [way(sent) for _ in range(args.runs)]
        write = statistics.median(r[0] for r in runs) / moved * 1e6
        read = statistics.median(r[1] for r in runs) / moved * 1e6
        size = runs[0][2] / moved
        print(f"{name:<7} write {write:5.1f} us  read {read:5.1f} us  {size:5.0f} bytes a state")


if __name__ == "__main__":
    main()
