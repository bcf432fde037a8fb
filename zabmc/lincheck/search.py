"""The Wing–Gong search with Lowe's memoisation (WGL, as porcupine and Knossos run it), for
ZooKeeper's ordering rules.

It looks for a total order of the operations that the sequential model accepts and that keeps
every constraint ZooKeeper promises (``zabmc.lincheck`` states them):

* each session's operations stay in the session's order;
* a write or sync that completed before another write or sync was invoked comes first.

Depth-first, it extends the order by one *candidate* at a time: the first operation of a
session not yet placed, when no write or sync still unplaced completed before it was
invoked. A (placed set, model state) pair seen once is never expanded again: the rest of the
search from it would be the same. An operation of unknown outcome (``info``) stands in a
session of its own (ZooKeeper does not promise when a request whose reply was lost takes
effect relative to the session's later ones) and may be placed anywhere after its
invocation, or never.

One reduction keeps the search small: an operation that cannot change the state (a read, a
sync, a write that returned an error) and that fits the state now is placed now, and the
search never branches on where else it could go. Nothing is lost: it is first in its
session, no write waits on a read in real time, and a sync placed earlier only lets more
follow it; any order that places it later can move it here. And nothing is ever deleted, so
versions and child counts only grow: once an operation not yet placed asks for a state that is
already past (a read of an older version, a write that returned a version already reached),
no way forward exists, and the search jumps back to the last configuration where that state
was still ahead. This is what keeps operations of unknown outcome cheap: placed where no
version gap is left for them, they are dropped at once.

The search counts the configurations it expands; past ``budget`` it stops and answers
``unknown``: it never guesses.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

from zabmc.lincheck.history import WRITES, Operation
from zabmc.lincheck.model import State, ZnodeModel

Outcome = Literal["linearizable", "violation", "unknown"]


@dataclass(frozen=True, slots=True)
class SearchResult:
    outcome: Outcome
    explored: int
    """Configurations expanded."""
    deepest: int
    """The most operations of known outcome placed in one partial order (of ``required``)."""
    required: int
    order: tuple[int, ...] = ()
    """For ``linearizable``: the ``index`` of every operation placed, in the order found."""


def checked_operations(ops: list[Operation]) -> list[Operation]:
    """What the search orders: a read or sync whose result is unknown constrains nothing."""
    return [o for o in ops if not (o.status == "info" and o.op not in WRITES)]


def wgl_search(
    ops: list[Operation], model: ZnodeModel, budget: int, deadline: float | None = None
) -> SearchResult:
    """Whether ``ops`` (all on ``model``'s keys) can be ordered as ZooKeeper promises;
    ``unknown`` after ``budget`` configurations or once ``time.monotonic()`` passes
    ``deadline``."""
    ops = sorted(checked_operations(ops), key=lambda o: (o.inv, o.index))
    n = len(ops)
    chains: list[list[int]] = []
    by_session: dict[str, int] = {}
    for pos, o in enumerate(ops):
        if o.status == "info":
            chains.append([pos])
            continue
        if o.session not in by_session:
            by_session[o.session] = len(chains)
            chains.append([])
        chains[by_session[o.session]].append(pos)
    chain_of = [0] * n
    for c, chain in enumerate(chains):
        for pos in chain:
            chain_of[pos] = c
    timed = [pos for pos in range(n) if ops[pos].ordered_in_real_time and ops[pos].ret < math.inf]
    timed.sort(key=lambda pos: ops[pos].ret)
    required = sum(1 for o in ops if o.status == "ok")
    inv = [o.inv for o in ops]
    rt = [o.ordered_in_real_time for o in ops]
    ok = [o.status == "ok" for o in ops]
    free = [o.status == "ok" and not o.can_change_state for o in ops]

    # per (znode, field): the required operations that bound it, by bound; the first unplaced
    # one caps the field (a state past the cap has no way forward)
    bounded: dict[tuple[int, int], list[int]] = {}
    for pos, o in enumerate(ops):
        b = model.bound(o) if o.status == "ok" else None
        if b is not None:
            bounded.setdefault(b[:2], []).append(pos)
    caps: dict[tuple[int, int], list[int]] = {}
    for k, positions in bounded.items():
        positions.sort(key=lambda pos: model.bound(ops[pos])[2])  # type: ignore[index]
        caps[k] = [model.bound(ops[pos])[2] for pos in positions]  # type: ignore[index]
    first_bound = dict.fromkeys(bounded, 0)

    heads = [0] * len(chains)
    placed = [False] * n
    mask = 0
    state: State = model.initial()
    first_timed = 0  # timed[first_timed] is the unplaced write/sync that completes first
    done = 0
    deepest = 0
    explored = 0
    memo: set[tuple[int, State]] = set()
    # one frame per placed operation: the candidates there, the next to try, and the
    # configuration before it was placed
    path: list[tuple[list[int], int, State, int, int, int, dict[tuple[int, int], int]]] = []

    def candidates() -> list[int]:
        bound = ops[timed[first_timed]].ret if first_timed < len(timed) else math.inf
        out = []
        for c, chain in enumerate(chains):
            h = heads[c]
            if h < len(chain):
                pos = chain[h]
                if not rt[pos] or inv[pos] <= bound:
                    out.append(pos)
        out.sort(key=inv.__getitem__)
        return out

    def capped() -> int | None:
        """A required operation that no state from here can fit, because the state is past
        its bound (a version or child count it asks for is already behind)."""
        for k, positions in bounded.items():
            at = first_bound[k]
            while at < len(positions) and placed[positions[at]]:
                at += 1
            first_bound[k] = at
            if at < len(positions):
                node = state[k[0]]
                if node is not None and node[k[1]] > caps[k][at]:
                    return positions[at]
        return None

    def stuck_head() -> int | None:
        """A required operation first in its session that no state from here can fit."""
        late = capped()
        if late is not None:
            return late
        for c, chain in enumerate(chains):
            h = heads[c]
            if h < len(chain) and ok[chain[h]] and model.hopeless(state, ops[chain[h]]):
                return chain[h]
        return None

    def back() -> tuple[list[int], int]:
        """Undo the last placement; the candidates and next index of its configuration."""
        nonlocal state, mask, first_timed, done
        cands, i, state, mask, first_timed, pos, saved = path.pop()
        first_bound.update(saved)
        placed[pos] = False
        heads[chain_of[pos]] -= 1
        done -= ok[pos]
        return cands, i

    cands = candidates()
    i = 0
    while True:
        if done == required:
            order = tuple(ops[frame[5]].index for frame in path)
            return SearchResult("linearizable", explored, required, required, order)
        if i == 0:
            stuck = stuck_head()
            if stuck is not None:  # jump back to where it could still fit (backjumping)
                while path and model.hopeless(path[-1][2], ops[stuck]):
                    back()
                if not path:
                    return SearchResult("violation", explored, deepest, required)
                cands, i = back()
                continue
            # an effect-free operation that fits now is placed now, with no choice
            for pos in cands:
                if free[pos] and model.step(state, ops[pos]) is not None:
                    cands = [pos]
                    break
        moved = False
        while i < len(cands):
            pos = cands[i]
            i += 1
            new = model.step(state, ops[pos])
            if new is None:
                continue
            key = (mask | (1 << pos), new)
            if key in memo:
                continue
            memo.add(key)
            explored += 1
            if explored > budget or (
                deadline is not None and explored % 1024 == 0 and time.monotonic() > deadline
            ):
                return SearchResult("unknown", explored, deepest, required)
            path.append((cands, i, state, mask, first_timed, pos, dict(first_bound)))
            state, mask = new, mask | (1 << pos)
            placed[pos] = True
            heads[chain_of[pos]] += 1
            done += ok[pos]
            deepest = max(deepest, done)
            while first_timed < len(timed) and placed[timed[first_timed]]:
                first_timed += 1
            cands, i = candidates(), 0
            moved = True
            break
        if moved:
            continue
        if not path:
            return SearchResult("violation", explored, deepest, required)
        cands, i = back()
