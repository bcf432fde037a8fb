"""BMC's search rules (``zabmc.symbolic.within``): server symmetry, frames of a step and
its forced receipt, and receipt frames (a step, then optionally a declared receipt, the
steps counted: paths keep their length).

Each rule restricts the paths one query looks at. Breadth-first search on the explicit spec
is the oracle: with the rule, no path one step (frame) shorter than BFS's shortest breaks the
property, one of BFS's length does, and it replays on the explicit spec. For frames, the
oracle is a BFS whose levels are frames (a step, then a forced receipt if one is enabled;
or, for receipt frames, a step and then optionally a receipt, with each state's step count).
Each rule, deliberately broken, fails one of these checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import pytest
import z3

from spec.protocol import Params, ProtocolModel
from spec.protocol import independence as explicit
from spec.protocol.bugs import BUGS
from spec.protocol.constants import BROADCAST, FOLLOWING, LEADING, SYNCHRONIZATION
from spec.protocol.invariants import should_not_be_triggered
from spec.protocol.state import ZabState
from spec.protocol.symbolic.persistent import FOLLOWER_RECEIPTS
from spec.protocol.symbolic.relation import SymbolicProtocol
from spec.protocol.symmetry import ServerSymmetry
from tests.protocol.symbolic.agreement import sampled_states
from zabmc.engine import Action
from zabmc.symbolic import within
from zabmc.symbolic.within import bmc_within, first_appearance, first_appearance_order

BUG_PARAMS = [Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug=b) for b in BUGS]
SMALL = Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2)


def permute_action(action: Action, perm: tuple[int, ...]) -> Action:
    return Action(action.name, tuple(perm[x] for x in action.args))


def broadcast_follower(s: ZabState) -> bool:
    """The explicit NoBroadcastFollower (tests/cli/test_prove_cli.py): BFS breaks it at 9."""
    return not any(
        r == FOLLOWING and z == BROADCAST for r, z in zip(s.state, s.zab_state, strict=True)
    )


def symbolic_broadcast_follower(s) -> z3.BoolRef:
    return z3.And(
        *(z3.Not(z3.And(s.state[i] == FOLLOWING, s.zab_state[i] == BROADCAST)) for i in range(3))
    )


# --- the spec is symmetric, so the symmetry rule may be applied -------------------------


def assert_symmetric_at(model: ProtocolModel, sym: ServerSymmetry, s: ZabState) -> None:
    succ = set(model.successors(s))
    for perm in itertools.permutations(range(model.params.servers)):
        image = {(permute_action(a, perm), sym.permute(t, perm)) for a, t in succ}
        assert image == set(model.successors(sym.permute(s, perm))), (s, perm)


@pytest.mark.parametrize("p", BUG_PARAMS, ids=list(BUGS))
def test_every_permutation_of_servers_maps_steps_to_steps_on_sampled_states(p):
    """Zab.tla compares no server ids but in DetermineInitialHistory's tie-break
    (spec/protocol/symmetry.py); on these bounds it picks among equal histories."""
    model, sym = ProtocolModel(p), ServerSymmetry(p.servers)
    for s in sampled_states(p, 300, seed=11, walk=30):
        assert_symmetric_at(model, sym, s)


@pytest.mark.slow
@pytest.mark.parametrize("p", BUG_PARAMS, ids=list(BUGS))
def test_every_permutation_maps_steps_to_steps_on_every_reachable_state(p):
    model, sym = ProtocolModel(p), ServerSymmetry(p.servers)
    seen = set(model.init_states())
    frontier = list(seen)
    while frontier:
        following = []
        for s in frontier:
            assert_symmetric_at(model, sym, s)
            for _, t in model.successors(s):
                if t not in seen:
                    seen.add(t)
                    following.append(t)
        frontier = following
    assert len(seen) > 5_000


# --- the symmetry constraint accepts exactly the canonical renaming ---------------------


def bfs_path(
    model: ProtocolModel, holds: Callable[[ZabState], bool], successors=None
) -> list[Action]:
    """A shortest path (its actions) from Init to a state where ``holds`` fails."""
    successors = successors or model.successors
    (init,) = model.init_states()
    parent: dict[ZabState, tuple[ZabState, Action] | None] = {init: None}
    frontier = [init]
    while frontier:
        for s in frontier:
            if not holds(s):
                path = []
                while parent[s] is not None:
                    s, a = parent[s]  # type: ignore[misc]
                    path.append(a)
                return path[::-1]
        following = []
        for s in frontier:
            for a, t in successors(s):
                if t not in parent:
                    parent[t] = (s, a)
                    following.append(t)
        frontier = following
    raise AssertionError("no violation")


def accepted(actions: list, path: Iterable[Action], servers: int, needs=None) -> bool:
    """Whether the symmetry constraint over concrete step choices holds."""
    needs = needs if needs is not None else first_appearance_order(actions, servers)
    appeared = [z3.BoolVal(False)] * servers
    solver = z3.Solver()
    for k, step in enumerate(path):
        took = [z3.BoolVal(a == step) for a in actions]
        constraints, appeared = first_appearance(actions, needs, took, appeared, f"s{k}")
        solver.add(*constraints)
    return solver.check() == z3.sat


def canonical_renaming(path: list[Action], servers: int) -> tuple[int, ...]:
    """The permutation renaming the k-th server to appear (by step, then argument) to k."""
    order: list[int] = []
    for a in path:
        order.extend(x for x in a.args if x not in order)
    order.extend(x for x in range(servers) if x not in order)
    perm = [0] * servers
    for rank, x in enumerate(order):
        perm[x] = rank
    return tuple(perm)


def test_of_a_path_s_renamings_the_constraint_accepts_exactly_the_canonical_one():
    p = next(p for p in BUG_PARAMS if p.bug == "strict-propose")
    model, actions = ProtocolModel(p), SymbolicProtocol(p).actions
    path = bfs_path(model, should_not_be_triggered)
    assert len(path) == 17 and {x for a in path for x in a.args} == {0, 1, 2}
    canonical = canonical_renaming(path, 3)
    for perm in itertools.permutations(range(3)):
        renamed = [permute_action(a, perm) for a in path]
        # every renaming is a path of the spec to a violation (the symmetry argument)
        s = model.init_states()[0]
        for a in renamed:
            s = model.apply(s, a)
            assert s is not None
        assert not should_not_be_triggered(s)
        assert accepted(actions, renamed, 3) == (perm == canonical), perm
    # two servers first appearing in one step: in argument order
    assert accepted(actions, [Action("ConnectAndFollowerSendCEPOCH", (0, 1))], 3)
    assert not accepted(actions, [Action("ConnectAndFollowerSendCEPOCH", (1, 0))], 3)
    assert not accepted(actions, [Action("UpdateLeader", (1,))], 3)


def test_a_broken_symmetry_constraint_is_caught():
    """Two deliberate mistakes: servers in the reverse order (accepts a renaming that is not
    the canonical one), and no allowance for an earlier argument of the same step (refuses
    a step that introduces s1 and s2 together)."""
    p = SMALL
    actions = SymbolicProtocol(p).actions
    path = bfs_path(ProtocolModel(p), broadcast_follower)
    reverse = [(k, [m for m in range(3) if m > max(a.args)]) for k, a in enumerate(actions)]
    canonical = canonical_renaming(path, 3)
    renamings = [
        perm
        for perm in itertools.permutations(range(3))
        if accepted(actions, [permute_action(a, perm) for a in path], 3, reverse)
    ]
    assert renamings and renamings != [canonical]
    strict = [(k, [m for x in a.args for m in range(x)]) for k, a in enumerate(actions)]
    both = [Action("ConnectAndFollowerSendCEPOCH", (0, 1))]
    assert accepted(actions, both, 3) and not accepted(actions, both, 3, strict)


# --- end to end: each rule against breadth-first search ---------------------------------


def declared(p: Params, model: ProtocolModel, names: set[str], s: ZabState):
    """The declared receipts of ``names`` enabled in ``s`` (the ones --persistent forces)."""
    found = []
    for i, j in itertools.permutations(range(p.servers), 2):
        name = explicit.declared_receipt(s, p, i, j)
        if name in names:
            found.append((Action(name, (i, j)), model.apply(s, Action(name, (i, j)))))
    return found


def forced_successors(p: Params, model: ProtocolModel, names: set[str]):
    """The explicit successors under --persistent's rule: where a forced receipt is
    enabled, only those."""
    return lambda s: declared(p, model, names, s) or list(model.successors(s))


def frame_depth(p: Params, holds: Callable[[ZabState], bool], names: set[str]) -> int:
    """BFS by frames: a step under the forcing rule, then a forced receipt if one is enabled."""
    model = ProtocolModel(p)
    forced = forced_successors(p, model, names)
    (init,) = model.init_states()
    seen, frontier, depth = {init}, [init], 0
    while frontier:
        if any(not holds(s) for s in frontier):
            return depth
        depth += 1
        following = []
        for s in frontier:
            for _, t in forced(s):
                receipts = declared(p, model, names, t) if holds(t) else []
                for u in [u for _, u in receipts] or [t]:
                    if u not in seen:
                        seen.add(u)
                        following.append(u)
        frontier = following
    raise AssertionError("no violation")


def run(p: Params, depth: int, symbolic: Callable | None = None, **rules) -> within.Outcome:
    """BMC within ``depth`` of NoBroadcastFollower (or ``symbolic``), channels grown as the
    CLI grows them."""
    channel = 2
    while True:
        sp = SymbolicProtocol(p, channel=channel, depth=2 * depth)
        properties = [("Property", symbolic or symbolic_broadcast_follower)]
        outcome = bmc_within(sp, properties, depth, **rules)
        if outcome.verdict != "overflow":
            return outcome
        channel += 1


def replays(p: Params, actions: list[Action]) -> ZabState:
    model = ProtocolModel(p)
    s = model.init_states()[0]
    for a in actions:
        s = model.apply(s, a)
        assert s is not None, a
    return s


def assert_agrees(p: Params, oracle: int, **rules) -> None:
    assert run(p, oracle - 1, **rules).verdict == "proved"
    found = run(p, oracle, **rules)
    assert found.verdict == "counterexample"
    assert not broadcast_follower(replays(p, found.actions))
    if not rules.get("frames"):
        assert len(found.actions) == oracle


@pytest.mark.slow
@pytest.mark.parametrize(
    "rules",
    [{"symmetry": True}, {"symmetry": True, "persistent": True}],
    ids=["symmetry", "symmetry+persistent"],
)
def test_with_symmetry_bmc_finds_the_violation_at_breadth_first_search_s_depth(rules):
    oracle = len(bfs_path(ProtocolModel(SMALL), broadcast_follower))
    assert oracle == 9
    assert_agrees(SMALL, oracle, **rules)


@pytest.mark.slow
def test_with_frames_bmc_finds_the_violation_at_the_frame_search_s_depth():
    sp = SymbolicProtocol(SMALL, channel=2, depth=20)
    t = sp.fresh_state("t")
    broken = z3.Not(symbolic_broadcast_follower(t))
    names = {sp.actions[k].name for k, _, _ in within.invisible_persistent(sp, t, broken)}
    oracle = frame_depth(SMALL, broadcast_follower, names)
    model = ProtocolModel(SMALL)
    steps = len(bfs_path(model, broadcast_follower, forced_successors(SMALL, model, names)))
    assert oracle < steps  # frames at work: a forced receipt counts no frame
    assert_agrees(SMALL, oracle, persistent=True, frames=True)
    assert_agrees(SMALL, oracle, persistent=True, frames=True, symmetry=True)


@pytest.mark.parametrize(
    ("bug", "full", "reduced", "frames"),
    [
        ("strict-propose", 17, 17, 13),
        ("propose-to-ackld", 21, 21, 16),
        ("commitld-ackld-zxid", 25, 26, 19),
    ],
)
def test_the_bugs_depths_in_steps_reduced_steps_and_frames(bug, full, reduced, frames):
    """The figures docs/prove.md and bench/prove.py rest on: under --persistent's rule (every
    declared follower receipt is invisible to ShouldNotBeTriggered:
    test_persistent.py) commitld-ackld-zxid needs 26 steps, so no reduced path of 25 exists;
    by frames, 19."""
    p = Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug=bug)
    model = ProtocolModel(p)
    names = set(FOLLOWER_RECEIPTS.values())
    assert len(bfs_path(model, should_not_be_triggered)) == full
    forced = forced_successors(p, model, names)
    assert len(bfs_path(model, should_not_be_triggered, forced)) == reduced
    assert frame_depth(p, should_not_be_triggered, names) == frames


# --- receipt frames: a step, then optionally a declared receipt; the steps counted --------


def receipt_frame_depth(
    p: Params, holds: Callable[[ZabState], bool], names: set[str], steps: int
) -> tuple[int, int]:
    """BFS by receipt frames, counting steps: the fewest frames (a step, then optionally a
    declared receipt of ``names``) holding a path of at most ``steps`` steps to a state where
    ``holds`` fails, and that path's fewest steps. No step is forced: every path of the
    spec is one of these, laid out in some number of frames."""
    model = ProtocolModel(p)
    (init,) = model.init_states()
    seen, frontier, frames = {(init, 0)}, [(init, 0)], 0
    while frontier:
        found = [n for s, n in frontier if not holds(s)]
        if found:
            return frames, min(found)
        frames += 1
        following = []
        for s, n in frontier:
            for _, t in model.successors(s):
                nexts = [(t, n + 1)]
                if holds(t):
                    nexts += [(u, n + 2) for _, u in declared(p, model, names, t)]
                for node in nexts:
                    if node[1] <= steps and node not in seen:
                        seen.add(node)
                        following.append(node)
        frontier = following
    raise AssertionError("no violation")


@pytest.mark.parametrize(
    ("bug", "full", "frames"),
    [("strict-propose", 17, 13), ("propose-to-ackld", 21, 16), ("commitld-ackld-zxid", 25, 19)],
)
def test_the_bugs_fewest_receipt_frames_at_breadth_first_search_s_length(bug, full, frames):
    """The F that docs/prove.md and bench/prove.py query with --receipt-frames: the fewest
    receipt frames holding a path of BFS's length (25 steps for commitld-ackld-zxid, which
    --persistent's forced receipts stretch to 26)."""
    p = Params(servers=3, max_timeouts=0, max_txns=2, max_epoch=2, bug=bug)
    names = set(FOLLOWER_RECEIPTS.values())
    assert len(bfs_path(ProtocolModel(p), should_not_be_triggered)) == full
    assert receipt_frame_depth(p, should_not_be_triggered, names, full) == (frames, full)
    # with the receipts taken out, a frame is a step: the search is BFS's
    assert receipt_frame_depth(p, should_not_be_triggered, set(), full) == (full, full)


