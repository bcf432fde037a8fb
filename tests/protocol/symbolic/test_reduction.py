"""BMC's trace reduction: the instances it takes as independent commute on the explicit spec.

``zabmc.symbolic.reduction`` reads each instance's reads and writes off the
encoding; BMC then looks only at paths in lexicographic normal form, which is
exact only if every pair it calls independent really commutes. The explicit
spec is the oracle: from sampled reachable states, two independent instances
enabled one after the other are enabled in the other order too, and both
orders reach the same state.
"""

from __future__ import annotations

import functools

import pytest
import z3

from spec.protocol import Params, ProtocolModel
from spec.protocol.bugs import BUGS
from spec.protocol.symbolic.relation import SymbolicProtocol
from tests.protocol.symbolic.agreement import sampled_states
from zabmc.engine import Action
from zabmc.symbolic.reduction import independence, normal_form
from zabmc.symbolic.values import leaves

BUG_PARAMS = [Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug=b) for b in BUGS]
WITH_FAULTS = Params(servers=3, max_timeouts=1, max_txns=2, max_epoch=2, max_restarts=1)


@functools.cache
def table(p: Params):
    sp = SymbolicProtocol(p, depth=40)
    return sp, independence(sp.fresh_state("t"), sp.actions, sp.apply)


# two of the four in the default run (the analysis takes about 10 s each), all with -m slow
SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "p",
    [
        WITH_FAULTS,
        BUG_PARAMS[0],
        pytest.param(BUG_PARAMS[1], marks=SLOW),
        pytest.param(BUG_PARAMS[2], marks=SLOW),
    ],
    ids=["faults", *BUGS],
)
def test_independent_instances_commute_on_the_explicit_spec(p):
    sp, ind = table(p)
    model = ProtocolModel(p)
    n = len(sp.actions)
    assert all(ind.independent[a][b] == ind.independent[b][a] for a in range(n) for b in range(n))
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b and ind.independent[a][b]]
    assert len(pairs) > n  # the reduction has something to reduce
    commuted = 0
    for s in sampled_states(p, 150, seed=21):
        for a, b in pairs:
            x, y = sp.actions[a], sp.actions[b]
            first = model.apply(s, x)
            then = model.apply(first, y) if first is not None else None
            if then is None:
                continue
            other = model.apply(s, y)
            assert other is not None, (s, x, y)
            both = model.apply(other, x)
            assert both == then, (s, x, y)
            commuted += 1
    assert commuted > 100


def test_a_leader_s_broadcast_and_a_follower_s_receipt_are_dependent_and_flags_accumulate():
    sp, ind = table(BUG_PARAMS[0])
    at = {str(a): k for k, a in enumerate(sp.actions)}
    row = ind.independent[at[str(Action("LeaderBroadcastPROPOSE", (0,)))]]
    assert not row[at[str(Action("FollowerProcessCOMMIT", (1, 0)))]]
    followers = (Action("FollowerProcessPROPOSE", (1, 0)), Action("FollowerProcessPROPOSE", (2, 0)))
    assert ind.independent[at[str(followers[0])]][at[str(followers[1])]]
    names = [str(v) for k, v in enumerate(leaves(sp.fresh_state("t"))) if k in ind.accumulators]
    assert "t.violated.proposalInconsistent" in names


def test_the_normal_form_forbids_exactly_a_later_independent_step_moved_back():
    """Two independent instances a < b: "b then a" is not in normal form, "a then b" is."""
    sp, ind = table(BUG_PARAMS[0])
    a, b = next(
        (a, b)
        for a in range(len(sp.actions))
        for b in range(a + 1, len(sp.actions))
        if ind.independent[a][b]
    )
    n = len(sp.actions)
    first, second = ([z3.Bool(f"step{k}.takes{a}") for a in range(n)] for k in (1, 2))
    constraints, _ = normal_form(ind, first, second, None, "n")
    for x, y, allowed in ((b, a, False), (a, b, True), (a, a, True)):
        solver = z3.Solver()
        solver.add(*constraints)
        solver.add(*(v == (k == x) for k, v in enumerate(first)))
        solver.add(*(v == (k == y) for k, v in enumerate(second)))
        assert (solver.check() == z3.sat) == allowed, (x, y)
