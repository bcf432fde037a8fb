"""Exact canonical representatives of states under permutations of ids.

The canonical form of a state is the smallest (by tuple order) of all its
permutations, so two states get the same representative exactly when one is a
permutation of the other: the checker then counts orbits.

Trying all ``n!`` permutations is wasteful when the ids can be told apart. A
:class:`SignedSymmetry` gives each id a key that moves with the id; only the
permutations that put the keys in ascending order are tried. That set is the
same for every member of an orbit (shifted by the permutation between them),
so the minimum over it is still a canonical form.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence

from zabmc.engine.model import Symmetry


def all_permutations(size: int) -> list[tuple[int, ...]]:
    """Every permutation of ``range(size)``, the identity first."""
    return list(itertools.permutations(range(size)))


def sorting_permutations(keys: Sequence[Hashable]) -> list[tuple[int, ...]]:
    """The permutations ``perm`` (old id -> new id) that sort ``keys`` ascending.

    Ids with equal keys may be placed in any order among themselves, so the
    result has one permutation per arrangement of each group of ties.
    """
    return _perms_for_pattern(_tie_pattern(keys))


def _tie_pattern(keys: Sequence[Hashable]) -> tuple[tuple[int, ...], ...]:
    """The ids in ascending key order, grouped where keys are equal."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])  # type: ignore[index, arg-type, return-value]
    groups: list[list[int]] = []
    for i in order:
        if groups and keys[groups[-1][0]] == keys[i]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return tuple(tuple(g) for g in groups)


def _perms_for_pattern(groups: tuple[tuple[int, ...], ...]) -> list[tuple[int, ...]]:
    size = sum(len(g) for g in groups)
    result = []
    for arrangement in itertools.product(*(itertools.permutations(g) for g in groups)):
        perm = [0] * size
        position = 0
        for group in arrangement:
            for old in group:
                perm[old] = position
                position += 1
        result.append(tuple(perm))
    return result


def canonicalizer(symmetry: Symmetry) -> Callable[[Hashable], Hashable]:
    """A function mapping each state to the representative of its orbit.

    A symmetry's own ``canonical`` wins; then signatures prune; otherwise
    every permutation is tried.
    """
    own = getattr(symmetry, "canonical", None)
    if own is not None:
        return own
    permute = symmetry.permute
    signature = getattr(symmetry, "signature", None)
    if signature is None:
        perms = all_permutations(symmetry.size)

        def canonical(state: Hashable) -> Hashable:
            return min(permute(state, p) for p in perms)

        return canonical

    # Keyed by the tie pattern, which has few values, not by the keys.
    cache: dict[tuple[tuple[int, ...], ...], list[tuple[int, ...]]] = {}

    def canonical_signed(state: Hashable) -> Hashable:
        pattern = _tie_pattern(signature(state))
        perms = cache.get(pattern)
        if perms is None:
            perms = cache[pattern] = _perms_for_pattern(pattern)
        if len(perms) == 1:
            return permute(state, perms[0])
        return min(permute(state, p) for p in perms)

    return canonical_signed
