"""Atomic local steps: a server's right movers chained with its next step (Lipton).

From each state every enabled step is explored, as without reduction, except that
a step that is an invisible right mover (:mod:`zabmc.engine.reduction.movers`) is
not stored: its process's next step follows it at once, in every way that process
can move, until a step that is not a right mover ends the chain. The chain is one
successor, one level of depth; its label keeps the model's steps, which a
counterexample shows one by one.

Why nothing is lost: in any run, a right mover can be postponed past the other
processes' steps to just before its process's next step, reaching the same states
after; the states skipped in between differ from kept ones only in parts that no
checked property reads. A chain whose process cannot move after a mover ends
there, at the mover's state, which is then explored like any other.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from zabmc.engine.expansion import Expansion, chain_label
from zabmc.engine.model import Action, Model
from zabmc.engine.reduction.movers import Movers, visible_parts

#: A chain longer than this ends where it is (its state is kept and explored): a
#: bound on the work per state that keeps the search sound, whatever a spec declares.
MAX_CHAIN = 32


class ChainExpander:
    """Every successor, with invisible right movers chained to their process's next step."""

    def __init__(self, model: Model, movers: Movers, properties: Sequence[str]) -> None:
        self._successors = model.successors
        self._movers = movers
        self._visible = visible_parts(movers, properties)
        self._properties = tuple(properties)
        self.chains = 0  # chained successors returned
        self.skipped = 0  # intermediate states not stored

    def _mover_process(self, state: Hashable, action: Action, succ: Hashable) -> Hashable | None:
        """The process of an invisible right mover, or None for any other step."""
        if self._visible is None:
            return None
        writes = self._movers.right_mover(state, action, succ)
        if writes is None or writes & self._visible:
            return None
        return self._movers.process(action)

    def expand(self, state: Hashable) -> Expansion:
        out: list[tuple[Action, Hashable]] = []
        visited: set[tuple[Hashable, Hashable]] = set()
        for action, succ in self._successors(state):
            process = self._mover_process(state, action, succ)
            if process is None:
                out.append((action, succ))
            else:
                out.extend(self._chains(process, ((action, succ),), visited))
        return Expansion(out, True)

    def _chains(
        self,
        process: Hashable,
        steps: tuple[tuple[Action, Hashable], ...],
        visited: set[tuple[Hashable, Hashable]],
    ) -> Iterator[tuple[Action, Hashable]]:
        """Every way ``process`` goes on after the movers in ``steps``.

        A state in the middle of a chain that this expansion met before (by the same
        process's movers in another order) is not continued again: the chains from it
        end where they ended the first time.
        """
        state = steps[-1][1]
        if (process, state) in visited:
            return
        visited.add((process, state))
        involves = self._movers.involves
        nexts = (
            [(a, t) for a, t in self._successors(state) if process in involves(a)]
            if len(steps) < MAX_CHAIN
            else []
        )
        if not nexts:  # the process cannot move on: the chain ends at the mover's state
            yield self._label(steps)
            return
        self.skipped += 1
        for action, succ in nexts:
            chained = (*steps, (action, succ))
            if self._mover_process(state, action, succ) == process:
                yield from self._chains(process, chained, visited)
            else:
                yield self._label(chained)

    def _label(self, steps: tuple[tuple[Action, Hashable], ...]) -> tuple[Action, Hashable]:
        if len(steps) == 1:
            return steps[0]
        self.chains += 1
        return chain_label(steps), steps[-1][1]

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        return ()

    def describe(self) -> dict[str, Any]:
        """What was reduced, and how depth was counted, for the summary."""
        return {
            "method": "atomic local steps (Lipton): a server's invisible right movers "
            "chained with its next step",
            "depth": "a chain of steps counts as one level of depth",
            "enabled": self._visible is not None,
            "chains": self.chains,
            "intermediate_states_skipped": self.skipped,
            "properties": list(self._properties),
        }


__all__ = ["MAX_CHAIN", "ChainExpander"]
