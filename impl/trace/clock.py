"""A process's Lamport clock, and how it stamps one batch of a core's effects.

Every recorded step advances the clock by one; taking a message first lifts the clock to the
message's (the network adapter calls :meth:`LamportClock.receive` as it hands the message to
the core); every message a step sends carries the clock of that step.
"""

from __future__ import annotations

from collections.abc import Callable

from impl.core.effects import Effect, Observed, Send


class LamportClock:
    def __init__(self, value: int = 0) -> None:
        self.value = value

    def receive(self, clock: int) -> None:
        if clock > self.value:
            self.value = clock

    def stamp(self, effects: list[Effect], record: Callable[[Observed, int], None]) -> list[int]:
        """Give each step in ``effects`` the next clock (``record`` gets them in order) and
        return the clock of each ``Send``, in order: the clock of the step that sent it, the
        first step after it (the core emits a step's sends before the step), or the latest
        clock if no step follows (heartbeats, a notification to a new connection)."""
        clocks: list[int] = []
        waiting = 0
        for effect in effects:
            kind = type(effect)
            if kind is Send:
                waiting += 1
            elif kind is Observed:
                self.value += 1
                record(effect, self.value)  # type: ignore[arg-type]
                if waiting:
                    clocks.extend([self.value] * waiting)
                    waiting = 0
        if waiting:
            clocks.extend([self.value] * waiting)
        return clocks
