"""spec/protocol/invariants.zprop says what spec/protocol/invariants.py computes, state by state."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec.protocol.bugs import STRICT_PROPOSE
from spec.protocol.invariants import INVARIANTS
from spec.protocol.render import render_state
from spec.protocol.vocabulary import vocabulary
from tests.properties.protocol_states import BUG_BOUNDS, SMALL, crossbred, reachable
from zabmc.properties import load

ZPROP = Path(__file__).parents[2] / "spec" / "protocol" / "invariants.zprop"


@pytest.fixture(scope="module")
def formulas():
    found = load(vocabulary(SMALL), [(ZPROP.read_text(encoding="utf-8"), str(ZPROP))])
    return {p.name: p for p in found}


@pytest.fixture(scope="module")
def states():
    """Every state of the default run, states of a buggy run, and crossbred states."""
    fixed = reachable(SMALL)
    assert len(fixed) == 5_170  # TLC's count for Zab.tla with these bounds (tests/protocol)
    buggy = reachable(BUG_BOUNDS, STRICT_PROPOSE)
    return fixed + buggy[::8] + crossbred(buggy, 1500, seed=14)


def test_every_builtin_invariant_is_written_in_the_language(formulas):
    assert list(formulas) == [name for name, _ in INVARIANTS]


@pytest.mark.parametrize("name", [name for name, _ in INVARIANTS])
def test_formula_agrees_with_the_python_invariant_in_every_state(name, formulas, states):
    python = dict(INVARIANTS)[name]
    formula = formulas[name]
    compare(name, formula, python, states)


def compare(name, formula, python, states, both_verdicts=True):
    verdicts = set()
    for k, s in enumerate(states):
        expected = python(s)
        verdicts.add(expected)
        if formula.holds(s) != expected:
            pytest.fail(
                f"{name}: the formula says {not expected}, the spec says {expected} "
                f"in state #{k}: {render_state(s)}"
            )
    if not both_verdicts:
        return
    # LocalPrimaryOrder holds in every state as Zab.tla writes it (see its docstring)
    assert verdicts == ({True} if name == "LocalPrimaryOrder" else {True, False})


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name, _ in INVARIANTS])
def test_formula_agrees_in_every_state_of_the_bug_bounds(name, formulas):
    """Every state of the run the bug tests use (9,451), and 5,000 crossbred from it. This
    larger sample need not break every invariant (the default test above asks that both
    verdicts occur); here only agreement is asked."""
    fixed = reachable(BUG_BOUNDS)
    states = fixed + crossbred(fixed, 5000, seed=15)
    compare(name, formulas[name], dict(INVARIANTS)[name], states, both_verdicts=False)
