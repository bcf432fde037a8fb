"""The verdict on a history: split it where the model allows, search each part, and on a
violation cut the evidence down to a small sub-history that is still not linearizable.

Splitting (P-compositionality). Keys that a ``multi`` touches together form one part; a
``sync`` belongs to every part (it is a barrier for all keys). Linearizability is local, so
for writes alone the parts decide. Sequential consistency is not local: a session reading
two keys can see them in an order no single total order explains, although each key alone is
fine. So the parts are checked first (a part that fails is a violation of the whole: the
order the whole would need, restricted to the part, would satisfy the part), and when every
part passes and there is more than one, the whole history is searched once more as one.

Evidence. From a failing part, operations are weakened as long as what is left still fails:
a read, a sync or a write that changed nothing (it returned an error) is dropped; a write's
reply time is forgotten (it still took effect with its result, at some time after its
invocation). Each step only removes constraints, so a history that still fails after them
proves that the original fails too. What is left is 1-minimal (delta debugging) unless the
trials ran out: strengthening back any single kept operation is needed. (Dropping a write
would not be sound: the reads and versions after it count on it.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from zabmc.lincheck.history import History, Operation
from zabmc.lincheck.model import ZnodeModel
from zabmc.lincheck.search import Outcome, SearchResult, wgl_search

DEFAULT_BUDGET = 2_000_000
"""Configurations the search may expand per part before it answers ``unknown``."""
SHRINK_BUDGET = 5_000
"""Configurations per trial while the evidence is cut down, beyond twice what the failing
search expanded (a trial over it keeps what it tried to weaken)."""
SHRINK_TRIALS = 120
"""Trials per round of cutting down."""


@dataclass(slots=True)
class PartResult:
    keys: tuple[str, ...]
    operations: int
    result: SearchResult


@dataclass(slots=True)
class Verdict:
    outcome: Outcome
    operations: int
    parts: list[PartResult] = field(default_factory=list)
    whole: SearchResult | None = None
    """The search of the whole history, when the parts could not decide alone."""
    witness: list[Operation] = field(default_factory=list)
    """For a violation: the weakened sub-history that still fails (with the writes whose reply
    time it forgot, and those of unknown outcome)."""
    failing_keys: tuple[str, ...] = ()
    reason: str = ""

    @property
    def explored(self) -> int:
        total = sum(p.result.explored for p in self.parts)
        return total + (self.whole.explored if self.whole else 0)


def parts_of(ops: list[Operation]) -> list[tuple[str, ...]]:
    """The key sets that no operation spans: keys joined by a ``multi`` are one part."""
    parent: dict[str, str] = {}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for o in ops:
        keys = o.keys
        for k in keys:
            parent.setdefault(k, k)
        for k in keys[1:]:
            parent[root(k)] = root(keys[0])
    groups: dict[str, list[str]] = {}
    for k in sorted(parent):
        groups.setdefault(root(k), []).append(k)
    return sorted(tuple(g) for g in groups.values())


def _search(
    ops: list[Operation], keys: tuple[str, ...], budget: int, deadline: float | None = None
) -> SearchResult:
    return wgl_search(ops, ZnodeModel(keys), budget, deadline)


def check(history: History, budget: int = DEFAULT_BUDGET, timeout: float | None = None) -> Verdict:
    """The verdict on ``history`` against ZooKeeper's guarantees (``zabmc.lincheck``): each
    search may expand ``budget`` configurations, and all of them together may take
    ``timeout`` seconds, before the answer is ``unknown``."""
    deadline = None if timeout is None else time.monotonic() + timeout
    limit = f"{budget:,} configurations" + ("" if timeout is None else f" or {timeout:g} s")
    ops = history.operations
    verdict = Verdict("linearizable", len(ops))
    syncs = [o for o in ops if o.op == "sync"]
    parts = parts_of(ops)
    for keys in parts:
        wanted = set(keys)
        sub = [o for o in ops if wanted.intersection(o.keys)] + syncs
        sub.sort(key=lambda o: o.index)
        result = _search(sub, keys, budget, deadline)
        verdict.parts.append(PartResult(keys, len(sub), result))
        if result.outcome == "violation" and verdict.outcome != "violation":
            verdict.outcome = "violation"
            verdict.failing_keys = keys
            verdict.witness = shrink(sub, keys, result.explored)
    if verdict.outcome == "violation":
        return verdict
    unknown = [p for p in verdict.parts if p.result.outcome == "unknown"]
    if unknown:
        verdict.outcome = "unknown"
        verdict.reason = (
            f"the search of keys {', '.join(unknown[0].keys)} ran out of its budget "
            f"({limit}) without an answer"
        )
        return verdict
    if len(parts) > 1:
        all_keys = tuple(k for keys in parts for k in keys)
        verdict.whole = _search(ops, all_keys, budget, deadline)
        verdict.outcome = verdict.whole.outcome
        if verdict.outcome == "violation":
            verdict.failing_keys = all_keys
            verdict.witness = shrink(ops, all_keys, verdict.whole.explored)
        elif verdict.outcome == "unknown":
            verdict.reason = (
                "every key alone passes, but the search of the whole history ran out of its "
                f"budget ({limit}) without an answer"
            )
    return verdict


def _weakened(o: Operation) -> Operation | None:
    """``o`` with fewer constraints: gone (if it could not change the state) or forgotten."""
    if not o.can_change_state:
        return None
    return o.forgotten()


def shrink(ops: list[Operation], keys: tuple[str, ...], explored: int) -> list[Operation]:
    """A weakening of ``ops`` (which fail) that still fails, by delta debugging in two rounds:
    first the operations that can go (reads, syncs, writes that changed nothing), every
    write kept; then the writes whose reply time can be forgotten. A trial whose search runs
    out of its budget counts as passing, so what is returned always fails. ``explored``: what
    the search that found ``ops`` failing expanded."""
    budget = 2 * explored + SHRINK_BUDGET
    fixed = [o for o in ops if o.status != "ok"]
    droppable = [o for o in ops if o.status == "ok" and not o.can_change_state]
    writes = [o for o in ops if o.status == "ok" and o.can_change_state]
    trials = 0

    def build(kept_drops: list[Operation], kept_writes: list[Operation]) -> list[Operation]:
        keep = {o.index for o in kept_writes}
        out = fixed + kept_drops + [o if o.index in keep else o.untimed() for o in writes]
        return sorted(out, key=lambda o: o.index)

    def fails(trial: list[Operation], budget: int) -> bool:
        nonlocal trials
        trials += 1
        return _search(trial, keys, budget).outcome == "violation"

    drops = ddmin(
        droppable,
        lambda kept: fails(build(kept, writes), budget),
        lambda: trials >= SHRINK_TRIALS,
    )
    trials = 0
    kept_writes = ddmin(
        writes,
        lambda kept: fails(build(drops, kept), budget),
        lambda: trials >= SHRINK_TRIALS,
    )
    return build(drops, kept_writes)


def ddmin(
    items: list[Operation],
    fails: Callable[[list[Operation]], bool],
    exhausted: Callable[[], bool],
) -> list[Operation]:
    """Zeller's delta debugging: a subset of ``items`` that ``fails`` and from which no single
    chunk at the finest granularity can be removed (stops early, still failing, when
    ``exhausted``)."""
    n = 2
    while len(items) >= 2 and not exhausted():
        size = max(1, len(items) // n)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        reduced = False
        for i in range(len(chunks)):
            if exhausted():
                break
            rest = [o for j, c in enumerate(chunks) if j != i for o in c]
            if fails(rest):
                items, n, reduced = rest, max(n - 1, 2), True
                break
        if not reduced:
            if size == 1:
                break
            n = min(len(items), 2 * n)
    return items
