"""BMC's bit-vector encoding: the width a depth gives holds every number a path of that depth has.

``width_for_depth`` argues that every number of a state at depth d lies in
[-1, state_bound(d)] and derives a width from it. Here breadth-first search on
the explicit spec is the oracle for the argument (every state it reaches at
depth d obeys the bound), and the encoding at that width is checked not to wrap
at the bound.
"""

from __future__ import annotations

import pytest
import z3

from spec.protocol import Params, ProtocolModel
from spec.protocol.bugs import BUGS
from spec.protocol.state import initial_state
from spec.protocol.symbolic.relation import SymbolicProtocol
from spec.protocol.symbolic.state import Layout, state_bound, width_for_depth
from tests.protocol.symbolic.agreement import without_ghost
from zabmc.symbolic.values import const, number, signed_width

BUG_BOUNDS = dict(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, max_restarts=0)


def numbers(value) -> list[int]:
    """Every int in a state (bools are flags, not numbers)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, tuple | list):
        return [x for v in value for x in numbers(v)]
    raise AssertionError(type(value))


def levels(p: Params, depth: int):
    """The states breadth-first search first reaches at each depth 0..depth."""
    model = ProtocolModel(p)
    frontier = [initial_state(p.servers)]
    seen = set(frontier)
    for d in range(depth + 1):
        yield d, frontier
        found = []
        for s in frontier:
            for _, t in model.successors(s):
                if t not in seen:
                    seen.add(t)
                    found.append(t)
        frontier = found


def test_signed_widths_and_constants_at_the_edge():
    assert signed_width(0, 31) == 6 and signed_width(0, 32) == 7
    assert signed_width(-32, 0) == 6 and signed_width(-33, 0) == 7
    six = z3.BitVecSort(6)
    assert number(const(31, six)) == 31 and number(const(-32, six)) == -32
    with pytest.raises(ValueError, match="does not fit"):
        const(32, six)


@pytest.mark.parametrize(
    "bug",
    [
        None,
        "commitld-ackld-zxid",
        *(pytest.param(b, marks=pytest.mark.slow) for b in list(BUGS)[:2]),
    ],
)
def test_every_number_breadth_first_search_reaches_is_within_the_bound(bug):
    p = Params(**BUG_BOUNDS, bug=bug)
    depth = 25
    layout = Layout.of(p, depth=depth)
    anything = z3.Solver()
    assert anything.check() == z3.sat
    model = anything.model()  # encoded states are constants: any model evaluates them
    compared = 0
    for d, states in levels(p, depth):
        bound = state_bound(p, layout.channel, d)
        for k, s in enumerate(states):
            assert all(-1 <= x <= bound for x in numbers(without_ghost(s))), (d, s)
            compared += 1
            if k % 97 == 0:
                # and it survives the trip through bit-vectors of the depth's width
                assert layout.decode(model, layout.encode(s)) == without_ghost(s)
    assert compared > 1000


def test_a_number_at_the_bound_does_not_wrap():
    p = Params(**BUG_BOUNDS)
    for depth in (0, 17, 25, 60):
        width = width_for_depth(p, 7, depth)
        sort = z3.BitVecSort(width)
        top = const(state_bound(p, 7, depth), sort)
        # what a step computes from a number at the bound: + 1, + 2, a doubled count
        for term, expected in (
            (top + 1, state_bound(p, 7, depth) + 1),
            (top + 2, state_bound(p, 7, depth) + 2),
            (const(-1, sort) - 2, -3),
            (const(p.servers, sort) * 2, 2 * p.servers),
        ):
            assert number(z3.simplify(term)) == expected
        assert z3.is_true(z3.simplify(top + 2 > top))
    # the width follows the depth: a deeper bound needs more bits
    assert width_for_depth(p, 7, 200) > width_for_depth(p, 7, 25) >= width_for_depth(p, 7, 17)


def test_the_bit_vector_encoding_takes_bmc_depth_and_int_encoding_does_not():
    p = Params(**BUG_BOUNDS)
    assert SymbolicProtocol(p).layout.width is None
    bv = SymbolicProtocol(p, depth=17)
    assert bv.layout.width == width_for_depth(p, bv.layout.channel, 17)
    assert all(z3.is_bv(x) or z3.is_bool(x) for x in bv.shape.state)
