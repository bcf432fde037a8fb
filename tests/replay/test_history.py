"""A recorded history (:class:`~zabmc.replay.trace.History`) is the value it spells: built
by any changes (keep a prefix, append), each one equals the tuple of its zxids, histories
built before it keep theirs, and the prefix two histories are said to share without being
looked at is one they do share."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zabmc.replay.trace import History

ZXIDS = st.tuples(st.integers(0, 2), st.integers(0, 3))  # few values: tails often repeat
CHANGES = st.lists(
    st.tuples(st.integers(0, 1), st.floats(0, 1), st.lists(ZXIDS, max_size=4)), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(CHANGES)
def test_changes_build_the_histories_they_spell(changes):
    # each change: from the latest history or one built earlier (a branch), keep a
    # fraction of it, then append
    built: list[tuple[History, tuple]] = [(History(), ())]
    for branch, fraction, append in changes:
        h, spelled = built[-1] if branch == 0 else built[len(built) // 2]
        keep = int(fraction * len(spelled))
        built.append((h.changed(keep, tuple(append)), spelled[:keep] + tuple(append)))
    for h, spelled in built:  # every history, the early ones too, still spells its zxids
        assert h == spelled
        assert tuple(h) == spelled and len(h) == len(spelled)
        assert hash(h) == hash(spelled)
        assert h[1:3] == spelled[1:3]
        if spelled:
            assert h[-1] == spelled[-1] and h[0] == spelled[0]
    for a, x in built:
        for b, y in built[-5:]:
            n = a.shared(b)
            assert a[:n] == b[:n] == x[:n] == y[:n]  # shared is a prefix both hold
            assert (a == b) == (x == y)


def test_an_unchanged_history_is_itself_and_a_change_shares_the_store():
    h = History([(1, 1), (1, 2)])
    assert h.changed(2, ()) is h
    longer = h.changed(2, ((1, 3),))
    assert longer.shared(h) == 2
    cut = longer.changed(1, ())
    assert cut == ((1, 1),) and cut.shared(longer) == 1
    # a different tail after a cut: the kept prefix goes to a store of its own, and the
    # longer history still holds its own tail
    other = cut.changed(1, ((2, 1),))
    assert other == ((1, 1), (2, 1)) and longer == ((1, 1), (1, 2), (1, 3))
    assert other.shared(longer) == 0
    # the same tail again after a cut is the store's own: shared, not copied
    again = cut.changed(1, ((1, 2), (1, 3)))
    assert again.shared(longer) == 3 and again == longer


def test_a_history_keeps_no_more_than_it_has_and_pickles_as_its_zxids():
    h = History([(1, 1)])
    with pytest.raises(ValueError, match="keeps 2 of a history of 1"):
        h.changed(2, ())
    with pytest.raises(IndexError):
        h[1]
    longer = h.changed(1, ((1, 2),))
    copy = pickle.loads(pickle.dumps(h))
    assert copy == h and copy.shared(longer) == 0 and len(copy._store) == 1


def test_same_entries_is_equality_of_the_prefixes_whatever_the_objects():
    """The binding's check that a spec log kept a prefix: equality of the prefixes, whether
    the entries are the same objects or equal ones, never by the ends alone."""
    from zabmc.replay.bindings.system import same_entries

    log = tuple((1, k) for k in range(200))
    appended = (*log, (1, 200))
    assert same_entries(appended, log, 200)  # the same objects
    assert same_entries(tuple([(1, k) for k in range(200)]), log, 200)  # equal, not the same
    middle = (*log[:100], (1, 1_000), *log[101:])  # the same ends, not the same middle
    assert middle[-1] is log[-1] and not same_entries(middle, log, 200)
    assert same_entries(middle, log, 100) and not same_entries(middle, log, 101)
    assert not same_entries(log[:50], log, 60)  # longer than one of them: not equal
