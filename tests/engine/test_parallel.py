"""The partitioned search gives the one-core search's answers, whatever the number of partitions."""

from __future__ import annotations

import gc
import pickle
import weakref
from collections.abc import Callable, Hashable, Iterator, Sequence

import numpy as np
import pytest

from tests.engine.test_persistent import ADeclared, AFree, Counters
from tests.engine.toys import Grid, Noisy, Tokens
from zabmc.engine import Action, CheckOptions, CheckResult, Model, Property, check_bfs, partition
from zabmc.engine.expansion import Expansion, FullExpander
from zabmc.engine.parallel import ScaleOptions, check_parallel
from zabmc.engine.partition import Frontier
from zabmc.engine.reduction import PersistentStepExpander

JOBS = [1, 2, 3]


def counts(r: CheckResult) -> tuple:
    return (
        r.distinct_states,
        r.states_generated,
        r.max_depth,
        r.complete,
        tuple(r.states_per_depth),
        {n: (s.generated, s.distinct) for n, s in sorted(r.actions.items())},
    )


def path(r: CheckResult) -> list | None:
    return None if r.violation is None else [(s.action, s.state) for s in r.violation.steps]


def examples(r: CheckResult) -> dict:
    return {n: d and [(s.action, s.state) for s in d.steps] for n, d in r.examples.items()}


CLEAN = [
    (Grid(7), CheckOptions(check_deadlock=False)),
    (Grid(5), CheckOptions(check_deadlock=False, max_depth=4)),
    (Tokens(4, 3), CheckOptions(check_deadlock=False)),
    (Tokens(4, 3), CheckOptions(check_deadlock=False, symmetry=True)),
    (Tokens(5, 5), CheckOptions(check_deadlock=False, symmetry=True)),
]


@pytest.mark.parametrize("jobs", JOBS)
@pytest.mark.parametrize(("model", "options"), CLEAN)
def test_counts_and_witnesses_equal_the_one_core_search(jobs, model, options):
    one = check_bfs(model, options)
    many = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert counts(many) == counts(one)
    assert examples(many) == examples(one)
    assert many.ok
    # the smallest gap is the union's, whichever partition holds each fingerprint
    assert many.smallest_gap == check_parallel(model, options, ScaleOptions(jobs=1)).smallest_gap


@pytest.mark.parametrize("jobs", JOBS)
@pytest.mark.parametrize(
    ("model", "options"),
    [
        (Grid(6, limit=5), CheckOptions(check_deadlock=False)),
        (Grid(3), CheckOptions()),  # a deadlock at the far corner
        (Noisy(6, 3, limit=4, needed=2), CheckOptions()),
    ],
)
def test_the_same_shortest_counterexample(jobs, model, options):
    one = check_bfs(model, options)
    many = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert one.violation is not None and many.violation is not None
    assert (many.violation.kind, many.violation.property) == (
        one.violation.kind,
        one.violation.property,
    )
    assert path(many) == path(one)
    assert not many.complete
    # counted as far as the one-core search got before it stopped
    assert counts(many) == counts(one)


def test_the_seen_set_holds_16_bytes_a_state_and_prints_collision_figures():
    r = check_parallel(Grid(30), CheckOptions(check_deadlock=False), ScaleOptions(jobs=2))
    assert r.distinct_states == 31 * 31
    assert r.bytes_per_state == 16.0
    assert 0 < r.observed_collision_probability < 1
    assert r.to_json()["bytes_per_state"] == 16.0


def test_a_frontier_past_the_memory_bound_spills_to_disk(tmp_path):
    spill = tmp_path / "spill"
    seen_files = []

    def watch(_progress):
        seen_files.extend(spill.rglob("frontier-*.npz"))

    options = CheckOptions(check_deadlock=False, progress=watch)
    bounded = check_parallel(
        Grid(12), options, ScaleOptions(jobs=2, memory_bytes=64, spill_dir=spill)
    )
    assert seen_files, "a 64-byte bound must spill the frontier"
    assert counts(bounded) == counts(check_bfs(Grid(12), CheckOptions(check_deadlock=False)))


class _Held:
    """A frontier state that a weak reference can watch."""

    def __init__(self, k: int) -> None:
        self.k = k


