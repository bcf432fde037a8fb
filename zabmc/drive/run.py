"""One ``zabmc drive``: read a counterexample, drive impl along it, give the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from impl.core.switches import SWITCHES, check_switches
from spec.system.init import initial_state
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.scenarios import established_epoch_one
from spec.system.state import SystemState
from zabmc.drive.walk import Drive, DriveVerdict, SpecStep
from zabmc.engine import Action
from zabmc.engine.result import Step
from zabmc.report.counterexample import CounterexampleError


def switches_for(doc: Mapping[str, Any], source: str, fixed: bool) -> tuple[str, ...]:
    """The bug switch impl runs with: the counterexample's bug variant, unless ``fixed``."""
    bug = doc["bug"]
    if fixed or bug is None:
        return ()
    if bug not in SWITCHES or SWITCHES[bug].kind != "spec variant":
        raise CounterexampleError(f"{source}: impl has no switch for bug {bug!r}")
    return (bug,)


class Recording(SystemModel):
    """The system model, keeping every step :meth:`apply` takes (with the state after)."""

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.taken: list[tuple[Action, SystemState]] = []

    def apply(self, s: SystemState, action: Action) -> SystemState | None:
        t = super().apply(s, action)
        if t is not None:
            self.taken.append((action, t))
        return t


def established_prelude(params: Params) -> list[SpecStep]:
    """The spec's own steps from Init to the established cluster a ``--from-established``
    counterexample starts from (:func:`spec.system.scenarios.established_epoch_one`): impl
    starts fresh and is driven there first, each step compared as any other. Run without
    the bug's switch, impl takes the set-up of the spec without the variant, when it ends in
    the same state."""
    model = Recording(params)
    start = established_epoch_one(model)
    steps = [SpecStep(0, "", (), "the initial state", initial_state(params), "step 0")]
    for n, (a, s) in enumerate(model.taken, start=1):
        label = f"{a.name}({', '.join(f's{x + 1}' for x in a.args)})"
        steps.append(SpecStep(0, a.name, tuple(a.args), label, s, f"step 0 (its set-up, step {n})"))
    assert steps[-1].state == start
    return steps


def plan(
    doc: Mapping[str, Any], model: Any, path: list[Step], source: str, fixed: bool = False
) -> Drive:
    """The run of impl along the verified counterexample ``doc`` (its spec states ``path``),
    ready to start."""
    if doc["spec"] != "system" or not isinstance(model, SystemModel):
        raise CounterexampleError(f"{source}: only a system-spec counterexample can be driven")
    on = switches_for(doc, source, fixed)
    p = model.params
    steps = [SpecStep(0, "", (), "the initial state", path[0].state, "step 0")]
    if doc["options"].get("from_established"):
        steps = established_prelude(p)
        if not on:  # impl as released takes the set-up as the spec as released does
            fixed_steps = established_prelude(replace(p, bug=None))
            if fixed_steps[-1].state == steps[-1].state:
                steps = fixed_steps
    steps += [
        SpecStep(k, rec["action"], tuple(s.action.args), rec["label"], s.state, f"step {k}")
        for k, (rec, s) in enumerate(zip(doc["steps"], path, strict=True))
        if s.action is not None
    ]
    return Drive(
        steps,
        p.voters,
        p.observers,
        check_switches(on),
        coarse_election=p.coarse_election,
        zookeeper_timing=p.zookeeper_timing,
        bug=p.bug,
    )


def drive(
    doc: Mapping[str, Any], model: Any, path: list[Step], source: str, fixed: bool = False
) -> DriveVerdict:
    """Drive impl along the verified counterexample ``doc``: how far it follows."""
    walk = plan(doc, model, path, source, fixed)
    followed, departure = walk.run()
    violation = (doc.get("invariant") or {}).get("name") or doc["kind"]
    on = tuple(sorted(walk.world.switches))
    return DriveVerdict(source, on, walk.seed, followed, doc["length"], violation, departure)
