"""Each bug switch of the implementation (impl.core.switches) on a run that exercises it
(impl.sim.mutation_runs finds one: the trace shows the planted bug) makes replay diverge,
and the same schedule with the switch off conforms."""

from __future__ import annotations

from pathlib import Path

import pytest

from impl.core.switches import MUTATIONS, STALE_EPOCH
from impl.sim.mutation_runs import MUTANT_RUNS, find_run
from impl.sim.record import record_schedule
from tests.lincheck.test_faults import PLANTED
from zabmc.replay.check import replay
from zabmc.replay.merge import load

#: Where each switch shows first: what replay reports (the kind of mismatch, the action).
EXPECTED = {
    "ack-before-fsync": ("disabled", "LeaderProcessACK"),  # an ACK the follower had not synced
    "commit-without-quorum": ("state", "LeaderProcessACK"),  # lastCommitted ahead of the spec
    "skip-trunc": ("state", "FollowerProcessNEWLEADER"),  # entries past the TRUNC point kept
    "ZK-3911": ("state", "FollowerProcessNEWLEADER"),  # NEWLEADER acked, the txns not logged
    STALE_EPOCH: ("state", "FollowerProcessLEADERINFO"),  # following a leader of a stale epoch
}


def replayed(path: Path):
    (trace,) = load([str(path)])
    return replay(trace)


def test_every_switch_is_exercised_by_a_run_or_by_a_counterexample():
    """A switch without a recorded run here is a spec variant driven along the spec's
    counterexample through impl (tests/drive), or a fault only clients can see, caught by the
    linearizability checker's fault runs (tests/lincheck/test_faults.py)."""
    driven = {"ZK-2845", "ZK-4643", "ZK-4646", "ZK-4685"}
    assert set(MUTATIONS) == set(MUTANT_RUNS) | driven | set(PLANTED)
    assert not set(MUTANT_RUNS) & driven
    assert {"answer-before-commit", "stale-leader-reads"} <= set(PLANTED)


@pytest.mark.parametrize("mutation", sorted(MUTANT_RUNS))
def test_a_run_with_the_switch_diverges_and_without_it_conforms(tmp_path: Path, mutation: str):
    found = find_run(mutation, tmp_path / "on.jsonl", range(1, 21))
    assert found is not None, f"no run exercises {mutation}"
    seed, _ = found
    verdict = replayed(tmp_path / "on.jsonl")
    assert verdict.divergence is not None, f"{mutation}: {verdict.line()}"
    d = verdict.divergence
    assert (d.mismatch.kind, d.action) == EXPECTED[mutation], verdict.line()

    off = record_schedule(MUTANT_RUNS[mutation].schedules(seed), tmp_path / "off.jsonl")
    assert off.violation is None
    without = replayed(tmp_path / "off.jsonl")
    assert without.conforms, without.line()
    if mutation == STALE_EPOCH:
        # Without the switch server 3, its acceptedEpoch above the elected leader's epoch,
        # refuses that leader's LEADERINFO and stays out, as ZooKeeper's learner does.
        assert off.outcome is not None and off.outcome.locked_out == (3,)
