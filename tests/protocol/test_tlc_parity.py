"""The protocol spec reaches exactly TLC's figures on ZooKeeper's own Zab.tla.

Figures come from TLC 2.18 (1 worker, deadlock off, all ten invariants) with
the harness of shared/tlc/README.md: the first row of its table, and smaller
configurations measured the same way to keep these tests quick. TLC's depth
counts the initial state as level 1, so it is zabmc's ``max_depth + 1``.
The larger rows of the table run in ``bench/tlc_rows.py``.
"""

from __future__ import annotations

import itertools
import lzma
from pathlib import Path

import pytest

from spec.protocol import Params, ProtocolModel
from spec.protocol.symmetry import ServerSymmetry
from spec.protocol.tla import to_tla
from spec.protocol.tlc_compat import TlcCompatModel
from zabmc.engine import CheckOptions, check_bfs
from zabmc.tlc.parse import parse_states
from zabmc.tlc.values import function

FIXTURE = Path(__file__).parent.parent / "fixtures" / "zab-protocol-n3-t1-x1-e1-r0.states.xz"

# (T, X, E, R), symmetry, view -> TLC's distinct states, states generated, depth
TLC_FIGURES = [
    ((1, 1, 1, 0), False, True, 5_170, 8_608, 21),  # shared/tlc/README.md, row 1
    ((0, 2, 2, 0), False, True, 9_451, 22_666, 32),
    ((0, 2, 2, 0), True, True, 1_944, 4_740, 32),
    ((0, 2, 2, 0), True, False, 3_656, 9_019, 32),
    ((1, 1, 2, 0), True, True, 8_071, 15_783, 33),
    ((0, 1, 1, 1), False, True, 445, 760, 17),  # T=0 forbids restarts (CheckRestart)
    ((1, 1, 1, 1), False, True, 10_319, 17_983, 21),
    ((2, 1, 1, 1), True, True, 7_348, 16_427, 25),
]


def params(bounds: tuple[int, int, int, int]) -> Params:
    t, x, e, r = bounds
    return Params(servers=3, max_timeouts=t, max_txns=x, max_epoch=e, max_restarts=r)


@pytest.mark.parametrize(
    ("bounds", "symmetry", "view", "distinct", "generated", "depth"), TLC_FIGURES
)
def test_tlc_compatible_counts_equal_tlc(bounds, symmetry, view, distinct, generated, depth):
    model = TlcCompatModel(params(bounds), view=view)
    result = check_bfs(model, CheckOptions(check_deadlock=False, symmetry=symmetry))
    assert (result.distinct_states, result.states_generated, result.max_depth + 1) == (
        distinct,
        generated,
        depth,
    )
    assert result.ok and result.complete


@pytest.mark.parametrize(
    ("bounds", "symmetry", "view", "distinct", "generated", "depth"),
    [row for row in TLC_FIGURES if not row[1] and row[2]],
)
def test_exact_counts_equal_tlc_without_symmetry(
    bounds, symmetry, view, distinct, generated, depth
):
    """Without symmetry, zabmc's own counting gives TLC's distinct states and depth."""
    result = check_bfs(ProtocolModel(params(bounds)), CheckOptions(check_deadlock=False))
    assert (result.distinct_states, result.max_depth + 1) == (distinct, depth)
    # TLC counts a successor once per enabled disjunct; zabmc once per (action, arguments).
    assert result.states_generated <= generated


@pytest.mark.parametrize("bounds", [(0, 2, 2, 0), (1, 1, 2, 0), (2, 1, 1, 1)])
def test_symmetry_counts_orbits_of_the_reachable_states(bounds):
    """With symmetry, zabmc counts orbits exactly (TLC's count is larger, see tlc_compat)."""
    model = ProtocolModel(params(bounds))
    states: set = set()
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.add))
    sym = ServerSymmetry(3)
    orbits = {min(sym.permute(s, p) for p in itertools.permutations(range(3))) for s in states}
    result = check_bfs(model, CheckOptions(check_deadlock=False, symmetry=True))
    assert result.distinct_states == len(orbits)


def test_reachable_states_equal_tlc_dump_state_by_state():
    """Every state TLC reached for row 1 is reached by zabmc, and nothing else. The dump is
    read by parse_states (each distinct value text parsed once; the whole dump through the
    grammar took most of this test's minute): that it reads what parse_dump reads is
    tests/system/test_tla_oracle.py's."""
    with lzma.open(FIXTURE, "rt") as dump:
        dumped = parse_states(dump.read(), str(FIXTURE))
    assert len(dumped) == 5_170

    def without_pc(state: dict) -> frozenset:
        recorder = state["recorder"].as_dict()
        del recorder["pc"]
        return frozenset({**state, "recorder": function(recorder)}.items())

    tlc = {without_pc(s) for s in dumped}
    ours: set = set()
    check_bfs(
        ProtocolModel(params((1, 1, 1, 0))),
        CheckOptions(
            check_deadlock=False, on_state=lambda s: ours.add(frozenset(to_tla(s).items()))
        ),
    )
    assert len(tlc) == 5_170
    assert ours == tlc
