"""A link's batches as one pickle stream over a level: the memo kept from batch to batch.

The states a batch carries read back equal to those sent (and to one pickle of their own),
whatever came before on the link; the parts they share come back as one object; both ends
start afresh together, at a level's end or past the byte bound; and the search's answers
do not change, with a bound small enough that every level starts afresh many times.
"""

from __future__ import annotations

import pickle
from typing import NamedTuple

import pytest

from spec.system import Params, SystemModel
from spec.system.state import Server
from tests.engine.test_batch import batch_of, system_states
from tests.engine.test_parallel import counts, examples, path
from tests.engine.toys import Grid, Noisy
from zabmc.engine import Checker, CheckOptions, check_bfs, partition
from zabmc.engine.encoding import fingerprint
from zabmc.engine.parallel import ScaleOptions, check_parallel
from zabmc.engine.partition import Batch, StateReader, StateWriter


def _chunks(states: list, size: int) -> list[list]:
    return [states[k : k + size] for k in range(0, len(states), size)]


def test_batches_of_a_stream_read_back_as_pickles_of_their_own():
    states = system_states()
    writer, reader = StateWriter(), StateReader()
    flags = []
    for chunk in _chunks(states, 37):
        data = batch_of(chunk).to_bytes(writer)
        got = Batch.from_bytes(data, reader)
        alone = Batch.from_bytes(batch_of(chunk).to_bytes())
        assert got.states == alone.states == chunk
        assert [repr(s) for s in got.states] == [repr(s) for s in chunk]
        assert [fingerprint(s) for s in got.states] == got.fps.tolist()
        flags.append(writer._pickler is not None)
    assert len(flags) > 5 and all(flags)  # one stream: never started afresh


def test_a_part_sent_before_is_written_as_a_reference_and_read_back_shared():
    states = system_states()[-300:]
    first, second = states[:150], states[150:]
    writer, reader = StateWriter(), StateReader()
    got_first = Batch.from_bytes(batch_of(first).to_bytes(writer), reader).states
    continued = batch_of(second).to_bytes(writer)
    alone = batch_of(second).to_bytes()
    assert len(continued) * 2 < len(alone)  # the records the first batch carried are not resent
    got_second = Batch.from_bytes(continued, reader).states
    assert got_second == second
    # a server's record that both batches hold in equal values, though not as one object,
    # comes back as one object
    copies = [s._replace(servers=tuple(Server(*v) for v in s.servers)) for s in second]
    assert all(a.servers[0] is not b.servers[0] for a, b in zip(copies, second, strict=True))
    got_copies = Batch.from_bytes(batch_of(copies).to_bytes(writer), reader).states
    assert got_copies == second
    first_ids = {id(v) for s in got_first + got_second for v in s.servers}
    assert all(id(v) in first_ids for s in got_copies for v in s.servers)


class _P(NamedTuple):
    x: int
    y: int


class _Q(NamedTuple):
    x: int
    y: int


def test_an_equal_value_of_another_type_is_not_put_in_its_place():
    """(1, 2), _P(1, 2) and _Q(1, 2) are equal and hash alike: each comes back as itself,
    as a field and as an item of a plain-tuple field, after the others were sent first."""
    states = [
        ((1, 2), _P(1, 2), _Q(1, 2), ((1, 2), _P(1, 2)), True, (True, 2)),
        (_P(1, 2), _Q(1, 2), (1, 2), (_Q(1, 2), (1, 2)), 1, (1, 2)),
        (_Q(1, 2), (1, 2), _P(1, 2), (_P(1, 2), _Q(1, 2)), True, (True, 2)),
    ]
    writer, reader = StateWriter(), StateReader()
    got = [Batch.from_bytes(batch_of([s]).to_bytes(writer), reader).states[0] for s in states]
    for sent, back in zip(states, got, strict=True):
        assert back == sent
        assert [type(p) for p in back] == [type(p) for p in sent]
        assert [type(i) for i in back[3]] == [type(i) for i in sent[3]]
        assert type(back[4]) is type(sent[4])


def test_past_the_byte_bound_both_ends_start_afresh_at_the_same_batch():
    states = system_states()
    bound = len(batch_of(states[:40]).to_bytes()) * 2
    writer, reader = StateWriter(reset_bytes=bound), StateReader()
    starts = []
    for chunk in _chunks(states, 20):
        data = batch_of(chunk).to_bytes(writer)
        flags = int.from_bytes(data[24:32], "little")
        starts.append(not flags & partition.CONTINUED)
        assert Batch.from_bytes(data, reader).states == chunk
    assert starts[0] and starts.count(True) > 2 and starts.count(False) > 2


