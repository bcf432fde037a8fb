"""Persistent steps taken alone: the engine's side of the contract (invisibility, the
cycle proviso by the spec's progress measure, and free levels), on toy models."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator, Sequence
from typing import NamedTuple

from zabmc.engine import Action, CheckOptions, Model, Property, check_bfs
from zabmc.engine.expansion import FullExpander
from zabmc.engine.reduction import PersistentStepExpander
from zabmc.engine.reduction.verify import check_persistent_steps


class Pair(NamedTuple):
    a: int  # process A's local counter, which no property reads
    b: int  # process B's counter


class Counters(Model):
    """A counts 0..n_a (or flips 0/1 forever when ``flip``), B counts 0..n_b; the
    properties read only B's counter."""

    name = "counters"

    def __init__(self, n_a: int, n_b: int, flip: bool = False, limit: int | None = None) -> None:
        self.n_a, self.n_b, self.flip = n_a, n_b, flip
        self.limit = n_b + 1 if limit is None else limit

    def init_states(self) -> Sequence[Pair]:
        return [Pair(0, 0)]

    def successors(self, s: Pair) -> Iterator[tuple[Action, Pair]]:
        if self.flip:
            yield Action("StepA"), Pair(1 - s.a, s.b)
        elif s.a < self.n_a:
            yield Action("StepA"), Pair(s.a + 1, s.b)
        if s.b < self.n_b:
            yield Action("StepB"), Pair(s.a, s.b + 1)

    def properties(self) -> Sequence[Property]:
        return [
            Property.always("BBelowLimit", lambda s: s.b < self.limit),
            Property.sometimes("BAtTop", lambda s: s.b == self.n_b),
        ]


class ADeclared:
    """A's step is declared persistent (it commutes with B's); ``progress`` is A's counter
    (or a constant, which the engine must treat as no progress)."""

    def __init__(self, model: Counters, progress: bool = True, reads: str = "b") -> None:
        self.model, self.with_progress, self.reads = model, progress, reads

    def process(self, action: Action) -> Hashable:
        return action.name

    def involves(self, action: Action) -> Collection[Hashable]:
        return (action.name,)

    def right_mover(self, state: Hashable, action: Action, successor: Hashable) -> None:
        return None

    def property_reads(self, name: str) -> frozenset[str] | None:
        return frozenset({self.reads})

    def persistent_step(self, state: Pair) -> tuple[Action, Pair] | None:
        return next(((a, t) for a, t in self.model.successors(state) if a.name == "StepA"), None)

    def progress(self, state: Pair) -> int:
        return state.a if self.with_progress else 0


def search(model: Counters, movers: ADeclared | None):
    names = [p.name for p in model.properties()]
    expander = (
        None if movers is None else PersistentStepExpander(FullExpander(model), movers, names)
    )
    return check_bfs(model, CheckOptions(check_deadlock=False, expander=expander)), expander


def test_a_persistent_step_is_taken_alone_and_counts_no_level():
    model = Counters(3, 3)
    full, _ = search(model, None)
    reduced, expander = search(model, ADeclared(model))
    assert full.distinct_states == 16 and full.states_per_depth == [1, 2, 3, 4, 3, 2, 1]
    # A counts to 3 for free at level 0, then B's steps: one state per level.
    assert reduced.distinct_states == 7 and reduced.states_per_depth == [4, 1, 1, 1]
    assert expander.taken_alone >= 3  # and again where the witness's path is rebuilt
    assert full.violation is None and reduced.violation is None and reduced.complete
    top = reduced.examples["BAtTop"]
    assert [str(s.action) for s in top.steps[1:]] == ["StepA()"] * 3 + ["StepB()"] * 3


def test_the_cycle_proviso_expands_a_state_whose_persistent_step_makes_no_progress():
    """A flips forever: taken alone everywhere, it would hide B's steps and the violation."""
    model = Counters(0, 2, flip=True, limit=2)
    reduced, expander = search(model, ADeclared(model))
    assert reduced.violation is not None and reduced.violation.property == "BBelowLimit"
    assert expander.refused > 0  # the flip back (1 -> 0) is no progress: full expansion
    constant, expander = search(model, ADeclared(model, progress=False))
    assert constant.violation.property == "BBelowLimit" and expander.taken_alone == 0


def test_a_visible_persistent_step_is_not_taken_alone():
    model = Counters(3, 3)
    reduced, expander = search(model, ADeclared(model, reads="a"))
    assert expander.taken_alone == 0 and expander.refused > 0
    assert reduced.distinct_states == 16


def test_the_verifier_accepts_a_true_declaration_and_rejects_a_false_one():
    model = Counters(3, 3)
    states = [Pair(a, b) for a in range(4) for b in range(4)]
    checked, failures = check_persistent_steps(model, ADeclared(model), states)
    assert checked == 12 and failures == []

    class Reset(Counters):
        """B's step also resets A's counter, so it does not commute with A's step."""

        def successors(self, s: Pair) -> Iterator[tuple[Action, Pair]]:
            if s.a < self.n_a:
                yield Action("StepA"), Pair(s.a + 1, s.b)
            if s.b < self.n_b:
                yield Action("StepB"), Pair(0, s.b + 1)

    class BDeclared(ADeclared):
        """Declares B's step persistent, which A's step refutes."""

        def persistent_step(self, state: Pair) -> tuple[Action, Pair] | None:
            if state.b < 3:
                return Action("StepB"), Pair(0, state.b + 1)
            return None

    reset = Reset(3, 3)
    checked, failures = check_persistent_steps(reset, BDeclared(reset), states)
    assert checked > 0 and any("does not commute" in f for f in failures)