@pytest.mark.parametrize("spill", [False, True])
def test_a_drained_frontier_lets_go_of_each_chunk_once_read(tmp_path, spill):
    """Expanding a level reads its frontier once: the states of a chunk read are not held
    while the next chunk is read, and the frontier ends empty, its spilled files gone."""
    frontier = Frontier(pickle.dumps, tmp_path if spill else None, 1 if spill else None)
    first = [_Held(k) for k in range(3)]
    watched = [weakref.ref(h) for h in first]
    packed = [pickle.dumps(h) for h in first] if spill else first
    frontier.append(np.arange(3), np.arange(1, 4, dtype=np.uint64), packed)
    frontier.append(np.arange(3, 5), np.arange(4, 6, dtype=np.uint64), [b"x", b"y"])
    del first, packed
    read = []
    for rank, fp, state in frontier.drain():
        if rank == 3:  # the second chunk: nothing of the first is held by the frontier
            gc.collect()
            assert [w() for w in watched] == [None, None, None]
        read.append((rank, fp, state if type(state) is bytes else state.k))
        del state
    assert [r[:2] for r in read] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert frontier.size == 0 and not frontier.chunks
    assert not list(tmp_path.glob("*.npz"))


class Ring(Model):
    """States 0..k-1 in a ring (Next), each with a Leave to a leaf k+i; no leaf may be reached."""

    name = "ring"

    def __init__(self, k: int) -> None:
        self.k = k

    def init_states(self) -> Sequence[int]:
        return [0]

    def successors(self, s: int) -> Iterator[tuple[Action, int]]:
        if s < self.k:
            yield Action("Next"), (s + 1) % self.k
            yield Action("Leave"), self.k + s

    def properties(self) -> Sequence[Property]:
        return [Property.always("OnTheRing", lambda s: s < self.k)]


