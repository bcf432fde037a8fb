"""The Ray backend: partitions as actors give the local search's counts and counterexample."""

from __future__ import annotations

import pytest

from spec.protocol import Params, ProtocolModel
from tests.engine.toys import Grid
from zabmc.engine import CheckOptions, CheckResult, check_bfs
from zabmc.engine.parallel import ScaleOptions, check_parallel

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # starting Ray takes seconds


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def summary(r: CheckResult) -> tuple:
    steps = None if r.violation is None else [(s.action, s.state) for s in r.violation.steps]
    actions = {n: (s.generated, s.distinct) for n, s in sorted(r.actions.items())}
    return r.distinct_states, r.states_generated, r.states_per_depth, actions, steps


@pytest.mark.parametrize(
    "params",
    [
        Params(3, 1, 1, 1, 0),  # TLC's first row: 5,170 states, every invariant holds
        Params(3, 0, 2, 2, 0, bug="strict-propose"),  # a violation 10+ steps deep
    ],
    ids=["clean", "violation"],
)
def test_ray_actors_give_the_local_result(local_ray, params):
    model = ProtocolModel(params)
    options = CheckOptions(check_deadlock=False)
    on_ray = check_parallel(model, options, ScaleOptions(jobs=2, backend="ray"))
    local = check_parallel(model, options, ScaleOptions(jobs=2))
    assert summary(on_ray) == summary(local)
    assert (on_ray.violation is None) == (params.bug is None)


def test_ray_actors_send_what_local_processes_send(local_ray):
    """States are found, counted and traced back on Ray as on one core, and each candidate
    goes to the same owner as between local processes."""
    model, options = Grid(6, limit=5), CheckOptions(check_deadlock=False)
    on_ray = check_parallel(model, options, ScaleOptions(jobs=2, backend="ray"))
    assert summary(on_ray) == summary(check_bfs(model, options))
    # the same owners as local processes: the same successors kept and sent
    local = check_parallel(model, options, ScaleOptions(jobs=2))
    assert on_ray.traffic == local.traffic and local.traffic is not None
    assert local.traffic[1] > 0


def test_ray_actors_even_out_a_level(local_ray, monkeypatch):
    """Every uneven level evened out: the actors give and take
    frontier states through Ray, and the counts and counterexample stay the local ones."""
    from zabmc.engine import partition

    monkeypatch.setattr(partition, "REBALANCE_SKEW", 0.0)
    monkeypatch.setattr(partition, "REBALANCE_MIN", 1)
    model, options = Grid(7, limit=6), CheckOptions(check_deadlock=False)
    on_ray = check_parallel(model, options, ScaleOptions(jobs=2, backend="ray"))
    assert summary(on_ray) == summary(check_bfs(model, options))
    assert on_ray.violation is not None and on_ray.states_given > 0


@pytest.mark.parametrize(
    "args",
    [
        ["--nodes", "3", "--depth", "9"],  # the system spec, reduced, with its fine election
        ["--spec", "protocol", "--max-txns", "2", "--max-epoch", "2", "--depth", "14"],
        # a user's properties beside the spec's own (with_properties copies the model)
        ["--nodes", "3", "--depth", "8", "--property", "spec/system/invariants.zprop"],
    ],
    ids=["system", "protocol", "system-property"],
)
def test_the_cli_on_ray_gives_the_local_result(local_ray, capsys, args):
    """``zabmc check --backend ray`` with each spec as the CLI builds it (reduction on,
    compiled in CI): each actor makes the properties and the expander from the pickled
    model, and the counts are the local processes' ones."""
    import json

    from zabmc.cli.main import main

    def run(*extra: str) -> dict:
        assert main(["check", *args, "--no-deadlock", "--json", "--no-progress", *extra]) == 0
        data = json.loads(capsys.readouterr().out)
        return {k: data[k] for k in ("distinct_states", "states_generated", "actions")}

    assert run("--backend", "ray", "-j", "2") == run("-j", "2")
