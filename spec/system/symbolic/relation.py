"""Init and Next of the symbolic system spec, as z3 terms (the protocol spec's way: a step
picks one action instance with an Int selector, and each variable's next value is a chain
of ``If`` over the instances that change it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from spec.system.init import initial_state
from spec.system.params import Params
from spec.system.state import SystemState
from spec.system.symbolic import broadcast, discovery, election, faults, synchronization
from spec.system.symbolic.common import Step
from spec.system.symbolic.state import Layout, SymSystem, evaluate_constant, view
from zabmc.engine import Action
from zabmc.symbolic.values import fresh, ite, leaves, with_leaves

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


@dataclass
class Transition:
    """One step from ``before`` to ``after``: ``constraint`` holds when ``selector`` names an
    enabled instance (and, for :meth:`SymbolicSystem.transition`, ``after`` is its result)."""

    before: SymSystem
    after: SymSystem
    selector: z3.ArithRef
    constraint: z3.BoolRef


class SymbolicSystem:
    """The system spec with parameters ``p`` as z3 formulas (the configuration of
    :func:`spec.system.symbolic.supported`)."""

    def __init__(self, p: Params) -> None:
        self.params = p
        self.layout = Layout.of(p)
        self.actions = instances(p)
        self.shape = self.layout.encode(initial_state(p))

    def fresh_state(self, name: str) -> SymSystem:
        """A state of new, unconstrained z3 constants named from ``name``."""
        return SymSystem(
            *(fresh(f"{name}.{k}", v) for k, v in zip(SymSystem._fields, self.shape, strict=True))
        )

    def init(self, s: SymSystem) -> z3.BoolRef:
        return z3.And(*(x == y for x, y in zip(leaves(s), leaves(self.shape), strict=True)))

    def initial_state(self) -> SymSystem:
        return self.shape

    def apply(self, s: SymSystem, action: Action) -> tuple[z3.BoolRef, SymSystem]:
        """The guard of ``action`` in ``s`` and the state it leads to."""
        step = Step(self.layout, self.params)
        after = STEPS[action.name](step, s, *action.args)
        return step.guard, after

    def successor(self, before: SymSystem, name: str) -> Transition:
        """Next from ``before``, the successor given as terms over ``before``."""
        selector = z3.Int(f"{name}.action")
        old = leaves(before)
        changes: list[list[tuple[int, z3.ExprRef]]] = [[] for _ in old]
        guards = []
        for k, action in enumerate(self.actions):
            guard, result = self.apply(before, action)
            guards.append(z3.Implies(selector == k, guard))
            for idx, (x, y) in enumerate(zip(leaves(result), old, strict=True)):
                if x is not y and not z3.eq(x, y):
                    changes[idx].append((k, x))
        values = []
        for idx, value in enumerate(old):
            for k, x in reversed(changes[idx]):
                value = ite(selector == k, x, value)
            values.append(value)
        after = with_leaves(before, values)
        constraint = z3.And(selector >= 0, selector < len(self.actions), *guards)
        return Transition(before, after, selector, constraint)

    def transition(self, before: SymSystem, name: str) -> Transition:
        """Next from ``before`` to a fresh state named ``name``."""
        step = self.successor(before, name)
        after = self.fresh_state(name)
        equal = [x == y for x, y in zip(leaves(after), leaves(step.after), strict=True)]
        return Transition(before, after, step.selector, z3.And(step.constraint, *equal))

    def action_of(self, model: z3.ModelRef, t: Any) -> Action:
        return self.actions[model.eval(t.selector, model_completion=True).as_long()]

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
