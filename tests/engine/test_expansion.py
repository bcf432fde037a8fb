"""The search owes a reducing expander the cycle proviso, and unfolds chained steps."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from tests.engine.toys import Grid
from zabmc.engine import Action, CheckOptions, check_bfs
from zabmc.engine.expansion import Expansion, chain_label, unfold


class FirstOnly:
    """Offers a state's first successor, marked incomplete; the rest on request."""

    def __init__(self, model: Grid) -> None:
        self.model = model
        self.rest_asked = 0

    def expand(self, state: Hashable) -> Expansion:
        return Expansion(list(self.model.successors(state))[:1], False)

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        self.rest_asked += 1
        return list(self.model.successors(state))[1:]


def test_the_rest_is_explored_only_when_no_state_of_the_subset_was_new():
    grid = Grid(3)
    expander = FirstOnly(grid)
    result = check_bfs(grid, CheckOptions(check_deadlock=False, expander=expander))
    # From (x, y) the subset is IncX while x < 3: new the first time, so IncY is never
    # owed there; along x == 3 the subset is IncY alone. Only (3, 0) .. (3, 3) and the
    # column x = 0 .. 3 at y = 0 are reached: 4 + 3 states (16 if the rest were taken).
    assert result.distinct_states == 7


def test_a_subset_that_finds_nothing_new_is_completed():
    grid = Grid(2)

    class SeenFirst(FirstOnly):
        def expand(self, state: Hashable) -> Expansion:
            return Expansion([(Action("Stay"), state)], False)  # never new

        def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
            self.rest_asked += 1
            return list(self.model.successors(state))

    expander = SeenFirst(grid)
    result = check_bfs(grid, CheckOptions(check_deadlock=False, expander=expander))
    assert result.distinct_states == 9  # every state, as without reduction
    assert result.examples["Corner"].length == 4  # its path is rebuilt through the rest


def test_a_chain_label_unfolds_into_its_steps():
    steps = ((Action("A", (1,)), "s1"), (Action("A", (2,)), "s2"), (Action("B"), "s3"))
    label = chain_label(steps)
    assert label.name == "A*2+B"
    assert unfold(label, "s3") == steps
    assert unfold(Action("C"), "t") == ((Action("C"), "t"),)
