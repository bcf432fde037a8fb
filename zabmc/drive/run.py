"""One ``zabmc drive``: read a counterexample, drive impl along it, give the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from impl.core.switches import SWITCHES, check_switches
from spec.system.model import SystemModel
from zabmc.drive.walk import Drive, DriveVerdict, SpecStep
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


def drive(
    doc: Mapping[str, Any], model: Any, path: list[Step], source: str, fixed: bool = False
) -> DriveVerdict:
    """Drive impl along the verified counterexample ``doc`` (its spec states ``path``)."""
    if doc["spec"] != "system" or not isinstance(model, SystemModel):
        raise CounterexampleError(f"{source}: only a system-spec counterexample can be driven")
    if doc["options"].get("from_established"):
        raise CounterexampleError(
            f"{source}: step 0: a counterexample from --from-established starts from an "
            "established cluster, which impl's simulator cannot start from"
        )
    on = switches_for(doc, source, fixed)
    steps = [
        SpecStep(
            k,
            rec["action"] or "",
            tuple(s.action.args) if s.action is not None else (),
            rec["label"],
            s.state,
        )
        for k, (rec, s) in enumerate(zip(doc["steps"], path, strict=True))
    ]
    p = model.params
    walk = Drive(
        steps,
        p.voters,
        p.observers,
        check_switches(on),
        coarse_election=p.coarse_election,
        zookeeper_timing=p.zookeeper_timing,
    )
    followed, departure = walk.run()
    violation = (doc.get("invariant") or {}).get("name") or doc["kind"]
    return DriveVerdict(source, on, followed, len(steps) - 1, violation, departure)
