"""Fault runs of real servers under kazoo clients, checked by the linearizability checker: the
clean implementation's history passes under every fault, and each planted bug (a switch of
``impl.core.mutations``) gives a history the checker rejects within the test's seeded run."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from zabmc.faultrun.nemesis import FAULTS
from zabmc.faultrun.run import RunSummary, fault_run
from zabmc.lincheck.check import Verdict, check
from zabmc.lincheck.history import read_history

logging.getLogger("kazoo").setLevel(logging.CRITICAL)


def checked(summary: RunSummary) -> Verdict:
    return check(read_history(summary.history))


def test_the_clean_service_stays_linearizable_and_durable_under_every_fault(
    tmp_path: Path,
) -> None:
    summary = fault_run(tmp_path, 7, duration=9, faults=FAULTS, quiet=(0.5, 1.0), hold=(0.8, 1.5))
    assert sum(summary.faults.values()) >= 3, summary.faults
    assert summary.operations["ok"] > 300
    assert summary.notes == []
    assert summary.lost_writes == 0 and summary.acknowledged_writes > 50
    verdict = checked(summary)
    assert verdict.outcome == "linearizable", verdict.reason


#: Each planted bug, and the fault that lets it show.
PLANTED = {
    # the isolated leader commits alone and answers; the majority's new leader never had it
    "commit-without-quorum": ("isolate-leader",),
    # the isolated leader answers writes it only proposed; they are lost with its epoch
    "answer-before-commit": ("isolate-leader",),
    # the isolated leader answers sync from its own state while the majority moves on
    "stale-leader-reads": ("isolate-leader",),
}


@pytest.mark.slow
@pytest.mark.parametrize("mutation", sorted(PLANTED))
def test_a_planted_bug_gives_a_history_the_checker_rejects(tmp_path: Path, mutation: str) -> None:
    summary = fault_run(
        tmp_path,
        11,
        duration=10,
        faults=PLANTED[mutation],
        mutations=(mutation,),
        quiet=(0.8, 1.2),
        hold=(1.5, 2.0),
        final_wait=5,
    )
    assert summary.faults[PLANTED[mutation][0]] >= 2
    verdict = checked(summary)
    assert verdict.outcome == "violation", verdict.reason
    assert any(o.status == "ok" for o in verdict.witness)
