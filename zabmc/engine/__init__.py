"""The model-checking engine. It knows nothing about ZAB: a spec plugs in
through :class:`Model`, the way a TLA+ module plugs into TLC."""

from zabmc.engine.bfs import CheckOptions, check_bfs, rebuild_path
from zabmc.engine.checker import Checker
from zabmc.engine.encoding import SequenceValue
from zabmc.engine.model import (
    Action,
    CanonicalSymmetry,
    Expectation,
    Model,
    Property,
    SignedSymmetry,
    Symmetry,
)
from zabmc.engine.properties import UnknownProperty
from zabmc.engine.result import ActionStats, CheckResult, Discovery, Progress, Step

__all__ = [
    "Action",
    "ActionStats",
    "CanonicalSymmetry",
    "CheckOptions",
    "CheckResult",
    "Checker",
    "Discovery",
    "Expectation",
    "Model",
    "Progress",
    "Property",
    "SequenceValue",
    "SignedSymmetry",
    "Step",
    "Symmetry",
    "UnknownProperty",
    "check_bfs",
    "rebuild_path",
]
