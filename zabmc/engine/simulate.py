"""Random simulation: seeded random walks, deeper than breadth-first search can go.

Each walk starts from an initial state and takes a successor chosen at random
until it has taken ``steps`` actions or reaches a state with no successor,
checking the invariants in every state it enters.

Faults (the actions :meth:`Model.is_fault` names: crashes, timeouts, cut links)
are not drawn like protocol steps. A fault is enabled in almost every state,
so uniform choice spends a small fault budget in the first few steps, and the
bugs that need a fault at one precise moment (a leader that times out right
after it logged a write) stay out of reach. Instead each walk draws its own
fault rate, log-uniformly between ``MIN_FAULT_RATE`` and ``MAX_FAULT_RATE``,
and takes a fault with that probability when both kinds are enabled: some
walks are fault-heavy, most let the protocol run between rare faults (the
idea of swarm testing). Walk ``k`` draws from its
own ``random.Random(f"{seed}/{k}")``, so one seed gives the same walks on every
machine, and a walk does not depend on how many came before it. A violation
ends the simulation; its path is then shrunk (:mod:`zabmc.engine.shrink`).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from zabmc.engine.model import Model, Property
from zabmc.engine.properties import explain, select_properties, state_key_function
from zabmc.engine.result import Discovery, Step
from zabmc.engine.shrink import shrink


@dataclass
class SimulationProgress:
    """A snapshot of a running simulation, for progress lines."""

    runs: int
    steps: int
    distinct: int
    elapsed_s: float

    @property
    def rate(self) -> float:
        """Steps taken per second so far."""
        return self.steps / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class SimulateOptions:
    """How to simulate: ``runs`` walks of at most ``steps`` actions, from ``seed``.

    ``invariants`` selects properties by name (None: every ``always`` property).
    """

    runs: int = 1000
    steps: int = 100
    seed: int = 0
    invariants: Sequence[str] | None = None
    shrink: bool = True
    progress: Callable[[SimulationProgress], None] | None = None
    progress_interval_s: float = 1.0


@dataclass
class SimulationResult:
    """What the walks covered, and the violation they found, if any.

    ``violation`` is the shrunk path (the walk's own when shrinking is off);
    ``original_length`` is the length of the walk that found it, and
    ``found_in_run`` that walk's number, counting from 1.
    """

    seed: int
    runs: int = 0
    steps: int = 0
    max_depth: int = 0
    distinct_states: int = 0
    stuck: int = 0  # walks that ended in a state with no successor
    elapsed_s: float = 0.0
    actions: dict[str, int] = field(default_factory=dict)
    violation: Discovery | None = None
    original_length: int | None = None
    found_in_run: int | None = None

    @property
    def ok(self) -> bool:
        return self.violation is None

    def to_json(self) -> dict[str, Any]:
        """The coverage figures as plain JSON values (no path)."""
        return {
            "seed": self.seed,
            "runs": self.runs,
            "steps": self.steps,
            "max_depth": self.max_depth,
            "distinct_states": self.distinct_states,
            "stuck": self.stuck,
            "elapsed_s": round(self.elapsed_s, 3),
            "actions": dict(sorted(self.actions.items())),
            "found_in_run": self.found_in_run,
            "original_length": self.original_length,
            "shrunk_length": None if self.violation is None else self.violation.length,
        }


MIN_FAULT_RATE = 0.003
MAX_FAULT_RATE = 0.3


def walk_random(seed: int, run: int) -> random.Random:
    """The random source of walk ``run``: independent of every other walk."""
    return random.Random(f"{seed}/{run}")


def simulate(model: Model, options: SimulateOptions | None = None) -> SimulationResult:
    """Take ``options.runs`` random walks through ``model`` and check its invariants."""
    options = options or SimulateOptions()
    invariants, _ = select_properties(model, options.invariants)
    broken = model.invariant_checker(invariants)
    key = state_key_function(model, symmetry=False)
    result = SimulationResult(seed=options.seed)
    seen: set[int] = set()
    fired = result.actions
    successors = model.successors
    init_states = list(model.init_states())
    started = last_report = time.monotonic()

    is_fault = model.is_fault
    low, high = math.log(MIN_FAULT_RATE), math.log(MAX_FAULT_RATE)
    for run in range(1, options.runs + 1):
        rng = walk_random(options.seed, run)
        fault_rate = math.exp(rng.uniform(low, high))
        state = rng.choice(init_states)
        seen.add(hash(key(state)))
        path = [Step(None, state)]
        failed = broken(state)
        while failed is None and len(path) <= options.steps:
            choices = list(successors(state))
            if not choices:
                result.stuck += 1
                break
            faults = [c for c in choices if is_fault(c[0])]
            if faults and len(faults) < len(choices):
                if rng.random() < fault_rate:
                    choices = faults
                else:
                    choices = [c for c in choices if not is_fault(c[0])]
            action, state = choices[rng.randrange(len(choices))]
            fired[action.name] = fired.get(action.name, 0) + 1
            seen.add(hash(key(state)))
            path.append(Step(action, state))
            failed = broken(state)
        result.runs = run
        result.steps += len(path) - 1
        result.max_depth = max(result.max_depth, len(path) - 1)
        if failed is not None:
            found = Discovery("invariant", failed, tuple(path))
            result.found_in_run = run
            result.original_length = found.length
            if options.shrink:
                found = shrink(model, found, invariants)
            result.violation = explained(invariants, found)
            break
        if options.progress is not None:
            now = time.monotonic()
            if now - last_report >= options.progress_interval_s:
                last_report = now
                options.progress(SimulationProgress(run, result.steps, len(seen), now - started))
    result.distinct_states = len(seen)
    result.elapsed_s = time.monotonic() - started
    return result


def explained(invariants: Sequence[Property], found: Discovery) -> Discovery:
    """``found`` with its invariant's own explanation of the last state."""
    text = explain(invariants, found.property or "", found.steps[-1].state)
    return Discovery(found.kind, found.property, found.steps, text)


__all__ = ["SimulateOptions", "SimulationProgress", "SimulationResult", "simulate"]
