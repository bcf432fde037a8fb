"""The z3 encoding of the system spec agrees with the explicit spec, transition by transition.

In the configuration the encoding supports (coarse election, ZooKeeper 3.9's Zab, timeouts
and requests; with and without ZK-2845): every explicit transition is the encoding's (the
instance's guard holds and its result is the explicit successor), and z3 finds no successor
that the explicit spec lacks (the instance table both ways, and by enumerating the models of
Next). With two servers the states compared are all the reachable ones.
"""

from __future__ import annotations

from collections import deque

import pytest

from spec.system.bugs import ZK_2845
from spec.system.init import initial_state
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.state import SystemState
from spec.system.symbolic.relation import SymbolicSystem
from spec.system.symbolic.state import Layout
from tests.symbolic_agreement import InstanceTable, enumerated_successors
from tests.system.symbolic.agreement import (
    explicit_successors,
    mutated_states,
    params,
    sampled_states,
)

VARIANTS = [None, ZK_2845]


def reachable(p: Params) -> list[SystemState]:
    """Every state reachable from Init (the configurations here are small)."""
    model = SystemModel(p)
    first = initial_state(p)
    seen = {first}
    queue = deque([first])
    while queue:
        s = queue.popleft()
        for _, t in model.successors(s):
            if t not in seen:
                seen.add(t)
                queue.append(t)
    return list(seen)


def agree(p: Params, states: list[SystemState], overflow: bool = False) -> int:
    """Compare successor sets on ``states``; the number of transitions compared. With
    ``overflow``, explicit successors that do not fit the layout are left out."""
    sp = SymbolicSystem(p)
    table = InstanceTable(sp)
    model = SystemModel(p)
    compared = 0
    for k, s in enumerate(states):
        mine, theirs = table.successors(s), explicit_successors(sp, model, s, overflow)
        if mine != theirs:
            extra = sorted(str(a) for a, _ in mine - theirs)
            missing = sorted(str(a) for a, _ in theirs - mine)
            pytest.fail(f"state #{k} {s}: z3 adds {extra}, lacks {missing}")
        compared += len(theirs)
    return compared


@pytest.mark.parametrize("bug", VARIANTS, ids=["fixed", "ZK-2845"])
def test_every_reachable_state_of_two_servers_agrees(bug):
    p = params(2, bug)
    states = reachable(p)
    assert len(states) > 100
    assert agree(p, states) > len(states)


@pytest.mark.slow
def test_every_reachable_state_with_two_txns_agrees():
    """Longer logs and syncs: a ZK-2845 follower logs a txn twice (the layout has room)."""
    p = params(2, ZK_2845, max_txns=2)
    states = reachable(p)
    assert max(len(srv.history) for s in states for srv in s.servers) == 4
    assert agree(p, states) > len(states)


@pytest.mark.parametrize("bug", VARIANTS, ids=["fixed", "ZK-2845"])
def test_sampled_states_of_three_servers_agree(bug):
    p = params(3, bug)
    assert agree(p, sampled_states(p, 60, seed=21)) > 100


def test_the_breaches_agree_where_zk_2845_strikes():
    """The states around the violation breadth-first search finds (a walk would rarely
    reach them): its shortest path, each state and its successors."""
    from zabmc.engine import CheckOptions, check_bfs

    p = params(2, ZK_2845)
    found = check_bfs(SystemModel(p), CheckOptions())
    path = [step.state for step in found.violation.steps]
    assert len(path) == 23 and path[-1].ghost.breaches
    assert agree(p, path) > 22


def test_enumerating_the_models_of_next_gives_the_explicit_successors():
    from zabmc.engine import CheckOptions, check_bfs

    p = params(2, ZK_2845)
    sp = SymbolicSystem(p)
    model = SystemModel(p)
    path = [step.state for step in check_bfs(model, CheckOptions()).violation.steps]
    for s in (path[0], path[12], path[21]):
        found = enumerated_successors(sp, s)
        assert found and found == explicit_successors(sp, model, s)


def test_a_state_outside_the_configuration_is_refused_by_the_layout():
    p = params(2)
    s = initial_state(p)
    layout = Layout.of(p)
    down = s._replace(servers=(s.servers[0]._replace(online=False), s.servers[1]))
    with pytest.raises(ValueError, match="down"):
        layout.encode(down)
    cut = s._replace(network=s.network._replace(cut=1))
    with pytest.raises(ValueError, match="cut link"):
        layout.encode(cut)


@pytest.mark.slow
def test_ten_thousand_sampled_states_agree():
    p = params(3, ZK_2845)
    assert agree(p, sampled_states(p, 10_000, seed=23)) > 20_000


@pytest.mark.slow
def test_ten_thousand_sampled_states_of_the_fixed_spec_agree():
    p = params(3)
    assert agree(p, sampled_states(p, 10_000, seed=24)) > 20_000


@pytest.mark.slow
def test_enumerated_models_agree_on_sixty_states():
    p = params(3, ZK_2845, max_txns=2)
    sp = SymbolicSystem(p)
    model = SystemModel(p)
    for s in sampled_states(p, 60, seed=25):
        assert enumerated_successors(sp, s) == explicit_successors(sp, model, s)


@pytest.mark.slow
@pytest.mark.parametrize("bug", VARIANTS, ids=["fixed", "ZK-2845"])
def test_every_reachable_state_of_three_servers_fits_the_layout(bug):
    """The layout's capacities bind no reachable state of 3 servers (a step that would
    overflow one is disabled in the encoding, so BMC here misses no path)."""
    p = params(3, bug)
    layout = Layout.of(p)
    states = reachable(p)
    assert len(states) > 70_000
    assert max(len(srv.history) for s in states for srv in s.servers) <= layout.history
    assert max(len(ch) for s in states for ch in s.network.msgs) <= layout.channel
    for s in states:
        for lrn in s.learners:
            assert len(lrn.not_committed) <= layout.history
            assert len(lrn.committed) <= layout.history


@pytest.mark.parametrize("nodes", [2, 3])
def test_states_with_unexpected_messages_agree(nodes):
    """Every branch of the steps that take a message, breaches included (illegal messages,
    stale or out-of-order ones, TRUNC and SNAP): on states with a message put at the head
    of a channel."""
    p = params(nodes, ZK_2845)
    states = mutated_states(p, 80, seed=26)
    assert len(states) > 60
    assert agree(p, states, overflow=True) > 60


@pytest.mark.slow
@pytest.mark.parametrize("bug", VARIANTS, ids=["fixed", "ZK-2845"])
def test_two_thousand_states_with_unexpected_messages_agree(bug):
    p = params(3, bug, max_txns=2)
    states = mutated_states(p, 2_000, seed=27)
    assert agree(p, states, overflow=True) > 2_000
