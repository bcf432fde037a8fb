"""The partitioned search reaches TLC's figures too, on every core count.

The oracle is TLC's own count (tests/protocol/test_tlc_parity.py has where each
figure comes from); the search must reach it with one partition and with several.
"""

from __future__ import annotations

import pytest

from spec.protocol import Params
from spec.protocol.tlc_compat import TlcCompatModel
from tests.protocol.test_tlc_parity import TLC_FIGURES
from zabmc.engine import CheckOptions
from zabmc.engine.parallel import ScaleOptions, check_parallel

# row 1 of shared/tlc/README.md, a symmetric row, and one with restarts
ROWS = [TLC_FIGURES[0], TLC_FIGURES[2], TLC_FIGURES[7]]


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize(("bounds", "symmetry", "view", "distinct", "generated", "depth"), ROWS)
def test_partitioned_counts_equal_tlc(jobs, bounds, symmetry, view, distinct, generated, depth):
    model = TlcCompatModel(Params(3, *bounds), view=view)
    result = check_parallel(
        model, CheckOptions(check_deadlock=False, symmetry=symmetry), ScaleOptions(jobs=jobs)
    )
    assert (result.distinct_states, result.states_generated, result.max_depth + 1) == (
        distinct,
        generated,
        depth,
    )
    assert result.ok and result.complete
