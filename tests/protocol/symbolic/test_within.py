"""BMC's one query for paths of at most K steps: an idle step keeps the state, a taken one is Next.

``zabmc.symbolic.within`` makes a path of j < K steps a K-step unrolling with idle
steps at its end. That is exact only if an idle step changes no variable and a
step that takes an instance is that instance's step of Next; z3 proves both of
the encoding, for each bug variant's parameters.
"""

from __future__ import annotations

import pytest
import z3

from spec.protocol import Params
from spec.protocol.bugs import BUGS
from spec.protocol.symbolic.relation import SymbolicProtocol
from zabmc.symbolic.prove import RESTARTS, sat_solver
from zabmc.symbolic.values import leaves
from zabmc.symbolic.within import step_or_idle

PARAMS = [Params(servers=3, max_timeouts=1, max_txns=2, max_epoch=2, max_restarts=1)] + [
    Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug=b) for b in sorted(BUGS)
]


def _valid(claim: z3.BoolRef) -> bool:
    solver = z3.Solver()
    solver.add(z3.Not(claim))
    return solver.check() == z3.unsat


@pytest.mark.parametrize(
    "p",
    [PARAMS[0], next(p for p in PARAMS if p.bug == "strict-propose")],
    ids=["faults", "strict-propose"],
)
def test_an_idle_step_is_allowed_and_changes_no_variable(p):
    sp = SymbolicProtocol(p, channel=2, depth=25)
    template = sp.fresh_state("t")
    step = step_or_idle(sp, template)
    idle = [(h, z3.BoolVal(False)) for h in step.hot]
    after = z3.substitute(step.packed, *idle).children()
    assert _valid(z3.And(*(x == y for x, y in zip(after, leaves(template), strict=True))))
    assert _valid(z3.substitute(step.constraint, *idle))


def test_a_taken_step_is_that_instance_s_step_of_next():
    p = next(p for p in PARAMS if p.bug == "strict-propose")
    sp = SymbolicProtocol(p, channel=2, depth=25)
    template = sp.fresh_state("t")
    step = step_or_idle(sp, template)
    for k in range(0, len(sp.actions), 7):  # a spread of instances; each check is small
        only_k = [(h, z3.BoolVal(j == k)) for j, h in enumerate(step.hot)]
        guard, result = sp.apply(template, sp.actions[k])
        after = z3.substitute(step.packed, *only_k).children()
        same = z3.And(*(x == y for x, y in zip(after, leaves(result), strict=True)))
        assert _valid(same), sp.actions[k]
        assert _valid(z3.substitute(step.constraint, *only_k) == guard), sp.actions[k]
    # two at once is refused
    two = [(h, z3.BoolVal(j < 2)) for j, h in enumerate(step.hot)]
    assert _valid(z3.Not(z3.substitute(step.constraint, *two)))


@pytest.mark.parametrize("restart", RESTARTS)
def test_each_restart_strategy_is_one_z3_knows_and_answers_both_ways(restart):
    """``--sat-restart``'s choices are z3's values of sat.restart (with a misspelt one, z3
    answers unknown), and the solver decides a small bit-vector query either way."""
    x = z3.BitVec("x", 6)
    solver = sat_solver(0, restart)
    solver.add(x * 3 == 21, x < 10)
    assert solver.check() == z3.sat and solver.model().eval(x).as_long() == 7
    solver = sat_solver(0, restart)
    solver.add(x * 2 == 7)
    assert solver.check() == z3.unsat


def test_an_unknown_restart_strategy_is_refused():
    with pytest.raises(ValueError, match="unknown SAT restart strategy 'nope'"):
        sat_solver(0, "nope")
