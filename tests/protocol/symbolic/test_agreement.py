"""The z3 encoding of the protocol spec agrees with the explicit spec, transition by transition.

Two checks, from sampled reachable states: every explicit transition is the
encoding's (the instance's guard holds and its result is the explicit
successor), and z3 finds no successor the explicit spec lacks (the instance
table both ways, and by enumerating the models of Next).
"""

from __future__ import annotations

import pytest

from spec.protocol import Params, ProtocolModel
from spec.protocol.bugs import BUGS
from spec.protocol.symbolic.relation import SymbolicProtocol
from tests.protocol.symbolic.agreement import (
    PARAMS,
    explicit_successors,
    sampled_states,
)
from tests.symbolic_agreement import InstanceTable, enumerated_successors

BUG_PARAMS = [Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug=b) for b in BUGS]


def agree(p: Params, count: int, seed: int, depth: int | None = None) -> int:
    """Compare successor sets on ``count`` sampled states; the number of transitions compared.

    ``depth``: the bit-vector encoding BMC uses to that depth (else z3 Ints); the
    sampled walks are at most 40 steps long.
    """
    table = InstanceTable(SymbolicProtocol(p, depth=depth))
    model = ProtocolModel(p)
    compared = 0
    for k, s in enumerate(sampled_states(p, count, seed)):
        mine, theirs = table.successors(s), explicit_successors(model, s)
        if mine != theirs:
            extra = sorted(str(a) for a, _ in mine - theirs)
            missing = sorted(str(a) for a, _ in theirs - mine)
            pytest.fail(f"state #{k} {s}: z3 adds {extra}, lacks {missing}")
        compared += len(theirs)
    return compared


def test_every_explicit_transition_is_the_encodings_and_no_other():
    assert agree(PARAMS, 60, seed=14) > 100


@pytest.mark.parametrize("p", BUG_PARAMS, ids=list(BUGS))
def test_the_bug_variants_agree_too(p):
    assert agree(p, 15, seed=15) > 15


@pytest.mark.parametrize(
    "p",
    [PARAMS, BUG_PARAMS[0], *(pytest.param(p, marks=pytest.mark.slow) for p in BUG_PARAMS[1:])],
    ids=["fixed", *BUGS],
)
def test_the_bit_vector_encoding_agrees_too(p):
    assert agree(p, 20, seed=19, depth=40) > 20


def test_enumerating_the_models_of_next_over_bit_vectors_gives_the_explicit_successors():
    sp = SymbolicProtocol(PARAMS, depth=40)
    model = ProtocolModel(PARAMS)
    for s in sampled_states(PARAMS, 12, seed=16)[11:12]:
        assert enumerated_successors(sp, s) == explicit_successors(model, s)


def test_enumerating_the_models_of_next_gives_the_explicit_successors():
    sp = SymbolicProtocol(PARAMS)
    model = ProtocolModel(PARAMS)
    for s in sampled_states(PARAMS, 12, seed=16)[11:12]:
        assert enumerated_successors(sp, s) == explicit_successors(model, s)


@pytest.mark.slow
def test_ten_thousand_sampled_states_agree():
    assert agree(PARAMS, 10_000, seed=17) > 20_000


@pytest.mark.slow
def test_enumerated_models_agree_on_sixty_states():
    sp = SymbolicProtocol(PARAMS)
    model = ProtocolModel(PARAMS)
    for s in sampled_states(PARAMS, 60, seed=18):
        assert enumerated_successors(sp, s) == explicit_successors(model, s)
