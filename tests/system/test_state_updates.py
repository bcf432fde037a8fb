"""The system spec's state groups update field by field (``_replace``) exactly as a
NamedTuple's generic ``_replace`` would: the faster one in spec/system/state.py changes only
the named fields, keeps the type, and refuses a field the group does not have."""

from __future__ import annotations

import pytest

from spec.system import state

GROUPS = [
    state.Txn,
    state.Server,
    state.Vote,
    state.Notification,
    state.ReceivedVote,
    state.Election,
    state.Leader,
    state.Learner,
    state.Network,
    state.ProposalRecord,
    state.Breach,
    state.Ghost,
    state.Recorder,
    state.SystemState,
]


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.__name__)
def test_replace_changes_exactly_the_named_fields(group):
    fields = group._fields
    before = group(*range(len(fields)))
    for k, name in enumerate(fields):
        after = before._replace(**{name: -5})
        assert type(after) is group
        assert after == tuple(-5 if m == k else m for m in range(len(fields)))
    everything = before._replace(**{name: (name,) for name in fields})
    assert everything == tuple((name,) for name in fields)
    assert before._replace() == before
    with pytest.raises(TypeError):
        before._replace(no_such_field=1)
