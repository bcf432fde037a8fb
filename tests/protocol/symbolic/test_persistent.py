"""BMC's persistent steps: the symbolic declared receipts are the explicit spec's declarations.

``spec.protocol.symbolic.persistent`` encodes the follower receipts that
:mod:`spec.protocol.independence` declares persistent (checked there on whole state
spaces by ``tests/protocol/test_reduction.py``); ``zabmc.symbolic.within`` forces
them when z3 proves them invisible to the property. The explicit spec is the
oracle: on sampled states the symbolic condition holds exactly where the explicit
``declared_receipt`` names that receipt.
"""

from __future__ import annotations

import pytest
import z3

from spec.protocol import Params
from spec.protocol import independence as explicit
from spec.protocol.bugs import BUGS
from spec.protocol.symbolic.persistent import FOLLOWER_RECEIPTS
from spec.protocol.symbolic.relation import SymbolicProtocol
from tests.protocol.symbolic.agreement import sampled_states
from zabmc.symbolic.within import invisible_persistent

BUG_PARAMS = [Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug=b) for b in BUGS]
WITH_FAULTS = Params(servers=3, max_timeouts=1, max_txns=2, max_epoch=2, max_restarts=1)


@pytest.mark.parametrize("p", [WITH_FAULTS, *BUG_PARAMS], ids=["faults", *BUGS])
def test_the_symbolic_declared_receipts_are_the_explicit_ones(p):
    sp = SymbolicProtocol(p)
    n = p.servers
    declared = sp.persistent_steps(sp.fresh_state("t"))
    assert len(declared) == len(FOLLOWER_RECEIPTS) * n * (n - 1)
    agreed = named = 0
    for s in sampled_states(p, 80, seed=5, walk=30):
        # the conditions over the explicit state's constants: z3 simplifies each to a truth value
        for k, cond in sp.persistent_steps(sp.layout.encode(s)):
            action = sp.actions[k]
            symbolic = z3.simplify(cond)
            assert z3.is_true(symbolic) or z3.is_false(symbolic)
            name = explicit.declared_receipt(s, p, *action.args)
            assert z3.is_true(symbolic) == (name == action.name), (s, action)
            agreed += 1
            named += z3.is_true(symbolic)
    assert agreed == 80 * len(declared)
    assert named > 10  # the sample meets declared receipts (with faults, once the Timeout is used)


def test_a_receipt_that_changes_what_the_property_reads_is_not_forced():
    """ShouldNotBeTriggered reads the flags only: every declared receipt is invisible to it.
    A property reading a follower's zabState sees FollowerProcessNEWEPOCH (DISCOVERY to
    SYNCHRONIZATION), so z3 leaves those out and keeps the rest."""
    p = next(p for p in BUG_PARAMS if p.bug == "propose-to-ackld")
    sp = SymbolicProtocol(p, channel=2, depth=10)
    t = sp.fresh_state("t")
    every = {k for k, _ in sp.persistent_steps(t)}
    flags = z3.Or(*(t.violated[f] for f, _ in t.violated.fields))
    assert {k for k, _, _ in invisible_persistent(sp, t, flags)} == every
    syncing = z3.Or(*(t.zab_state[i] == 2 for i in range(p.servers)))  # SYNCHRONIZATION
    kept = {sp.actions[k].name for k, _, _ in invisible_persistent(sp, t, syncing)}
    assert "FollowerProcessNEWEPOCH" not in kept
    assert {"FollowerProcessPROPOSE", "FollowerProcessCOMMIT"} <= kept
