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


class Rising(Model):
    """A counts 0..2, B steps once; the invariant reads A's counter (which of the two
    invariants is the model's is chosen by ``invariant``)."""

    name = "rising"

    def __init__(self, invariant: str) -> None:
        self.invariant = invariant

    def init_states(self) -> Sequence[Pair]:
        return [Pair(0, 0)]

    def successors(self, s: Pair) -> Iterator[tuple[Action, Pair]]:
        if s.a < 2:
            yield Action("StepA"), Pair(s.a + 1, s.b)
        if s.b < 1:
            yield Action("StepB"), Pair(s.a, s.b + 1)

    def properties(self) -> Sequence[Property]:
        if self.invariant == "ABelowTwo":  # A's step never repairs a violation
            return [Property.always("ABelowTwo", lambda s: s.a < 2)]
        # A's step from a = 1 to 2 repairs a violation
        return [Property.always("NotBothOne", lambda s: not (s.a == 1 and s.b == 1))]


class AClosed(ADeclared):
    """A's step declared persistent and, though the invariant reads A's counter,
    goal-closed (``closed``) or not."""

    def __init__(self, model: Rising, closed: bool) -> None:
        super().__init__(model, reads="a")  # type: ignore[arg-type]
        self.closed = closed

    def property_reads(self, name: str) -> frozenset[str] | None:
        return frozenset({"a"})

    def goal_closed(self, name: str, state: Pair, action: Action, successor: Pair) -> bool:
        return self.closed


def rising_search(model: Rising, movers: AClosed):
    names = [p.name for p in model.properties()]
    expander = PersistentStepExpander(FullExpander(model), movers, names)
    return check_bfs(model, CheckOptions(check_deadlock=False, expander=expander)), expander


def test_a_visible_step_declared_goal_closed_is_taken_alone_and_the_violation_found():
    model = Rising("ABelowTwo")
    full, _ = search(model, None)  # type: ignore[arg-type]
    reduced, expander = rising_search(model, AClosed(model, closed=True))
    assert full.violation.property == reduced.violation.property == "ABelowTwo"
    assert expander.taken_alone > 0 and expander.goal_closed == expander.taken_alone
    undeclared, expander = rising_search(model, AClosed(model, closed=False))
    assert expander.taken_alone == 0 and expander.refused > 0  # visible: expanded in full
    assert undeclared.violation.property == "ABelowTwo"


def test_a_wrong_goal_closure_hides_a_violation_and_the_verifier_refutes_it():
    """A's step from (1, 1) to (2, 1) repairs NotBothOne: declared goal-closed anyway, the
    reduced search never meets (1, 1); the definition check finds the repair."""
    model = Rising("NotBothOne")
    full, _ = search(model, None)  # type: ignore[arg-type]
    assert full.violation is not None and full.violation.steps[-1].state == Pair(1, 1)
    wrong = AClosed(model, closed=True)
    reduced, _ = rising_search(model, wrong)
    assert reduced.violation is None  # what the declaration promised does not hold
    states = [Pair(a, b) for a in range(3) for b in range(2)]
    checked, failures = check_persistent_steps(model, wrong, states, properties=model.properties())
    assert checked == 4 and "StepA() takes a state out of NotBothOne's goal" in failures
    checked, failures = check_persistent_steps(
        Rising("ABelowTwo"), wrong, states, properties=Rising("ABelowTwo").properties()
    )
    assert checked == 4 and failures == []


def test_the_verifier_checks_that_an_unread_part_leaves_a_property_as_it_was():
    """Declared as reading only B's counter, BAtTop and BBelowLimit keep their values under
    A's step; a property that reads A's counter under the same declaration does not."""
    model = Counters(3, 3)
    states = [Pair(a, b) for a in range(4) for b in range(4)]
    _, failures = check_persistent_steps(
        model, ADeclared(model), states, properties=model.properties()
    )
    assert failures == []
    lying = [Property.always("ABelowThree", lambda s: s.a < 3)]
    _, failures = check_persistent_steps(model, ADeclared(model), states, properties=lying)
    assert "StepA() changes ABelowThree, which reads nothing it writes" in failures


class AFree(ADeclared):
    """No persistent step; A's step counts no level of depth wherever it is taken."""

    def persistent_step(self, state: Pair) -> tuple[Action, Pair] | None:
        return None

    def free_step(self, action: Action) -> bool:
        return action.name == "StepA"


def test_a_free_step_joins_its_level_among_the_others():
    """Every successor is explored (the same states as the full search), but A's steps
    join the level they come from: depth counts B's steps only."""
    model = Counters(3, 3)
    full, _ = search(model, None)
    free, expander = search(model, AFree(model))
    assert free.distinct_states == full.distinct_states == 16
    assert free.states_per_depth == [4, 4, 4, 4]
    assert expander.taken_alone == 0 and expander.free_steps > 0
    assert free.reduction["persistent_steps"]["free_steps"] > 0
    bounded = check_bfs(
        model,
        CheckOptions(
            check_deadlock=False,
            max_depth=1,
            expander=PersistentStepExpander(FullExpander(model), AFree(model), ["BAtTop"]),
        ),
    )
    assert bounded.distinct_states == 8  # A's 4 counts at B's 0 and 1
