"""The system spec's fast paths give what their plain definitions give, on every state of
small configurations (the coarse election's bug-hunt shape, and the fine-grained election
with a timeout and a crash).

Each plain definition below is the code the fast path replaced, as it read: a fast path
may be rewritten for speed, never for meaning.
"""

from __future__ import annotations

import pytest

from spec.system.constants import LOOKING
from spec.system.independence import (
    ACKLD_READ_SHIFT,
    CONNECTED_SHIFT,
    DECIDED_SHIFT,
    QUEUED_SHIFT,
    SystemMovers,
    unanswered_notes,
    zab_weight,
)
from spec.system.params import Params
from spec.system.state import SystemState
from tests.system.helpers import state_space

#: The configurations whose every state is checked.
CONFIGS = [
    dict(voters=3, max_txns=1, max_timeouts=0, max_crashes=1, coarse_election=True, bug="ZK-3911"),
    dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1, bug="ZK-3911"),
]


def config_id(kw: dict) -> str:
    return "-".join(f"{k}={v}" for k, v in kw.items())


def progress_as_written(state: SystemState, p: Params) -> int:
    """:meth:`SystemMovers.progress` as its docstring defines it: sums over the groups."""
    queued = sum([len(el.queue) for el in state.elections]) << QUEUED_SHIFT
    queued += unanswered_notes(state, p)
    read = sum([ld.ackld_live.bit_count() for ld in state.leaders]) << ACKLD_READ_SHIFT
    read += sum([ld.learners.bit_count() for ld in state.leaders]) << CONNECTED_SHIFT
    read += sum([srv.online and srv.state != LOOKING for srv in state.servers]) << DECIDED_SHIFT
    return read - queued - sum([zab_weight(m[0]) for c in state.network.msgs for m in c])


@pytest.mark.parametrize("kw", CONFIGS, ids=config_id)
def test_progress_is_the_measure_as_written(kw):
    model, states = state_space(**kw)
    movers = SystemMovers(model.params, [])
    values = set()
    for s in states:
        assert movers.progress(s) == progress_as_written(s, model.params), s
        values.add(movers.progress(s))
    assert len(values) > 10  # the measure tells states apart: a constant would pass above
