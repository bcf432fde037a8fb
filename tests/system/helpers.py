"""Building system-spec states by hand, and replaying steps, for tests."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from functools import cache

from spec.system import bug_params
from spec.system.constants import BROADCAST, FOLLOWING
from spec.system.independence import SystemMovers
from spec.system.init import initial_state
from spec.system.log import log_of
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.scenarios import from_established
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
from zabmc.engine import CheckOptions, check_bfs


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
    return Server(True, state, zab, epoch, epoch, log_of(history), 0, k, k, len(history))


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
    proposals = log_of(sorted(ProposalRecord(e, i, t.zxid, t.value) for i, e, t in broadcast))
    return s._replace(
        ghost=s.ghost._replace(
            proposals=proposals, committed=log_of(committed), breaches=tuple(breaches)
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


def random_walks(
    start: SystemState,
    successors: Callable[[SystemState], Iterable[tuple[object, SystemState]]],
    seed: int,
    walks: int,
    steps: int,
) -> list[SystemState]:
    """The states of ``walks`` seeded random walks of at most ``steps`` steps from ``start``,
    each step a random one of ``successors``; a walk stops where nothing is enabled."""
    rng = random.Random(seed)
    found: list[SystemState] = []
    for _ in range(walks):
        s = start
        for _ in range(steps):
            nexts = list(successors(s))
            if not nexts:
                break
            s = rng.choice(nexts)[1]
            found.append(s)
    return found


def reachable_states(model: SystemModel) -> tuple[SystemState, ...]:
    """Every state ``model`` reaches, violations included (no invariant stops the search)."""
    states: list = []
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append, invariants=[]))
    return tuple(states)


@cache
def state_space(**kw: object) -> tuple[SystemModel, tuple[SystemState, ...]]:
    """The model of ``Params(**kw)`` and every state it reaches, violations included (no
    invariant stops the search); built once per configuration for all the tests."""
    model = SystemModel(Params(**kw))
    return model, reachable_states(model)


@cache
def established_space(bug: str) -> tuple[SystemModel, tuple[SystemState, ...]]:
    """The model of ``bug``'s hunt (:func:`spec.system.bug_params`) searched from the authors'
    established cluster (:func:`spec.system.scenarios.from_established`), and every state it
    reaches, violations included; built once per bug for all the tests."""
    model = from_established(bug_params(bug))
    return model, reachable_states(model)


def replayed(
    model: SystemModel, labels: Sequence[str], start: SystemState | None = None
) -> SystemState:
    """The state reached from ``start`` (default: ``model``'s initial state) by the steps
    ``labels`` (each as ``str(action)`` spells it), each the one successor of its state with
    that label: the spec's own steps, unreduced."""
    if start is None:
        (start,) = model.init_states()
    s = start
    for k, label in enumerate(labels):
        nexts = [t for a, t in model.successors(s) if str(a) == label]
        assert len(nexts) == 1, f"step {k + 1}, {label}: {len(nexts)} successors so labelled"
        s = nexts[0]
    return s


def assert_nothing_reads_the_difference(
    model: SystemModel,
    movers: SystemMovers,
    s: SystemState,
    t: SystemState,
    normal: Callable[[SystemState], SystemState],
) -> None:
    """``t`` differs from ``s`` only in data that nothing may read (a state cut's dead data,
    which ``normal`` sets to what the spec keeps): every step and every reduced step leads to
    the same states once normalised, every property has the same value, the reduction names
    the same persistent step (same normalised state and progress), and progress and finality
    are the same."""
    assert [(a, normal(x)) for a, x in model.every_successor(t)] == [
        (a, normal(x)) for a, x in model.every_successor(s)
    ]
    assert [(a, normal(x)) for a, x in model.successors(t)] == [
        (a, normal(x)) for a, x in model.successors(s)
    ]
    props = model.properties()
    assert [p.condition(t) for p in props] == [p.condition(s) for p in props]
    mine, theirs = movers.persistent_step(s), movers.persistent_step(t)
    assert (mine is None) == (theirs is None)
    if mine is not None and theirs is not None:
        assert mine[0] == theirs[0] and normal(mine[1]) == normal(theirs[1])
        assert movers.progress(normal(theirs[1])) == movers.progress(mine[1])
    assert movers.progress(t) == movers.progress(s)
    assert model.is_final(t) == model.is_final(s)


#: Coarse-election bounds whose random walks reach crashes, several epochs, the bug variants
#: that need them and an observer: where the coarse election's state cuts are tested.
COARSE_WALK_CONFIGS: list[dict] = [
    dict(max_txns=2, max_epoch=3, max_crashes=2, max_timeouts=1),
    dict(max_txns=2, max_epoch=3, max_crashes=2, max_timeouts=0, bug="ZK-4643"),
    dict(max_txns=2, max_epoch=3, max_crashes=2, max_timeouts=0, bug="ZK-3911"),
    dict(max_txns=2, max_epoch=3, max_crashes=2, max_timeouts=0, bug="ZK-4646"),
    dict(max_txns=1, max_epoch=3, max_crashes=1, max_timeouts=1, observers=1),
]


def coarse_walk_states(kw: dict, seed: int) -> tuple[SystemModel, list[SystemState]]:
    """The coarse election's model for bounds ``kw``, and its initial state with the states
    of 30 random walks of 45 steps from it (every step, unreduced)."""
    model = SystemModel(Params(coarse_election=True, **kw))
    (start,) = model.init_states()
    return model, [start, *random_walks(start, model.every_successor, seed, walks=30, steps=45)]