class NextOnly:
    """A reducing expander that offers only Next, marked incomplete (the rest is owed)."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def expand(self, state: Hashable) -> Expansion:
        succ = list(self.model.successors(state))
        return Expansion(succ[:1], len(succ) <= 1)

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        return list(self.model.successors(state))[1:]


@pytest.mark.parametrize("jobs", JOBS)
def test_the_cycle_proviso_expands_a_reduced_state_whose_successors_were_all_old(jobs):
    """Around the ring every Next is new until the last, which closes the cycle: only
    there does the search owe the rest, and so it reaches exactly one leaf."""
    result = check_parallel(
        Ring(5), CheckOptions(check_deadlock=False), ScaleOptions(jobs=jobs, expander=NextOnly)
    )
    assert result.violation is not None and result.violation.property == "OnTheRing"
    assert [s.state for s in result.violation.steps] == [0, 1, 2, 3, 4, 9]
    clean = check_parallel(
        Ring(5),
        CheckOptions(check_deadlock=False, invariants=[]),
        ScaleOptions(jobs=jobs, expander=NextOnly),
    )
    assert clean.distinct_states == 6 and clean.actions["Leave"].generated == 1


def test_a_bad_number_of_partitions_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        check_parallel(Grid(2), CheckOptions(), ScaleOptions(jobs=0))


PERSISTENT = [
    (Counters(3, 4), True, False),  # every A step free, no violation
    (Counters(2, 5, limit=3), True, False),  # B reaches its limit: a violation
    (Counters(1, 3, flip=True), True, False),  # A cycles: the proviso expands in full
    (Counters(3, 2), False, True),  # a constant progress measure: nothing taken alone
    (Counters(2, 2), True, True),  # the deadlock at (2, 2), after free steps
]


def persistent_options(case: int) -> tuple[Model, Callable[[], CheckOptions]]:
    """PERSISTENT[case]'s model, and a maker of fresh options that take its declared
    steps alone (each search needs its own expander: it counts what it reduced)."""
    model, progress, deadlock = PERSISTENT[case]
    names = [p.name for p in model.properties()]

    def options() -> CheckOptions:
        movers = ADeclared(model, progress)
        expander = PersistentStepExpander(FullExpander(model), movers, names)
        return CheckOptions(check_deadlock=deadlock, expander=expander)

    return model, options


@pytest.mark.parametrize("jobs", JOBS)
@pytest.mark.parametrize("case", range(5))
def test_persistent_steps_join_their_level_as_on_one_core(jobs, case):
    """The partitioned search takes the persistent steps the one-core search takes, in the
    same levels: the same counts, witnesses, violation and reduction figures."""
    model, options = persistent_options(case)

    one = check_bfs(model, options())
    many = check_parallel(model, options(), ScaleOptions(jobs=jobs))
    assert path(many) == path(one)
    assert examples(many) == examples(one)
    assert counts(many) == counts(one)
    if one.violation is None:
        assert many.reduction == one.reduction
    if PERSISTENT[case][1] and case != 2:  # a progress measure that rises, no cycle
        assert one.reduction["persistent_steps"]["states_expanded_by_one_step"] > 0


@pytest.mark.parametrize("jobs", JOBS)
def test_free_steps_join_their_level_as_on_one_core(jobs):
    """Steps the spec counts no level for, among the others (``Movers.free_step``): the
    partitioned search puts them in the same levels as the one-core search."""
    model = Counters(3, 4, limit=3)
    names = [p.name for p in model.properties()]

    def options() -> CheckOptions:
        expander = PersistentStepExpander(FullExpander(model), AFree(model), names)
        return CheckOptions(check_deadlock=False, expander=expander)

    one = check_bfs(model, options())
    many = check_parallel(model, options(), ScaleOptions(jobs=jobs))
    assert one.states_per_depth[0] == 4  # A's free steps joined level 0
    assert path(many) == path(one) and counts(many) == counts(one)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_initial_state_is_checked_as_on_one_core(jobs):
    """An initial state that breaks an invariant, and one that satisfies a witness and
    then deadlocks: the partitioned search seeds and checks them as bfs.py does."""
    for model, options in [
        (Grid(2, limit=0), CheckOptions(check_deadlock=False)),
        (Grid(0), CheckOptions()),
    ]:
        one = check_bfs(model, options)
        many = check_parallel(model, options, ScaleOptions(jobs=jobs))
        assert one.violation is not None and len(one.violation.steps) == 1
        assert (many.violation.kind, path(many)) == (one.violation.kind, path(one))
        assert examples(many) == examples(one)
        assert counts(many) == counts(one)


class TokensViewed(Tokens):
    """Tokens counted by a view that forgets who got the last token."""

    def view(self, state: Hashable) -> Hashable:
        return state[:2]


@pytest.mark.parametrize("jobs", JOBS)
@pytest.mark.parametrize("symmetry", [False, True])
def test_a_model_with_a_view_gives_the_one_core_answers(jobs, symmetry):
    """The seen sets hold the fingerprints of what a state is counted by (its view, of its
    canonical form under symmetry): the counts and witnesses stay the one-core search's."""
    options = CheckOptions(check_deadlock=False, symmetry=symmetry)
    one = check_bfs(TokensViewed(4, 3), options)
    many = check_parallel(TokensViewed(4, 3), options, ScaleOptions(jobs=jobs))
    assert counts(many) == counts(one)
    assert examples(many) == examples(one)
    assert one.distinct_states < check_bfs(Tokens(4, 3), options).distinct_states  # a real view
    assert many.traffic is not None
    if jobs > 1:
        assert many.traffic[1] > 0  # candidates went to the owners of their fingerprints


