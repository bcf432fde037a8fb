"""One way in to every search: build the options, then spawn a search.

As in Stateright (``model.checker().threads(n).spawn_bfs()``), a :class:`Checker`
holds what every search shares (the model, which properties, progress reports) and
what a breadth-first search adds (depth, symmetry, reduction, partitions); each
method returns a new checker, so a half-built one can be shared. Then
:meth:`Checker.spawn_bfs` explores every reachable state, on one core or over
partitions (:mod:`zabmc.engine.parallel`), and :meth:`Checker.spawn_simulation`
takes seeded random walks. Both run to the end and return their result.

    result = Checker(model).invariants(["Agreement"]).depth(12).spawn_bfs()
    walks = Checker(model).spawn_simulation(runs=1000, steps=100, seed=7)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from zabmc.engine.bfs import CheckOptions, check_bfs
from zabmc.engine.expansion import Expander, FullExpander
from zabmc.engine.model import Model
from zabmc.engine.parallel import ScaleOptions, check_parallel
from zabmc.engine.properties import select_properties
from zabmc.engine.reduction import reducing_expander
from zabmc.engine.result import CheckResult
from zabmc.engine.simulate import SimulateOptions, SimulationResult, simulate


@dataclass(frozen=True)
class ExpanderRecipe:
    """Makes a search's expander from its model: a function that pickles, so that each
    partition of a search on Ray makes its expander where it runs."""

    invariants: Sequence[str] | None
    reduction: bool
    chains: bool

    def __call__(self, model: Model) -> Expander:
        if not self.reduction:
            return FullExpander(model)
        checked, witnesses = select_properties(model, self.invariants)
        return reducing_expander(model, [p.name for p in (*checked, *witnesses)], self.chains)


@dataclass(frozen=True)
class Checker:
    """A search's options, built one call at a time; ``spawn_*`` runs it."""

    model: Model
    _invariants: Sequence[str] | None = None
    _progress: Callable[[Any], None] | None = None
    _progress_interval_s: float = 1.0
    _depth: int | None = None
    _deadlock: bool = True
    _symmetry: bool = False
    _reduction: bool = False
    _chains: bool = False
    _visitor: Callable[[Hashable], None] | None = None
    _scale: ScaleOptions | None = None

    # -- what every search shares -----------------------------------------------

    def invariants(self, names: Sequence[str] | None) -> Checker:
        """Check these invariants by name (None, the default: every ``always`` property).

        An unknown name raises :class:`~zabmc.engine.properties.UnknownProperty` at spawn.
        """
        return replace(self, _invariants=None if names is None else list(names))

    def progress(self, report: Callable[[Any], None], interval_s: float = 1.0) -> Checker:
        """Call ``report`` about every ``interval_s`` seconds: with a
        :class:`~zabmc.engine.result.Progress` in a breadth-first search, with a
        :class:`~zabmc.engine.simulate.SimulationProgress` in a simulation."""
        return replace(self, _progress=report, _progress_interval_s=interval_s)

    # -- breadth-first search -----------------------------------------------------

    def depth(self, max_depth: int | None) -> Checker:
        """Explore at most ``max_depth`` levels from the initial states (None: no bound)."""
        return replace(self, _depth=max_depth)

    def deadlock(self, check: bool) -> Checker:
        """Whether a state with no successor (that the model does not call final) is a violation."""
        return replace(self, _deadlock=check)

    def symmetry(self, on: bool = True) -> Checker:
        """Count states up to the model's symmetry (it must declare one)."""
        return replace(self, _symmetry=on)

    def reduction(self, on: bool = True, chains: bool = False) -> Checker:
        """Take the steps the model names persistent alone (:mod:`zabmc.engine.reduction`);
        with ``chains``, also chain a process's right movers with its next step."""
        return replace(self, _reduction=on, _chains=chains and on)

    def visitor(self, on_state: Callable[[Hashable], None]) -> Checker:
        """Call ``on_state`` with each new distinct state (one-core search only)."""
        return replace(self, _visitor=on_state)

    def partitioned(self, scale: ScaleOptions) -> Checker:
        """Search over partitions of the fingerprint space (``scale.jobs`` of them, local
        processes or Ray actors), with checkpoints and a memory bound if ``scale`` asks."""
        return replace(self, _scale=scale)

    def expander(self) -> Expander:
        """The expander the search uses: it must know every property the search evaluates,
        witnesses included, so that it never hides a step one of them reads."""
        return self._expander_recipe()(self.model)

    def _expander_recipe(self) -> ExpanderRecipe:
        return ExpanderRecipe(self._invariants, self._reduction, self._chains)

    def bfs_options(self) -> CheckOptions:
        """The options :func:`~zabmc.engine.bfs.check_bfs` takes, as built so far."""
        return CheckOptions(
            max_depth=self._depth,
            invariants=self._invariants,
            check_deadlock=self._deadlock,
            symmetry=self._symmetry,
            progress=self._progress,
            progress_interval_s=self._progress_interval_s,
            on_state=self._visitor,
            expander=self.expander(),
        )

    def spawn_bfs(self) -> CheckResult:
        """Explore every reachable state breadth-first (within the depth) and check the
        properties: on one core, or over partitions when :meth:`partitioned` was given.
        The counts and the counterexample are the same either way."""
        options = self.bfs_options()
        if self._scale is None:
            return check_bfs(self.model, options)
        if self._visitor is not None:
            raise ValueError("a visitor sees states on one core only; it cannot be partitioned")
        scale = self._scale
        if scale.expander is None:  # each partition makes its own, where it runs
            scale = replace(scale, expander=self._expander_recipe())
        return check_parallel(self.model, options, scale)

    # -- simulation -------------------------------------------------------------------

    def spawn_simulation(
        self, runs: int = 1000, steps: int = 100, seed: int = 0, shrink: bool = True
    ) -> SimulationResult:
        """Take ``runs`` seeded random walks of at most ``steps`` steps each and check the
        invariants in every state; a violation's path is shrunk unless ``shrink`` is off."""
        return simulate(
            self.model,
            SimulateOptions(
                runs=runs,
                steps=steps,
                seed=seed,
                invariants=self._invariants,
                shrink=shrink,
                progress=self._progress,
                progress_interval_s=self._progress_interval_s,
            ),
        )


__all__ = ["Checker"]