def no_sync_leader(s: ZabState) -> bool:
    """No leader in SYNCHRONIZATION (tests/cli/test_prove_cli.py): BFS breaks it at 6."""
    return not any(
        r == LEADING and z == SYNCHRONIZATION for r, z in zip(s.state, s.zab_state, strict=True)
    )


def symbolic_no_sync_leader(s) -> z3.BoolRef:
    return z3.And(
        *(
            z3.Not(z3.And(s.state[i] == LEADING, s.zab_state[i] == SYNCHRONIZATION))
            for i in range(3)
        )
    )


def assert_receipt_frames_agree(
    holds: Callable[[ZabState], bool], symbolic: Callable, oracle: int
) -> None:
    """In the frame search's fewest receipt frames BMC finds a path of exactly BFS's length
    that replays on the explicit spec and breaks the property; in one frame fewer, none; and
    with as many frames as steps (every path) none one step shorter, as BFS says."""
    names = set(FOLLOWER_RECEIPTS.values())
    full = len(bfs_path(ProtocolModel(SMALL), holds))
    frames, steps = receipt_frame_depth(SMALL, holds, names, full)
    assert (full, steps) == (oracle, oracle) and frames < full  # frames at work
    found = run(SMALL, full, symbolic, receipt_frames=frames)
    assert found.verdict == "counterexample" and len(found.actions) == full
    assert not holds(replays(SMALL, found.actions))
    assert run(SMALL, full, symbolic, receipt_frames=frames - 1).verdict == "proved"
    assert run(SMALL, full - 1, symbolic, receipt_frames=full - 1).verdict == "proved"


def test_with_receipt_frames_bmc_agrees_with_the_frame_search():
    assert_receipt_frames_agree(no_sync_leader, symbolic_no_sync_leader, 6)


@pytest.mark.slow
def test_with_receipt_frames_bmc_agrees_with_the_frame_search_on_a_longer_path():
    assert_receipt_frames_agree(broadcast_follower, symbolic_broadcast_follower, 9)


def test_receipt_frames_refuse_the_forcing_rules_and_bad_counts():
    sp = SymbolicProtocol(SMALL, channel=2, depth=9)
    properties = [("NoBroadcastFollower", symbolic_broadcast_follower)]
    with pytest.raises(ValueError, match="not with persistent or frames"):
        bmc_within(sp, properties, 9, receipt_frames=5, persistent=True)
    with pytest.raises(ValueError, match="receipt frames must be 1 to 9, got 10"):
        bmc_within(sp, properties, 9, receipt_frames=10)
    with pytest.raises(ValueError, match="receipt frames must be 1 to 9, got 0"):
        bmc_within(sp, properties, 9, receipt_frames=0)
