"""Comparing the z3 encoding of the protocol spec with the explicit spec, state by state."""

from __future__ import annotations

import random

import z3

from spec.protocol import Params, ProtocolModel
from spec.protocol.state import ZabState, initial_state
from spec.protocol.symbolic.relation import SymbolicProtocol
from zabmc.engine import Action
from zabmc.symbolic.values import leaves

#: Bounds with every action reachable: a timeout, a restart, two txns, two epochs.
PARAMS = Params(servers=3, max_timeouts=1, max_txns=2, max_epoch=2, max_restarts=1)


def without_ghost(s: ZabState) -> ZabState:
    """The encoding leaves out proposalMsgsLog, which no action reads."""
    return s._replace(proposal_msgs_log=())


def sampled_states(p: Params, count: int, seed: int, walk: int = 40) -> list[ZabState]:
    """``count`` states from seeded random walks of up to ``walk`` steps from Init."""
    model = ProtocolModel(p)
    rng = random.Random(seed)
    found: list[ZabState] = []
    s = initial_state(p.servers)
    steps = 0
    while len(found) < count:
        found.append(s)
        successors = list(model.successors(s))
        steps += 1
        if not successors or steps >= walk:
            s, steps = initial_state(p.servers), 0
        else:
            s = rng.choice(successors)[1]
    return found


class InstanceTable:
    """Every action instance applied once to a symbolic state; evaluated on concrete ones."""

    def __init__(self, sp: SymbolicProtocol) -> None:
        self.sp = sp
        self.before = sp.fresh_state("b")
        self.applied = [(a, *sp.apply(self.before, a)) for a in sp.actions]
        self.solver = z3.Solver()

    def successors(self, s: ZabState) -> set[tuple[Action, ZabState]]:
        """The successors the encoding gives ``s``: each instance whose guard holds there."""
        encoded = self.sp.layout.encode(s)
        self.solver.push()
        self.solver.add(
            *(x == y for x, y in zip(leaves(self.before), leaves(encoded), strict=True))
        )
        assert self.solver.check() == z3.sat
        model = self.solver.model()
        self.solver.pop()
        found = set()
        for action, guard, after in self.applied:
            if z3.is_true(model.eval(guard, model_completion=True)):
                found.add((action, self.sp.layout.decode(model, after)))
        return found


def explicit_successors(model: ProtocolModel, s: ZabState) -> set[tuple[Action, ZabState]]:
    return {(a, without_ghost(t)) for a, t in model.successors(s)}


def enumerated_successors(sp: SymbolicProtocol, s: ZabState) -> set[tuple[Action, ZabState]]:
    """Every model of Next from ``s`` that z3 finds, one by one, each then excluded."""
    before = sp.fresh_state("e")
    t = sp.transition(before, "f")
    solver = z3.Solver()
    encoded = sp.layout.encode(s)
    solver.add(t.constraint)
    solver.add(*(x == y for x, y in zip(leaves(before), leaves(encoded), strict=True)))
    found = set()
    while solver.check() == z3.sat:
        model = solver.model()
        found.add((sp.action_of(model, t), sp.layout.decode(model, t.after)))
        # the next state is a function of the selector: excluding it excludes the model
        solver.add(t.selector != model.eval(t.selector, model_completion=True))
    return found
