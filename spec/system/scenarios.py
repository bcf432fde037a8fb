"""Starting points for searches, reached by real steps of a model.

ZooKeeper's authors start their bug hunts from an established cluster (SetInitState
in their test specs); :func:`established_epoch_one` reaches that state by the
spec's own steps, so that a search from it explores only reachable states.
:class:`StartingFrom` searches a model from such a state instead of Init.
"""

from __future__ import annotations

from collections.abc import Sequence

from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.state import SystemState
from zabmc.engine import Action


def replay(
    model: SystemModel, steps: Sequence[tuple], start: SystemState | None = None
) -> SystemState:
    """Take ``steps`` (name, *server ids) from ``start`` (default: the initial state).

    Raises ValueError if a step is not enabled where it comes.
    """
    s = start if start is not None else model.init_states()[0]
    for name, *args in steps:
        t = model.apply(s, Action(name, tuple(args)))
        if t is None:
            raise ValueError(f"{name}{tuple(args)} is not enabled")
        s = t
    return s


class StartingFrom(SystemModel):
    """The system model, searched from given (reachable) states instead of Init."""

    def __init__(self, params: Params, *starts: SystemState) -> None:
        super().__init__(params)
        self.starts = starts

    def init_states(self) -> Sequence[SystemState]:
        return self.starts


def from_established(params: Params) -> StartingFrom:
    """The model for ``params``, searched from the authors' established cluster
    (:func:`established_epoch_one`) instead of Init."""
    return StartingFrom(params, established_epoch_one(SystemModel(params)))


def take_newleader(model: SystemModel, s: SystemState, i: int, j: int) -> SystemState:
    """Learner i takes NEWLEADER from j, in as many steps as the variant needs."""
    s = replay(model, [("FollowerProcessNEWLEADER", i, j)], s)
    if model.params.split_newleader:
        if s.learners[i].queued:
            s = replay(model, [("FollowerSyncProcessorLogRequest", i)], s)
        s = replay(model, [("FollowerProcessNEWLEADERAfterCurrentEpochUpdated", i, j)], s)
    elif s.learners[i].queued:
        s = replay(model, [("FollowerSyncProcessorLogRequest", i)], s)
    return s


def established_epoch_one(model: SystemModel) -> SystemState:
    """The authors' SetInitState, reached by real steps of ``model`` (3 voters, coarse election).

    s3 leads epoch 1 in BROADCAST with s1 and s2; 1:1 is committed everywhere; 1:2 is
    in s3's log only, its PROPOSAL on the way to both followers.
    """
    s = replay(
        model,
        [
            ("ElectLeader", 2, 0b111),
            ("ConnectAndFollowerSendFOLLOWERINFO", 2, 0),
            ("ConnectAndFollowerSendFOLLOWERINFO", 2, 1),
            ("LeaderProcessFOLLOWERINFO", 2, 0),
            ("FollowerProcessLEADERINFO", 0, 2),
            ("LeaderProcessACKEPOCH", 2, 0),
            ("LeaderProcessFOLLOWERINFO", 2, 1),
            ("FollowerProcessLEADERINFO", 1, 2),
            ("LeaderProcessACKEPOCH", 2, 1),
        ],
    )
    for k in (0, 1):
        s = replay(model, [("LeaderSyncFollower", 2, k), ("FollowerProcessSyncMessage", k, 2)], s)
        s = take_newleader(model, s, k, 2)
        s = replay(model, [("LeaderProcessACKLD", 2, k), ("FollowerProcessUPTODATE", k, 2)], s)
    return replay(
        model,
        [
            ("LeaderProcessRequest", 2),
            ("FollowerProcessPROPOSAL", 0, 2),
            ("FollowerProcessPROPOSAL", 1, 2),
            ("LeaderProcessACK", 2, 0),
            ("LeaderProcessACK", 2, 1),
            ("FollowerProcessCOMMIT", 0, 2),
            ("FollowerProcessCOMMIT", 1, 2),
            ("LeaderProcessRequest", 2),
        ],
        s,
    )
