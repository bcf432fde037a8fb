"""The model-checking engine. It knows nothing about ZAB: a spec plugs in
through :class:`Model`, the way a TLA+ module plugs into TLC."""

from zabmc.engine.bfs import CheckOptions, UnknownProperty, check_bfs, rebuild_path
from zabmc.engine.model import (
    Action,
    CanonicalSymmetry,
    Expectation,
    Message,
    Model,
    Property,
    ServerLog,
    SignedSymmetry,
    StepEvents,
    Symmetry,
)
from zabmc.engine.result import ActionStats, CheckResult, Discovery, Progress, Step

__all__ = [
    "Action",
    "ActionStats",
    "CanonicalSymmetry",
    "CheckOptions",
    "CheckResult",
    "Discovery",
    "Expectation",
    "Message",
    "Model",
    "Progress",
    "Property",
    "ServerLog",
    "SignedSymmetry",
    "Step",
    "StepEvents",
    "Symmetry",
    "UnknownProperty",
    "check_bfs",
    "rebuild_path",
]
