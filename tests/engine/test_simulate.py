"""Random simulation and shrinking, on toys whose shortest counterexamples are known."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.toys import Grid, Noisy
from zabmc.engine import Model
from zabmc.engine.result import Discovery
from zabmc.engine.simulate import SimulateOptions, SimulationResult, simulate


def assert_legal_path(model: Model, path: Discovery) -> None:
    """Every step is one of the model's transitions from the state before it."""
    assert path.steps[0].state in model.init_states()
    for before, step in zip(path.steps, path.steps[1:], strict=False):
        assert (step.action, step.state) in list(model.successors(before.state))


def first_broken(model: Model, path: Discovery) -> list[int]:
    """The positions of the states that break the path's property."""
    prop = next(p for p in model.properties() if p.name == path.property)
    return [k for k, s in enumerate(path.steps) if not prop.condition(s.state)]


def detoured(model: Noisy, options: SimulateOptions) -> SimulationResult:
    """The result of the first seed whose violating walk took a detour through faults.

    Walks draw their own fault rate, so some go straight to the violation and leave
    nothing to shrink.
    """
    results = (simulate(model, replace(options, seed=s)) for s in range(100))
    return next(r for r in results if r.original_length > model.limit + model.needed)


def test_a_walk_that_breaks_an_invariant_is_shrunk_to_a_shortest_one():
    model = Noisy(n=20, faults=6, limit=5)
    result = detoured(model, SimulateOptions(runs=50, steps=40))
    v = result.violation
    assert v is not None and v.property == "Low"
    assert result.original_length > v.length == 5
    assert [s.action.name for s in v.steps[1:]] == ["Inc"] * 5
    assert_legal_path(model, v)
    assert v.explanation == "Low does not hold"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**40), needed=st.integers(0, 2))
def test_shrinking_keeps_the_invariant_and_only_the_faults_it_needs(seed, needed):
    model = Noisy(n=12, faults=5, limit=4, needed=needed)
    result = simulate(model, SimulateOptions(runs=20, steps=30, seed=seed))
    v = result.violation
    assert v is not None
    assert v.length <= result.original_length
    assert v.property == "Low" and first_broken(model, v) == [v.length]
    assert_legal_path(model, v)
    faults = [s.action for s in v.steps[1:] if model.is_fault(s.action)]
    assert len(faults) == needed and v.length == 4 + needed


def test_same_seed_same_walks_and_a_different_seed_different_ones():
    model = Grid(30)
    runs = [simulate(model, SimulateOptions(runs=40, steps=20, seed=s)) for s in (7, 7, 8)]
    a, b, c = (r.to_json() for r in runs)
    for r in (a, b, c):
        del r["elapsed_s"]
    assert a == b
    assert a["actions"] != c["actions"] and a["distinct_states"] != c["distinct_states"]
    found = [
        simulate(Noisy(20, 6, 5, 1), SimulateOptions(runs=50, steps=40, seed=s, shrink=False))
        for s in (11, 11, 12)
    ]
    assert found[0].violation == found[1].violation != found[2].violation


def test_coverage_counts_walks_steps_depth_and_distinct_states():
    model = Grid(3)  # 16 states; every walk reaches the corner in 6 steps and stops there
    result = simulate(model, SimulateOptions(runs=25, steps=100, seed=1))
    assert result.ok and result.runs == 25 and result.stuck == 25
    assert result.steps == 25 * 6 and result.max_depth == 6
    assert result.actions == {"IncX": 75, "IncY": 75}
    assert 7 <= result.distinct_states <= 16


def test_walks_stop_at_the_step_bound():
    result = simulate(Grid(50), SimulateOptions(runs=3, steps=10, seed=0))
    assert result.max_depth == 10 and result.steps == 30 and result.stuck == 0


def test_without_shrinking_the_walk_is_reported_as_found():
    model = Noisy(n=20, faults=6, limit=5)
    result = detoured(model, SimulateOptions(runs=50, steps=40, shrink=False))
    assert result.violation is not None and result.violation.length == result.original_length > 5