class FirstTwo:
    """A reducing expander that offers a state's first two successors, marked incomplete
    when there are more: the rest is owed whenever both were old."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def expand(self, state: Hashable) -> Expansion:
        succ = list(self.model.successors(state))
        return Expansion(succ[:2], len(succ) <= 2)

    def expand_rest(self, state: Hashable) -> Sequence[tuple[Action, Hashable]]:
        return list(self.model.successors(state))[2:]


class Mixer(Model):
    """Numbers mod ``m``, each leading to three others: paths cross and meet again, so a
    partition finds, in later levels, many numbers it found before."""

    name = "mixer"

    def __init__(self, m: int) -> None:
        self.m = m

    def init_states(self) -> Sequence[int]:
        return [1]

    def successors(self, s: int) -> Iterator[tuple[Action, int]]:
        yield Action("Double"), 2 * s % self.m
        yield Action("Step"), (s + 1) % self.m
        yield Action("Mix"), (3 * s + 7) % self.m

    def properties(self) -> Sequence[Property]:
        return [Property.always("NotZero", lambda s: s != 0)]


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("invariants", [None, []])
def test_a_candidate_sent_in_an_earlier_round_is_not_sent_again(jobs, invariants):
    """A partition does not send again what it sent before (its owner holds it). The owners'
    answers about what it did send still reach the right parents, whose proviso decides
    what else they expand, so the answers are those of one partition, which sends nothing."""
    model = Mixer(997)
    options = CheckOptions(check_deadlock=False, expander=FirstTwo(model), invariants=invariants)
    one = check_parallel(model, options, ScaleOptions(jobs=1))
    many = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert counts(many) == counts(one)
    assert path(many) == path(one)
    assert many.moves_skipped > 0 and one.moves_skipped == 0
    full = check_bfs(model, CheckOptions(check_deadlock=False, invariants=invariants))
    assert one.actions["Mix"].generated > 0  # the proviso expanded the rest somewhere
    assert one.actions["Mix"].generated < full.actions["Mix"].generated  # not everywhere


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_resumed_search_that_skips_moves_gives_the_uninterrupted_answers(tmp_path, jobs):
    """A resumed partition has not sent anything yet (what was sent before the checkpoint
    is not saved): it sends again what it finds, and the answers stay the same."""
    model = Mixer(997)
    options = CheckOptions(check_deadlock=False, expander=FirstTwo(model), invariants=[])
    whole = check_parallel(model, options, ScaleOptions(jobs=1))
    folder = tmp_path / "ckpt"
    cut = CheckOptions(check_deadlock=False, expander=FirstTwo(model), invariants=[], max_depth=8)
    first = check_parallel(
        model, cut, ScaleOptions(jobs=2, checkpoint=folder, checkpoint_every_s=0)
    )
    assert first.moves_skipped > 0 and not first.complete
    resumed = check_parallel(model, options, ScaleOptions(jobs=jobs, resume=folder))
    assert counts(resumed) == counts(whole)
    assert resumed.moves_skipped > 0


class TokensFlagging(Tokens):
    """Tokens whose invariant breaks once two processes have set their flags."""

    def properties(self) -> Sequence[Property]:
        return [Property.always("FewFlags", lambda s: sum(s[1]) < 2)]


SYMMETRIC = [
    (Tokens(5, 5), CheckOptions(check_deadlock=False, symmetry=True)),
    (TokensFlagging(5, 4), CheckOptions(check_deadlock=False, symmetry=True)),
    (
        Tokens(4, 4),
        CheckOptions(check_deadlock=False, symmetry=True, expander=FirstTwo(Tokens(4, 4))),
    ),
]


def _never_met(monkeypatch: pytest.MonkeyPatch) -> None:
    """Partitions made from now on never look for successors met before."""
    init = partition.Partition.__init__

    def plain(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        init(self, *args, **{**kwargs, "costly_key": False})

    monkeypatch.setattr(partition.Partition, "__init__", plain)


@pytest.mark.parametrize("jobs", JOBS)
@pytest.mark.parametrize("kept", [True, False])
@pytest.mark.parametrize(("model", "options"), SYMMETRIC)
def test_under_symmetry_successors_met_before_are_skipped_with_the_same_answers(
    monkeypatch, jobs, kept, model, options
):
    """A partition skips a successor it met earlier in the level as it is (its canonical
    form's fingerprint was taken then), or, once such repeats are few, stops looking for
    them: either way the counts, the counterexample and the witnesses are those of a
    search that never looks (and, with a complete expansion, the one-core search's)."""
    with monkeypatch.context() as plain:
        _never_met(plain)
        reference = check_parallel(model, options, ScaleOptions(jobs=1))
    monkeypatch.setattr(partition, "MET_JUDGED", 1)
    monkeypatch.setattr(partition, "MET_MIN_HITS", 0 if kept else 10**9)
    many = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert (many.violation is not None) == isinstance(model, TokensFlagging)
    assert counts(many) == counts(reference)
    assert path(many) == path(reference)
    assert examples(many) == examples(reference)
    if not isinstance(options.expander, FirstTwo):
        one = check_bfs(model, options)
        assert (counts(one), path(one), examples(one)) == (
            counts(many),
            path(many),
            examples(many),
        )


def test_a_symmetric_search_meets_successors_again_and_skips_them(monkeypatch):
    hits: list[int] = []
    rank = partition.Partition.rank

    def counting(self, level_keys):  # type: ignore[no-untyped-def]
        hits.append(self._met_hits)
        return rank(self, level_keys)

    monkeypatch.setattr(partition.Partition, "rank", counting)
    options = CheckOptions(check_deadlock=False, symmetry=True)
    check_parallel(Tokens(5, 5), options, ScaleOptions(jobs=1))
    assert sum(hits) > 0
    hits.clear()
    check_parallel(Tokens(5, 5), CheckOptions(check_deadlock=False), ScaleOptions(jobs=1))
    assert sum(hits) == 0  # no costly key: nothing is looked for
