"""Building system-spec states by hand, and replaying steps, for tests."""

from __future__ import annotations

from collections.abc import Sequence

from spec.system.bugs import SPLIT_NEWLEADER
from spec.system.constants import BROADCAST, FOLLOWING, NULL
from spec.system.init import initial_state
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.state import (
    Breach,
    History,
    Learner,
    ProposalRecord,
    Server,
    SystemState,
    Txn,
    put,
)
from spec.system.zxid import make_zxid
from zabmc.engine import Action


def txn(epoch: int, counter: int, value: int) -> Txn:
    return Txn(make_zxid(epoch, counter), value)


A = txn(1, 1, 1)  # 1:1=v1
B = txn(1, 2, 2)  # 1:2=v2
C = txn(2, 1, 3)  # 2:1=v3


def server(
    state: int = FOLLOWING,
    zab: int = BROADCAST,
    history: History = (),
    delivered: int | None = None,
    epoch: int = 1,
) -> Server:
    """A running server whose log is ``history``, of which ``delivered`` entries are committed."""
    k = len(history) if delivered is None else delivered
    return Server(True, state, zab, epoch, epoch, history, 0, k, k, len(history))


def build(
    servers: Sequence[Server],
    *,
    broadcast: Sequence[tuple[int, int, Txn]] = (),
    committed: History = (),
    breaches: Sequence[Breach] = (),
    p: Params | None = None,
) -> SystemState:
    """A state of ``len(servers)`` voters with these servers and ghost records.

    ``broadcast`` lists (primary, epoch, txn) for proposalMsgsLog.
    """
    p = p or Params(voters=len(servers))
    s = initial_state(p)
    s = s._replace(servers=tuple(servers), network=s.network._replace(notes=((),) * (p.n * p.n)))
    proposals = tuple(sorted(ProposalRecord(i, e, t.zxid, t.value) for i, e, t in broadcast))
    return s._replace(
        ghost=s.ghost._replace(
            proposals=proposals, committed=tuple(committed), breaches=tuple(breaches)
        )
    )


def connect(s: SystemState, leader: int, learner: int, newleader_taken: bool = True) -> SystemState:
    """Make ``learner`` a connected learner of ``leader``."""
    ld = s.leaders[leader]
    ld = ld._replace(
        learners=ld.learners | 1 << leader | 1 << learner,
        forwarding=ld.forwarding | 1 << learner,
        ackld=ld.ackld | 1 << leader | (1 << learner if newleader_taken else 0),
    )
    lrn = Learner(leader, 0, newleader_taken, (), (), ())
    return s._replace(leaders=put(s.leaders, leader, ld), learners=put(s.learners, learner, lrn))


def replay(
    model: SystemModel, steps: Sequence[tuple], start: SystemState | None = None
) -> SystemState:
    """Take ``steps`` (name, *server ids) from the initial state; each must be enabled."""
    s = start if start is not None else model.init_states()[0]
    for name, *args in steps:
        t = model.apply(s, Action(name, tuple(args)))
        assert t is not None, f"{name}{tuple(args)} is not enabled"
        s = t
    return s


class StartingFrom(SystemModel):
    """The system model, searched from a given (reachable) state instead of Init."""

    def __init__(self, params: Params, start: SystemState) -> None:
        super().__init__(params)
        self.start = start

    def init_states(self) -> Sequence[SystemState]:
        return (self.start,)


NOBODY = NULL


def take_newleader(model: SystemModel, s: SystemState, i: int, j: int) -> SystemState:
    """Learner i takes NEWLEADER from j, in as many steps as the variant needs."""
    s = replay(model, [("FollowerProcessNEWLEADER", i, j)], s)
    if model.params.bug in SPLIT_NEWLEADER:
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
