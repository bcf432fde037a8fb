"""Exhaustive checks of small configurations: every reachable state, no violation, no
deadlock, every witness reached. The counts are pinned so that a change to the spec's
behaviour shows up here first.
"""

from __future__ import annotations

import pytest

from spec.system.model import SystemModel
from spec.system.params import Params
from zabmc.engine import CheckOptions, check_bfs


@pytest.mark.parametrize(
    ("params", "states", "unreached"),
    [
        # Fast Leader Election step by step: two voters, one fault of each kind (517 and 401
        # while a decided sender's notification carried its ghost own vote, never read)
        (Params(voters=2, max_timeouts=0, max_crashes=1), 509, {"SyncByTRUNC"}),
        (Params(voters=2, max_timeouts=1), 393, {"SyncByTRUNC"}),
        (Params(voters=2, max_timeouts=0, max_partitions=1), 112, {"SyncByTRUNC", "SyncBySNAP"}),
        # the coarse election: three voters, a crash and a restart
        (Params(max_timeouts=0, max_crashes=1, coarse_election=True), 21_833, set()),
    ],
)
def test_every_state_is_checked(params, states, unreached):
    result = check_bfs(SystemModel(params), CheckOptions())
    assert result.ok and result.complete
    assert result.distinct_states == states
    assert {name for name, found in result.examples.items() if found is None} == unreached


def test_stopping_for_want_of_timeouts_is_a_final_state_not_a_deadlock():
    """Without timeouts a server may wait forever for a leader it decided for; that is
    the end of a bounded run, and one more timeout would let it go on."""
    model = SystemModel(Params(voters=2, max_timeouts=0))
    ends = []
    result = check_bfs(model, CheckOptions(on_state=lambda s: ends.append(s)))
    assert result.ok and result.complete
    terminal = [s for s in ends if not any(True for _ in model.successors(s))]
    assert terminal and all(model.is_final(s) for s in terminal)
