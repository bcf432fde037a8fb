"""The system spec's invariants, compiled to z3 over the encoding, agree with the explicit ones.

``zabmc prove --spec system`` reads the invariants of ``spec/system/invariants.zprop`` through
the encoding's binding (breaches kept by kind, ``online`` constant, epochs above MaxEpoch
empty): on every reachable state of 2 servers, with and without ZK-2845 (its violations
included), each compiled formula holds exactly where the Python invariant does.
"""

from __future__ import annotations

import pytest
import z3

from spec.system.bugs import ZK_2845
from spec.system.invariants import INVARIANTS
from spec.system.symbolic import INVARIANTS_FILE, build
from spec.system.vocabulary import vocabulary
from tests.system.symbolic.agreement import bounds, params
from tests.system.symbolic.test_agreement import reachable
from zabmc.properties.check import Checker
from zabmc.symbolic.compile import SymbolicFormula
from zabmc.symbolic.values import leaves

#: Formulas that read proposalMsgsLog, which the encoding leaves out.
LEFT_OUT = {"Integrity", "LocalPrimaryOrder"}


@pytest.mark.parametrize("bug", [None, ZK_2845], ids=["fixed", "ZK-2845"])
def test_compiled_invariants_hold_where_the_explicit_ones_do(bug):
    p = params(2, bug)
    given = bounds(2)
    setup = build(given, bug, {"coarse_election": True})
    sp = setup.spec
    checker = Checker(vocabulary(given))
    terms = dict(checker.add_file(INVARIANTS_FILE.read_text(encoding="utf-8"), "invariants"))
    state = sp.fresh_state("p")
    compiled = {
        name: SymbolicFormula(setup.binding, name).holds(terms[name], state)
        for name, _ in INVARIANTS
        if name not in LEFT_OUT
    }
    explicit = dict(INVARIANTS)
    solver = z3.Solver()
    broken: set[str] = set()
    for s in reachable(p):
        solver.push()
        encoded = leaves(sp.layout.encode(s))
        solver.add(*(x == y for x, y in zip(leaves(state), encoded, strict=True)))
        assert solver.check() == z3.sat
        model = solver.model()
        solver.pop()
        for name, formula in compiled.items():
            held = z3.is_true(model.eval(formula, model_completion=True))
            assert held == explicit[name](s), (name, s)
            if not held:
                broken.add(name)
    assert ("ShouldNotBeTriggered" in broken) == (bug == ZK_2845)
