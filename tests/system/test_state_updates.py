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


#: The compiled updates of the groups the steps rewrite per state, by group.
COMPILED_UPDATES = {
    state.SystemState: state.state_with,
    state.Server: state.server_with,
    state.Election: state.election_with,
    state.Leader: state.leader_with,
    state.Learner: state.learner_with,
    state.Network: state.network_with,
    state.Ghost: state.ghost_with,
    state.Recorder: state.recorder_with,
}


def _values(group: type, which: int) -> tuple:
    """A record's fields, each of its annotated kind (compiled updates check kinds), and
    different for ``which`` 0 and 1: ints, bools, and tuples for the rest."""
    values = []
    for name in group._fields:
        # a ForwardRef from the sources (their annotations are strings), a type compiled
        annotation = group.__annotations__[name]
        kind = getattr(annotation, "__forward_arg__", None) or getattr(annotation, "__name__", "")
        if kind.startswith("bool"):
            values.append(bool(which))
        elif kind.startswith("int"):
            values.append(which + 1)
        else:
            values.append((name,) * (which + 1))
    return tuple(values)


@pytest.mark.parametrize("group", list(COMPILED_UPDATES), ids=lambda g: g.__name__)
def test_each_compiled_update_is_replace(group):
    """``server_with(srv, f=v)`` and the others give what ``srv._replace(f=v)`` gives, field
    by field and all at once, of the group's own type: so a field added, dropped or moved in
    a group cannot leave its update building another record."""
    update = COMPILED_UPDATES[group]
    before, other = group(*_values(group, 0)), _values(group, 1)
    for name, value in zip(group._fields, other, strict=True):
        after = update(before, **{name: value})
        assert type(after) is group
        assert after == before._replace(**{name: value}) != before
    everything = dict(zip(group._fields, other, strict=True))
    assert update(before, **everything) == before._replace(**everything) == other
    assert update(before) == before and type(update(before)) is group
    with pytest.raises(TypeError):
        update(before, no_such_field=1)
