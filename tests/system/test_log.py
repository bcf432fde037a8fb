"""The system spec's logs (spec/system/log.py): a long log is a chunked :class:`Log` that
must behave exactly as the tuple of its entries (length, indexing, slicing, order,
equality, hash), however it was built, so that a state's equality and fingerprint, and so
the checker's counts, do not depend on it; and growing it must not copy it."""

from __future__ import annotations

import pickle
from bisect import bisect_left

from hypothesis import given, settings
from hypothesis import strategies as st

from spec.system.log import (
    CHUNK,
    LONG,
    Log,
    append,
    concat,
    insert,
    log_of,
    put_entry,
    search,
)
from spec.system.state import Txn
from zabmc.engine.encoding import StateCodec, fingerprint

entries = st.builds(Txn, st.integers(0, 40), st.integers(-3, 3))


def _pseudo_random(length: int, seed: int) -> tuple[Txn, ...]:
    """``length`` entries from a small alphabet (a long list drawn entry by entry would be
    slow to draw, and rarely drawn)."""
    return tuple(Txn((seed + 7919 * k) % 41, (seed + k) % 7 - 3) for k in range(length))


#: Short contents, and long ones on both sides of LONG, over a few chunk boundaries.
contents = st.one_of(
    st.lists(entries, max_size=6).map(tuple),
    st.builds(
        _pseudo_random,
        st.one_of(st.integers(0, LONG + 3 * CHUNK), st.integers(LONG - 2, LONG + 3 * CHUNK)),
        st.integers(0, 1 << 16),
    ),
)


@st.composite
def built(draw: st.DrawFn) -> tuple[object, tuple]:
    """A log and its entries, built by a random mix of the ways the spec builds one (appends,
    batches, prefixes, entry updates, insertions), with hashes asked for on the way (so that
    some chunks' folds are kept and some not)."""
    log: object = log_of(draw(contents))
    model = tuple(log)  # type: ignore[arg-type]
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["append", "concat", "prefix", "put", "insert", "hash"]))
        if op == "append":
            for x in draw(st.lists(entries, max_size=2 * CHUNK)):
                log, model = append(log, x), (*model, x)  # type: ignore[arg-type]
        elif op == "concat":
            more = tuple(draw(st.lists(entries, max_size=CHUNK + 3)))
            log, model = concat(log, more), model + more  # type: ignore[arg-type]
        elif op == "prefix":
            k = draw(st.integers(0, len(model)))
            log, model = log[:k], model[:k]  # type: ignore[index]
        elif op == "put" and model:
            k, x = draw(st.integers(0, len(model) - 1)), draw(entries)
            log, model = put_entry(log, k, x), (*model[:k], x, *model[k + 1 :])  # type: ignore[arg-type]
        elif op == "insert":
            k, x = draw(st.integers(0, len(model) + 2)), draw(entries)
            log, model = insert(log, k, x), (*model[:k], x, *model[k:])  # type: ignore[arg-type]
        elif op == "hash":
            hash(log)
    return log, model


@settings(max_examples=150, deadline=None)
@given(built())
def test_a_log_is_the_tuple_of_its_entries(pair):
    log, model = pair
    # the rule the functions keep: a tuple while short, a Log from LONG entries on
    assert type(log) is (tuple if len(model) < LONG else Log)
    for seq in (log, Log(model)):  # as built, and a Log of any length
        assert len(seq) == len(model) and bool(seq) == bool(model)
        assert tuple(seq) == model and list(reversed(seq)) == list(reversed(model))
        assert seq == model and model == seq
        assert (seq != model) is False and (model != seq) is False
        assert hash(seq) == hash(model)
        assert fingerprint((1, seq)) == fingerprint((1, model))
        for i in range(-len(model), len(model)):
            assert seq[i] == model[i]
        for x in model[:5]:
            assert x in seq and seq.index(x) == model.index(x)
        assert Txn(99, 0) not in seq
        if model:  # a log differing in its last entry only, or one entry longer, differs
            other = put_entry(seq, len(model) - 1, Txn(99, 0))
            assert other != seq and other == (*model[:-1], Txn(99, 0)) and other != model
            assert append(seq, model[-1]) != seq and seq != append(seq, model[-1])


@settings(max_examples=100, deadline=None)
@given(built(), st.data())
def test_slices_are_the_tuples_slices(pair, data):
    log, model = pair
    n = len(model)
    start = data.draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
    stop = data.draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
    step = data.draw(st.sampled_from([None, 1, 2, -1, 3]))
    part = log[start:stop:step]
    assert part == model[start:stop:step] and hash(part) == hash(model[start:stop:step])
    assert len(part) == len(model[start:stop:step])


@settings(max_examples=100, deadline=None)
@given(built(), built())
def test_equality_order_and_hash_depend_only_on_the_entries(a, b):
    (x, xs), (y, ys) = a, b
    assert (x == y) == (xs == ys)
    assert (x < y) == (xs < ys) and (x <= y) == (xs <= ys)
    assert (x > ys) == (xs > ys) and (x >= ys) == (xs >= ys)
    if xs == ys:
        assert hash(x) == hash(y)
    rebuilt = Log(xs)  # the same entries, built at once (no folds kept, new chunks)
    assert rebuilt == x and hash(rebuilt) == hash(x) == hash(xs)
    assert x + ys == xs + ys and xs + y == xs + ys


@settings(max_examples=100, deadline=None)
@given(contents.map(lambda xs: tuple(sorted(xs))), entries)
def test_search_is_bisect_left(model, probe):
    probes = [probe, *set(model), *((z,) for z in range(-1, 43))]  # each entry, each zxid
    for log in (log_of(model), Log(model)):
        for x in probes:
            assert search(log, x) == bisect_left(model, x)


def test_appending_to_a_long_log_shares_its_chunks_instead_of_copying_them():
    chunks = LONG // CHUNK + 10
    log: object = ()
    for k in range(chunks * CHUNK + 3):
        log = append(log, Txn(k, k))
    longer = append(log, Txn(-1, -1))
    assert type(longer) is Log and len(longer._chunks) == chunks
    assert all(c is d for c, d in zip(longer._chunks, log._chunks, strict=True))
    assert longer._tail[:3] == log._tail  # only the tail was copied
    # a prefix shares the chunks before its end; equality with it looks at them by identity
    prefix = longer[: (chunks - 3) * CHUNK + 5]
    assert len(prefix._chunks) == chunks - 3
    assert all(c is d for c, d in zip(prefix._chunks, log._chunks, strict=False))
    assert prefix == log[: (chunks - 3) * CHUNK + 5]
    # filling the tail makes a chunk; the earlier ones stay the same objects
    for k in range(CHUNK):
        longer = append(longer, Txn(k, -k))
    assert len(longer._chunks) == chunks + 1
    assert all(c is d for c, d in zip(longer._chunks, log._chunks, strict=False))


def test_a_state_with_a_long_log_packs_pickles_and_fingerprints_as_with_a_tuple():
    entries_ = tuple(Txn(k, k % 5) for k in range(LONG + 3 * CHUNK + 7))
    log = log_of(entries_)
    state = (1, (log, True), Txn(2, 3))
    back = StateCodec().unpack(StateCodec().pack(state))
    assert back == state and type(back[1][0]) is Log
    assert fingerprint(state) == fingerprint((1, (entries_, True), Txn(2, 3)))
    again = pickle.loads(pickle.dumps(log))
    assert again == log and type(again) is Log
