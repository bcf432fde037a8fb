"""A batch of candidates on the wire: raw arrays and one pickle of the states' list."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from spec.system import Params, SystemModel
from spec.system.log import LONG, log_of
from spec.system.state import Txn
from zabmc.engine import Checker
from zabmc.engine.encoding import fingerprint
from zabmc.engine.partition import Batch, _plain_record


def system_states() -> list:
    found: list = []
    params = Params(voters=2, max_txns=1, max_timeouts=1, max_crashes=1)
    Checker(SystemModel(params)).deadlock(False).visitor(found.append).spawn_bfs()
    return found


def batch_of(states: list) -> Batch:
    n = len(states)
    return Batch(
        fps=np.array([fingerprint(s) for s in states], dtype=np.uint64),
        keys=np.arange(n, dtype=np.int64) * 7,
        parents=np.arange(n, dtype=np.uint64) + 1,
        actions=np.arange(n, dtype=np.uint16) % 3,
        free=np.arange(n) % 2 == 0,
        names=["A", "B", "C"],
        states=states,
    )


def test_a_batch_reads_back_as_it_was_written():
    states = system_states()[::5]
    sent = batch_of(states)
    got = Batch.from_bytes(sent.to_bytes())
    for name in ("fps", "keys", "parents", "actions", "free"):
        assert np.array_equal(getattr(got, name), getattr(sent, name)), name
    assert got.names == sent.names
    assert got.states == states
    # the record types, and bools apart from ints, come back: a state hashes and prints alike
    assert [repr(s) for s in got.states] == [repr(s) for s in states]
    assert [fingerprint(s) for s in got.states] == got.fps.tolist()


def test_a_long_log_crosses_as_a_log_with_the_tuple_s_hash():
    entries = tuple(Txn(k + 1, k) for k in range(LONG + 100))
    log = log_of(entries)
    assert type(log) is not tuple
    got = Batch.from_bytes(batch_of([(log, True, 1)]).to_bytes()).states[0]
    assert type(got[0]) is type(log) and got[0] == entries
    assert hash(got) == hash((entries, True, 1)) and got[1] is True


def test_parts_the_states_share_are_written_once():
    states = system_states()[-200:]
    whole = len(batch_of(states).to_bytes())
    one_by_one = sum(len(batch_of([s]).to_bytes()) for s in states)
    assert whole * 3 < one_by_one


def test_a_batch_whose_states_do_not_match_its_arrays_is_refused():
    data = batch_of(system_states()[:3]).to_bytes()
    short = batch_of(system_states()[:3])
    short.states = short.states[:2]
    with pytest.raises(ValueError, match="3 candidates carries 2 states"):
        Batch.from_bytes(short.to_bytes())
    assert len(Batch.from_bytes(data)) == 3


class _Point(NamedTuple):
    x: int
    y: int


class _Tagged(_Point):
    """A record subclass whose instances carry a __dict__: pickled the default way."""


class _Custom(NamedTuple):
    a: int

    def __reduce__(self):  # type: ignore[override]
        return (_custom_from, (self.a * 10,))


def _custom_from(ten: int) -> _Custom:
    return _Custom(ten // 10 + 1)  # visibly its own reducer: a comes back as a + 1


def test_records_cross_as_their_items_and_other_tuples_the_default_way():
    tagged = _Tagged(3, 4)
    tagged.note = "kept"  # type: ignore[attr-defined]
    states = [(_Point(1, 2), tagged, _Custom(5), (6, True))]
    got = Batch.from_bytes(batch_of(states).to_bytes()).states[0]
    assert type(got[0]) is _Point and got[0] == (1, 2)
    assert type(got[1]) is _Tagged and got[1] == (3, 4) and got[1].note == "kept"
    assert type(got[2]) is _Custom and got[2] == (6,)  # its own __reduce__ ran
    assert got[3] == (6, True) and got[3][1] is True
    assert _plain_record(_Point) and not _plain_record(_Tagged) and not _plain_record(_Custom)
    assert not _plain_record(tuple)
