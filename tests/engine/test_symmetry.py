"""Symmetry reduction counts orbits: checked against brute force on a toy."""

from __future__ import annotations

import itertools

import pytest

from tests.engine.toys import SignedTokenSymmetry, Tokens, TokenSymmetry
from zabmc.engine import CheckOptions, check_bfs
from zabmc.engine.symmetry import canonicalizer, sorting_permutations


def reachable(model: Tokens) -> set:
    states = set()
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.add))
    return states


def brute_force_orbits(states: set, sym: TokenSymmetry) -> int:
    """Orbits counted the slow way: group states that some permutation maps onto each other."""
    remaining = set(states)
    orbits = 0
    while remaining:
        s = remaining.pop()
        orbits += 1
        for perm in itertools.permutations(range(sym.size)):
            remaining.discard(sym.permute(s, perm))
    return orbits


@pytest.mark.parametrize(("n", "tokens"), [(3, 3), (4, 4), (4, 5), (5, 6)])
def test_symmetry_counts_orbits(n: int, tokens: int) -> None:
    model = Tokens(n, tokens)
    states = reachable(model)
    expected = brute_force_orbits(states, TokenSymmetry(n))
    result = check_bfs(model, CheckOptions(check_deadlock=False, symmetry=True))
    assert result.distinct_states == expected
    assert expected < len(states)


@pytest.mark.parametrize(("n", "tokens"), [(3, 3), (4, 5)])
def test_signed_canonical_form_is_constant_on_orbits(n: int, tokens: int) -> None:
    sym = TokenSymmetry(n)
    plain, signed = canonicalizer(sym), canonicalizer(SignedTokenSymmetry(n))
    for s in reachable(Tokens(n, tokens)):
        orbit = {sym.permute(s, perm) for perm in itertools.permutations(range(n))}
        assert plain(s) in orbit and signed(s) in orbit
        assert {plain(t) for t in orbit} == {plain(s)}
        assert {signed(t) for t in orbit} == {signed(s)}


@pytest.mark.parametrize(("n", "tokens"), [(4, 5), (5, 6)])
def test_signed_symmetry_counts_the_same_orbits(n: int, tokens: int) -> None:
    class SignedTokens(Tokens):
        def symmetry(self) -> SignedTokenSymmetry:
            return SignedTokenSymmetry(self.n)

    options = CheckOptions(check_deadlock=False, symmetry=True)
    assert (
        check_bfs(SignedTokens(n, tokens), options).distinct_states
        == check_bfs(Tokens(n, tokens), options).distinct_states
    )


def test_sorting_permutations_cover_ties() -> None:
    assert sorting_permutations([2, 0, 1]) == [(2, 0, 1)]
    assert sorted(sorting_permutations([1, 0, 1])) == [(1, 0, 2), (2, 0, 1)]
    assert len(sorting_permutations([0, 0, 0])) == 6
