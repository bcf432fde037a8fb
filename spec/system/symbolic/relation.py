"""Init and Next of the symbolic system spec, as z3 terms: the functional encoding of
:mod:`zabmc.symbolic.transition` (a step picks one action instance with an Int selector, and
each variable's next value is a chain of ``If`` over the instances that change it)."""

from __future__ import annotations

from collections.abc import Callable

import z3

from spec.system.init import initial_state
from spec.system.params import Params
from spec.system.state import SystemState
from spec.system.symbolic import broadcast, discovery, election, faults, synchronization
from spec.system.symbolic.common import Step
from spec.system.symbolic.state import Layout, SymSystem, evaluate_constant, view
from zabmc.engine import Action
from zabmc.symbolic.transition import FunctionalNext

Fn = Callable[..., SymSystem]

#: Steps of one server, in Next's order (spec.system.model.SERVER_STEPS), that the
#: configuration can take.
SERVER_STEPS: tuple[tuple[str, Fn], ...] = (
    ("ZabTimeout", faults.zab_timeout),
    ("LeaderProcessRequest", broadcast.leader_process_request),
)

#: Steps of a pair that take no message (PAIR_STEPS).
PAIR_STEPS: tuple[tuple[str, Fn], ...] = (
    ("FollowLeader", election.follow_leader),
    ("ConnectAndFollowerSendFOLLOWERINFO", discovery.connect_and_follower_send_followerinfo),
    ("LeaderSyncFollower", synchronization.leader_sync_follower),
)

#: The steps that take a Zab message (RECEIVE_STEPS), (i, j) taking the head of j -> i.
RECEIVE_STEPS: tuple[tuple[str, Fn], ...] = (
    ("LeaderProcessFOLLOWERINFO", discovery.leader_process_followerinfo),
    ("FollowerProcessLEADERINFO", discovery.follower_process_leaderinfo),
    ("LeaderProcessACKEPOCH", discovery.leader_process_ackepoch),
    ("FollowerProcessSyncMessage", synchronization.follower_process_sync_message),
    ("FollowerProcessPROPOSALInSync", synchronization.follower_process_proposal_in_sync),
    ("FollowerProcessPROPOSAL", broadcast.follower_process_proposal),
    ("FollowerProcessCOMMITInSync", synchronization.follower_process_commit_in_sync),
    ("FollowerProcessCOMMIT", broadcast.follower_process_commit),
    ("FollowerProcessNEWLEADER", synchronization.follower_process_newleader),
    ("FollowerProcessUPTODATE", synchronization.follower_process_uptodate),
    ("LeaderProcessACKLD", synchronization.leader_process_ackld),
    ("LeaderProcessACK", broadcast.leader_process_ack),
)

STEPS: dict[str, Fn] = {
    "ElectLeader": election.elect_leader,
    **dict(SERVER_STEPS),
    **dict(PAIR_STEPS),
    **dict(RECEIVE_STEPS),
}


def instances(p: Params) -> list[Action]:
    """Every action instance that can ever be enabled, in Next's order."""
    n = p.n
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    found = [Action("ElectLeader", (i, q)) for i in range(p.voters) for q in election.quorums(p, i)]
    for name, _ in SERVER_STEPS:
        if name == "ZabTimeout" and p.max_timeouts == 0:
            continue
        if name == "LeaderProcessRequest" and p.max_txns == 0:
            continue
        found += [Action(name, (i,)) for i in range(n)]
    for name, _ in (*PAIR_STEPS, *RECEIVE_STEPS):
        found += [Action(name, pair) for pair in pairs]
    return found


class SymbolicSystem(FunctionalNext):
    """The system spec with parameters ``p`` as z3 formulas (the configuration of
    :func:`spec.system.symbolic.supported`)."""

    def __init__(self, p: Params) -> None:
        self.params = p
        self.layout = Layout.of(p)
        self.actions = instances(p)
        self.shape = self.layout.encode(initial_state(p))

    def apply(self, s: SymSystem, action: Action) -> tuple[z3.BoolRef, SymSystem]:
        """The guard of ``action`` in ``s`` and the state it leads to."""
        step = Step(self.layout, self.params)
        after = STEPS[action.name](step, s, *action.args)
        return step.guard, after

    def decode(self, model: z3.ModelRef, s: SymSystem) -> tuple:
        """What ``s`` is under ``model``, in the form :meth:`matches` compares."""
        return view(model, s)

    def matches(self, explicit: SystemState, decoded: tuple) -> bool:
        """Whether an explicit state is the one decoded (``zabmc prove`` replays z3's path on
        the explicit spec with it)."""
        try:
            return evaluate_constant(self.layout.encode(explicit)) == decoded
        except ValueError:
            return False

    def type_ok(self, s: SymSystem) -> z3.BoolRef:
        raise NotImplementedError("the system spec's encoding has no TypeOK: BMC only")