def test_a_batch_continuing_a_stream_is_refused_without_the_stream_s_start():
    states = system_states()[:60]
    writer = StateWriter()
    batch_of(states[:30]).to_bytes(writer)
    continued = batch_of(states[30:]).to_bytes(writer)
    with pytest.raises(ValueError, match="continues a stream whose start was not read"):
        Batch.from_bytes(continued, StateReader())
    with pytest.raises(ValueError, match="read without that stream"):
        Batch.from_bytes(continued)
    reader = StateReader()
    reader.reset()  # a level's end: the writer resets too, and its next batch starts afresh
    writer.reset()
    fresh = batch_of(states[30:]).to_bytes(writer)
    assert Batch.from_bytes(fresh, reader).states == states[30:]
    assert pickle.loads(fresh[fresh.index(b"\x80\x05") :]) == states[30:]


def test_a_value_is_never_put_in_another_place():
    """Field 1 of the second state equals field 0 of the first, down to the types of their
    items, but holds a _Q where that holds a _P: each comes back with its own (a message and
    a learner's record may be equal tuples of ints)."""
    states = [((((_P(1, 2),),)), ((7,),)), (((7,),), ((_Q(1, 2),),))]
    assert states[1][1] == states[0][0]
    writer, reader = StateWriter(), StateReader()
    got = [Batch.from_bytes(batch_of([s]).to_bytes(writer), reader).states[0] for s in states]
    assert type(got[0][0][0][0]) is _P and type(got[1][1][0][0]) is _Q
    assert got == states


def _small_streams(monkeypatch: pytest.MonkeyPatch, reset_bytes: int) -> None:
    """Streams made from now on (workers fork with it) start afresh past ``reset_bytes``."""
    monkeypatch.setattr(partition, "STREAM_RESET_BYTES", reset_bytes)


def _system() -> tuple[SystemModel, CheckOptions]:
    model = SystemModel(Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1))
    return model, Checker(model).deadlock(False).reduction().bfs_options()


@pytest.mark.parametrize("reset_bytes", [1, 4096, partition.STREAM_RESET_BYTES])
@pytest.mark.parametrize("jobs", [2, 3])
def test_a_system_search_over_streams_gives_the_one_core_answers(monkeypatch, jobs, reset_bytes):
    _small_streams(monkeypatch, reset_bytes)
    model, options = _system()
    one = check_bfs(model, options)
    many = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert counts(many) == counts(one)
    assert examples(many) == examples(one)
    assert many.traffic[1] > 100  # states did cross
    assert many.ok and one.ok


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize(
    ("model", "options"),
    [
        (Grid(6, limit=5), CheckOptions(check_deadlock=False)),
        (Noisy(6, 3, limit=4, needed=2), CheckOptions()),
    ],
)
def test_a_counterexample_over_small_streams_is_the_one_core_one(monkeypatch, jobs, model, options):
    _small_streams(monkeypatch, 64)
    one = check_bfs(model, options)
    many = check_parallel(model, options, ScaleOptions(jobs=jobs))
    assert path(many) == path(one) and path(one) is not None
    assert counts(many) == counts(one)


@pytest.mark.parametrize("resume_jobs", [2])
def test_a_system_search_resumed_from_a_checkpoint_matches_the_uninterrupted_one(
    tmp_path, monkeypatch, resume_jobs
):
    """A checkpoint is written at a level's end, when every stream has started afresh: the
    resumed partitions' streams start with their first batches."""
    _small_streams(monkeypatch, 8192)
    model, options = _system()
    whole = check_parallel(model, options, ScaleOptions(jobs=2))
    folder = tmp_path / "ckpt"
    cut = Checker(model).deadlock(False).reduction().depth(6).bfs_options()
    scale = ScaleOptions(jobs=2, checkpoint=folder, checkpoint_every_s=0)
    first = check_parallel(model, cut, scale)
    assert not first.complete
    resumed = check_parallel(model, options, ScaleOptions(jobs=resume_jobs, resume=folder))
    assert counts(resumed) == counts(whole)
    assert examples(resumed) == examples(whole)


def test_a_memory_bound_and_a_hand_over_keep_the_answers_over_streams(tmp_path, monkeypatch):
    _small_streams(monkeypatch, 4096)
    model, options = _system()
    one = check_bfs(model, options)
    scale = ScaleOptions(jobs=2, memory_bytes=20_000, spill_dir=tmp_path / "spill", handover=50)
    many = check_parallel(model, options, scale)
    assert counts(many) == counts(one)
    assert examples(many) == examples(one)
