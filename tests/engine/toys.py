"""Small specs whose state counts are known by hand, to test the engine alone."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from zabmc.engine import Action, Model, Property


class Grid(Model):
    """Two counters that each count up to ``n``: (n+1)^2 states, depth 2n.

    ``limit`` adds the invariant x + y < limit, first broken at depth ``limit``.
    """

    name = "grid"

    def __init__(self, n: int, limit: int | None = None) -> None:
        self.n, self.limit = n, limit

    def init_states(self) -> Sequence[tuple[int, int]]:
        return [(0, 0)]

    def successors(self, s: tuple[int, int]) -> Iterator[tuple[Action, tuple[int, int]]]:
        x, y = s
        if x < self.n:
            yield Action("IncX"), (x + 1, y)
        if y < self.n:
            yield Action("IncY"), (x, y + 1)

    def properties(self) -> Sequence[Property]:
        props = [Property.sometimes("Corner", lambda s: s == (self.n, self.n))]
        if self.limit is not None:
            props.append(Property.always("SumBelowLimit", lambda s: s[0] + s[1] < self.limit))
        return props


class Tokens(Model):
    """``n`` interchangeable processes passing around ``tokens`` tokens.

    A process holds up to two tokens; any process may hand one of its tokens
    to any other process, or set its flag once it holds two. The state is
    (tokens held, flags) per process, which symmetry must permute together.
    """

    name = "tokens"

    def __init__(self, n: int, tokens: int) -> None:
        self.n, self.tokens = n, tokens

    def init_states(self) -> Sequence[tuple]:
        held = tuple(min(2, max(0, self.tokens - 2 * k)) for k in range(self.n))
        return [(held, (False,) * self.n, -1)]

    def successors(self, s: tuple) -> Iterator[tuple[Action, tuple]]:
        held, flags, _ = s
        for i, j in itertools.permutations(range(self.n), 2):
            if held[i] > 0 and held[j] < 2:
                h = list(held)
                h[i] -= 1
                h[j] += 1
                yield Action("Give", (i, j)), (tuple(h), flags, j)
        for i in range(self.n):
            if held[i] == 2 and not flags[i]:
                f = list(flags)
                f[i] = True
                yield Action("Flag", (i,)), (held, tuple(f), i)

    def properties(self) -> Sequence[Property]:
        return [Property.always("AtMostTwo", lambda s: all(h <= 2 for h in s[0]))]

    def symmetry(self) -> TokenSymmetry:
        return TokenSymmetry(self.n)


class TokenSymmetry:
    def __init__(self, size: int) -> None:
        self.size = size

    def permute(self, s: tuple, perm: tuple[int, ...]) -> tuple:
        held, flags, last = s
        inv = [0] * self.size
        for old, new in enumerate(perm):
            inv[new] = old
        return (
            tuple(held[inv[k]] for k in range(self.size)),
            tuple(flags[inv[k]] for k in range(self.size)),
            -1 if last == -1 else perm[last],
        )


class SignedTokenSymmetry(TokenSymmetry):
    def signature(self, s: tuple) -> list[tuple]:
        held, flags, last = s
        return [(held[k], flags[k], last == k) for k in range(self.size)]


class Noisy(Model):
    """A counter ``x`` that counts up to ``n``, and faults that bump ``y`` up to ``faults``.

    ``Inc`` is progress, ``Glitch`` a fault. The invariant breaks when ``x``
    reaches ``limit`` with at least ``needed`` glitches: a shortest
    counterexample has ``limit`` Incs and ``needed`` Glitches.
    """

    name = "noisy"

    def __init__(self, n: int, faults: int, limit: int, needed: int = 0) -> None:
        self.n, self.faults, self.limit, self.needed = n, faults, limit, needed

    def init_states(self) -> Sequence[tuple[int, int]]:
        return [(0, 0)]

    def successors(self, s: tuple[int, int]) -> Iterator[tuple[Action, tuple[int, int]]]:
        x, y = s
        if y < self.faults:
            yield Action("Glitch"), (x, y + 1)
        if x < self.n:
            yield Action("Inc"), (x + 1, y)

    def properties(self) -> Sequence[Property]:
        return [
            Property.always(
                "Low", lambda s: not (s[0] >= self.limit and s[1] >= self.needed), "x stays low"
            )
        ]

    def is_fault(self, action: Action) -> bool:
        return action.name == "Glitch"
