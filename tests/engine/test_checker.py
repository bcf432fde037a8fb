"""One checker interface: options built once, then a breadth-first search or a simulation."""

from __future__ import annotations

import pytest

from tests.engine.toys import Grid, Noisy, Tokens
from zabmc.engine import Checker, CheckOptions, UnknownProperty, check_bfs
from zabmc.engine.parallel import ScaleOptions
from zabmc.engine.simulate import SimulateOptions, simulate
from zabmc.report.servers import NoServers, ServerChart, server_chart


def figures(r):  # type: ignore[no-untyped-def]
    return (
        r.distinct_states,
        r.states_generated,
        tuple(r.states_per_depth),
        r.complete,
        None if r.violation is None else [(s.action, s.state) for s in r.violation.steps],
    )


def test_spawn_bfs_is_the_one_core_search_with_the_options_built():
    checker = Checker(Tokens(4, 3)).deadlock(False).symmetry().depth(3)
    got = checker.spawn_bfs()
    want = check_bfs(Tokens(4, 3), CheckOptions(check_deadlock=False, symmetry=True, max_depth=3))
    assert figures(got) == figures(want)
    assert got.symmetry and not got.complete


def test_each_builder_call_returns_a_new_checker():
    base = Checker(Grid(4, limit=3)).deadlock(False)
    bounded = base.depth(2)
    assert base.spawn_bfs().violation is not None  # x + y reaches 3 at depth 3
    assert bounded.spawn_bfs().violation is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_partitioned_spawn_gives_the_one_core_answer(jobs):
    clean = Checker(Tokens(4, 3)).deadlock(False)
    assert figures(clean.partitioned(ScaleOptions(jobs=jobs)).spawn_bfs()) == figures(
        clean.spawn_bfs()
    )
    broken = Checker(Grid(6, limit=5)).deadlock(False)
    one = broken.spawn_bfs()
    many = broken.partitioned(ScaleOptions(jobs=jobs)).spawn_bfs()
    assert one.violation is not None and figures(many) == figures(one)


def test_spawn_simulation_is_the_seeded_simulation():
    got = Checker(Noisy(8, 3, limit=6, needed=2)).spawn_simulation(runs=50, steps=20, seed=11)
    want = simulate(Noisy(8, 3, limit=6, needed=2), SimulateOptions(runs=50, steps=20, seed=11))
    assert got.to_json() | {"elapsed_s": 0} == want.to_json() | {"elapsed_s": 0}
    assert got.violation is not None
    assert [s.state for s in got.violation.steps] == [s.state for s in want.violation.steps]


def test_an_unknown_invariant_is_refused_by_both_searches():
    checker = Checker(Grid(3)).invariants(["Nope"])
    with pytest.raises(UnknownProperty, match="unknown invariant"):
        checker.spawn_bfs()
    with pytest.raises(UnknownProperty):
        checker.spawn_simulation(runs=1)


def test_a_visitor_cannot_be_partitioned():
    seen: list = []
    checker = Checker(Grid(2)).deadlock(False).visitor(seen.append)
    assert checker.spawn_bfs().distinct_states == len(seen) == 9
    with pytest.raises(ValueError, match="one core"):
        checker.partitioned(ScaleOptions(jobs=1)).spawn_bfs()


def test_a_model_without_servers_has_an_empty_chart():
    chart = server_chart(Grid(2))
    assert isinstance(chart, NoServers) and not isinstance(Grid(2), ServerChart)
    assert chart.server_names() == () and chart.step_events((0, 0), None, (1, 0)).sent == ()
