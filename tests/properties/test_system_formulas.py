"""spec/system/invariants.zprop says what spec/system/invariants.py computes, state by state."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec.system.invariants import INVARIANTS
from spec.system.vocabulary import vocabulary
from tests.properties.system_states import BOUNDS, crossbred, reachable
from zabmc.properties import load

ZPROP = Path(__file__).parents[2] / "spec" / "system" / "invariants.zprop"


@pytest.fixture(scope="module")
def formulas():
    found = load(vocabulary(BOUNDS), [(ZPROP.read_text(encoding="utf-8"), str(ZPROP))])
    return {p.name: p for p in found}


@pytest.fixture(scope="module")
def states():
    """Every state within 22 steps (coarse election, 2 txns), and 2,000 crossbred from them."""
    fixed = reachable(22)
    return fixed + crossbred(fixed, 2000, seed=14)


def test_every_builtin_invariant_is_written_in_the_language(formulas):
    assert sorted(formulas) == sorted(name for name, _ in INVARIANTS)


@pytest.mark.parametrize("name", [name for name, _ in INVARIANTS])
def test_formula_agrees_with_the_python_invariant_in_every_state(name, formulas, states):
    python = dict(INVARIANTS)[name]
    verdicts = set()
    for k, s in enumerate(states):
        expected = python(s)
        verdicts.add(expected)
        if formulas[name].holds(s) != expected:
            pytest.fail(
                f"{name}: the formula says {not expected}, the spec says {expected} "
                f"in state #{k}: {s}"
            )
    assert verdicts == {True, False}  # the comparison could have failed either way
