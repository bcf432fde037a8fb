"""BMC's unrolling: Next built once as terms over a template state, and substituted.

``SymbolicProtocol.successor`` gives the next state as terms over the state before
(no fresh next-state variables); ``zabmc prove --bmc`` substitutes each depth's terms
into it. Here the substituted successor of sampled reachable states is compared with
the explicit spec's successors, and the structure helpers it relies on are checked.
"""

from __future__ import annotations

import pytest
import z3

from spec.protocol import ProtocolModel
from spec.protocol.symbolic.relation import SymbolicProtocol
from tests.protocol.symbolic.agreement import PARAMS, explicit_successors, sampled_states
from zabmc.symbolic.values import leaves, with_leaves


def test_with_leaves_rebuilds_a_state_from_its_terms():
    sp = SymbolicProtocol(PARAMS)
    s = sp.fresh_state("a")
    terms = leaves(s)
    rebuilt = with_leaves(s, terms)
    assert type(rebuilt) is type(s)
    assert all(z3.eq(x, y) for x, y in zip(leaves(rebuilt), terms, strict=True))
    with pytest.raises(ValueError, match="more terms"):
        with_leaves(s, [*terms, z3.Int("extra")])


def test_substituting_a_state_into_the_successor_template_gives_the_explicit_successors():
    sp = SymbolicProtocol(PARAMS)
    model = ProtocolModel(PARAMS)
    template = sp.fresh_state("t")
    step = sp.successor(template, "t")
    empty = z3.Solver()
    assert empty.check() == z3.sat
    anything = empty.model()  # the substituted terms are constants: any model evaluates them
    after = leaves(step.after)
    pack = z3.Function("next", *(t.sort() for t in after), z3.BoolSort())
    packed = pack(*after)
    compared = 0
    for s in sampled_states(PARAMS, 12, seed=3):
        pairs = list(zip(leaves(template), leaves(sp.layout.encode(s)), strict=True))
        here, guard = z3.substitute(packed, *pairs), z3.substitute(step.constraint, *pairs)
        found = set()
        for k, action in enumerate(sp.actions):
            chosen = (step.selector, z3.IntVal(k))
            if not z3.is_true(z3.simplify(z3.substitute(guard, chosen))):
                continue
            terms = z3.simplify(z3.substitute(here, chosen)).children()
            found.add((action, sp.decode(anything, with_leaves(template, terms))))
        assert found == explicit_successors(model, s), s
        compared += len(found)
    assert compared > 20
