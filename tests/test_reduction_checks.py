"""The reduction tests' replay check can fail: a path that is not the unreduced spec's own,
step by step, is refused (tests/reduction_checks.py, which the soundness comparisons of
both specs use on every reduced counterexample and witness path)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.protocol import Params as ProtocolParams
from spec.protocol import ProtocolModel
from spec.system import Params, SystemModel
from tests.reduction_checks import replays, verdict
from zabmc.engine import CheckOptions, Discovery, Model, check_bfs
from zabmc.engine.properties import select_properties
from zabmc.engine.reduction import reducing_expander
from zabmc.engine.result import Step

MODELS = {
    "protocol": lambda: ProtocolModel(
        ProtocolParams(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug="strict-propose")
    ),
    "system": lambda: SystemModel(
        Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug="ZK-2845")
    ),
}


def reduced_violation(model: Model, chains: bool) -> Discovery:
    checked, witnesses = select_properties(model, None)
    expander = reducing_expander(model, [p.name for p in (*checked, *witnesses)], chains)
    result = check_bfs(model, CheckOptions(check_deadlock=False, expander=expander))
    assert result.violation is not None and verdict(result) is not None
    return result.violation


def with_steps(d: Discovery, steps: list[Step]) -> Discovery:
    return replace(d, steps=tuple(steps))


@pytest.fixture(
    scope="module",
    params=[(s, c) for s in MODELS for c in (False, True)],
    ids=lambda sc: sc[0] + ("+chains" if sc[1] else ""),
)
def found(request) -> tuple[Model, Discovery]:
    spec, chains = request.param
    model = MODELS[spec]()
    return model, reduced_violation(model, chains)


def test_a_reduced_counterexample_replays(found):
    model, d = found
    assert d.length >= 4 and replays(model, d)


def test_a_path_with_a_step_left_out_does_not_replay(found):
    model, d = found
    steps = list(d.steps)
    for k in range(1, len(steps) - 1):
        assert not replays(model, with_steps(d, steps[:k] + steps[k + 1 :])), k


def test_a_step_under_another_name_does_not_replay(found):
    """Each step keeps its state but takes the label of another step of the path: a chain
    step's name (``A+B``) or any label the spec did not take there is refused."""
    model, d = found
    steps = list(d.steps)
    for k in range(1, len(steps)):
        other = next(s.action for s in steps[1:] if s.action != steps[k].action)
        forged = Step(other, steps[k].state)
        assert not replays(model, with_steps(d, [*steps[:k], forged, *steps[k + 1 :]])), k
    chained = Step(steps[1].action._replace(name=steps[1].action.name + "+X"), steps[1].state)
    assert not replays(model, with_steps(d, [steps[0], chained, *steps[2:]]))


def test_two_steps_swapped_do_not_replay(found):
    model, d = found
    steps = list(d.steps)
    swapped = [steps[0], steps[2], steps[1], *steps[3:]]
    assert not replays(model, with_steps(d, swapped))


def test_a_path_that_starts_elsewhere_does_not_replay(found):
    model, d = found
    steps = list(d.steps)
    assert not replays(model, with_steps(d, [Step(None, steps[1].state), *steps[2:]]))
    assert not replays(model, with_steps(d, [Step(steps[1].action, steps[0].state), *steps[1:]]))
