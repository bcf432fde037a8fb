"""What each property reads (spec.system.property_parts), checked on every step of several
state spaces: a step that changes none of the parts a property reads leaves its value as it
was. The reduction relies on it wherever it takes a step alone as invisible."""

from __future__ import annotations

import pytest

from spec.system import Params, SystemModel
from spec.system.property_parts import PROPERTY_READS, parts_changed
from tests.system.helpers import reachable_states


def misread(model: SystemModel, reads: dict[str, frozenset[str]]) -> list[str]:
    """The properties whose value some step changes though it changes none of their
    ``reads``, over every step of every reachable state (violations included)."""
    states = reachable_states(model)
    props = list(model.properties())
    found: set[str] = set()
    for s in states:
        values = {p.name: p.condition(s) for p in props}
        for _, t in model.successors(s):
            changed = parts_changed(s, t)
            for p in props:
                unread = p.name not in found and not changed & reads[p.name]
                if unread and p.condition(t) != values[p.name]:
                    found.add(p.name)
    return sorted(found)


CONFIGS = [
    dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug="ZK-3911"),
    dict(voters=2, max_txns=2, max_timeouts=2, max_epoch=3, bug="ZK-2845"),  # violations
    dict(voters=2, observers=1, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True),
    pytest.param(  # about ten seconds
        dict(
            voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug="ZK-3911"
        ),
        marks=pytest.mark.slow,
    ),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_a_step_that_changes_no_part_a_property_reads_keeps_its_value(kw):
    model = SystemModel(Params(**kw))
    assert {p.name for p in model.properties()} <= set(PROPERTY_READS)
    assert misread(model, PROPERTY_READS) == []


@pytest.mark.parametrize(
    ("prop", "part"),
    [
        ("ProcessConsistency", "learners.nl_received"),  # taking NEWLEADER makes a log checked
        ("PrefixConsistency", "delivered"),
        ("FollowerDelivers", "delivered"),
    ],
)
def test_a_part_left_out_of_a_property_s_reads_is_caught(prop, part):
    """The check can fail: a property declared without a part it reads is caught."""
    model = SystemModel(Params(voters=2, max_txns=2, max_timeouts=2, max_epoch=3, bug="ZK-2845"))
    reads = dict(PROPERTY_READS)
    reads[prop] = reads[prop] - {part}
    assert misread(model, reads) == [prop]
