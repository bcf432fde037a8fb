"""Comparing the z3 encoding of the system spec with the explicit spec, state by state."""

from __future__ import annotations

import random

from spec.system import make_params
from spec.system.init import initial_state
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.state import SystemState
from spec.system.symbolic.relation import SymbolicSystem
from spec.system.symbolic.state import evaluate_constant
from tests.symbolic_agreement import walked_states


def bounds(nodes: int = 2, **given: int) -> dict[str, int]:
    """The supported configuration's bounds: one timeout, one txn by default, no fault."""
    return {
        "nodes": nodes,
        "observers": 0,
        "max_txns": 1,
        "max_epoch": 2,
        "max_crashes": 0,
        "max_partitions": 0,
        "max_timeouts": 1,
        **given,
    }


def params(nodes: int = 2, bug: str | None = None, **given: int) -> Params:
    """The supported configuration (coarse election) with :func:`bounds`."""
    return make_params(bounds(nodes, **given), bug, True)


def sampled_states(p: Params, count: int, seed: int, walk: int = 40) -> list[SystemState]:
    """``count`` states from seeded random walks of up to ``walk`` steps from Init."""
    return walked_states(SystemModel(p).successors, lambda: initial_state(p), count, seed, walk)


def explicit_successors(
    sp: SymbolicSystem, model: SystemModel, s: SystemState, overflow: bool = False
) -> set:
    """The explicit successors, in the encoding's view; with ``overflow``, leaving out those
    that do not fit the layout (the encoding disables a step that would overflow it)."""
    found = set()
    for a, t in model.successors(s):
        try:
            found.add((a, evaluate_constant(sp.layout.encode(t))))
        except ValueError:
            if not overflow:
                raise
    return found


def mutated_states(p: Params, count: int, seed: int) -> list[SystemState]:
    """Sampled states with a message put at the head of a random channel: messages where
    they cannot arrive, out of order or stale, which reachable states of the configuration
    rarely or never show (TRUNC, the breaches), so that every branch of every action is
    compared. A state the explicit spec cannot step from (an action raises) is left out."""
    from spec.system import messages as m
    from spec.system.state import Txn
    from spec.system.zxid import make_zxid

    rng = random.Random(seed)
    model = SystemModel(p)
    layout_channel = 2 * max(p.max_txns, 1) + 2
    states = sampled_states(p, count, seed)
    pool = {msg for s in states for ch in s.network.msgs for msg in ch}
    pool |= {m.trunc(make_zxid(e, c)) for e in range(3) for c in range(2)}
    pool |= {m.snap(make_zxid(1, 1), (Txn(make_zxid(1, 1), 1),)), m.commit(make_zxid(2, 1))}
    pool |= {m.ack(make_zxid(1, 1)), m.ackld(make_zxid(2, 0)), m.proposal(make_zxid(2, 1), 1)}
    messages = sorted(pool, key=repr)
    found = []
    for s in states:
        i, j = rng.sample(range(p.n), 2)
        c = j * p.n + i
        if len(s.network.msgs[c]) >= layout_channel:
            continue
        channels = list(s.network.msgs)
        channels[c] = (rng.choice(messages), *channels[c])
        t = s._replace(network=s.network._replace(msgs=tuple(channels)))
        try:
            list(model.successors(t))
        except (IndexError, ValueError):
            continue
        found.append(t)
    return found
