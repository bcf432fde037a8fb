"""Fault runs of real servers under kazoo clients, checked by the linearizability checker: the
clean implementation's history passes under every fault, and each planted bug (a switch of
``impl.core.switches``) gives a history the checker rejects within the test's seeded run."""

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


@pytest.mark.slow
def test_the_clean_service_loses_nothing_to_power_loss_on_a_slow_disk(tmp_path: Path) -> None:
    """The counterpart of ack-before-fsync's run: the same faults and disk, no switch."""
    summary = fault_run(
        tmp_path,
        11,
        duration=10,
        faults=("power-loss",),
        quiet=(0.8, 1.2),
        hold=(1.5, 2.0),
        fsync_delay_ms=30,
    )
    assert summary.faults["power-loss"] >= 2 and summary.lost_writes == 0
    assert checked(summary).outcome == "linearizable"


#: Each planted bug, the fault that lets it show, and how slow the disk is (ms per fsync).
PLANTED = {
    # followers ack before their log is on disk: two such acks commit a write that a power
    # loss then takes from both, and they elect each other while the old leader is down
    "ack-before-fsync": (("power-loss",), 30),
    # the isolated leader commits alone and answers; the majority's new leader never had it
    "commit-without-quorum": (("isolate-leader",), 0),
    # the isolated leader answers writes it only proposed; they are lost with its epoch
    "answer-before-commit": (("isolate-leader",), 0),
    # the isolated leader answers sync from its own state while the majority moves on
    "stale-leader-reads": (("isolate-leader",), 0),
}


@pytest.mark.slow
@pytest.mark.parametrize("mutation", sorted(PLANTED))
def test_a_planted_bug_gives_a_history_the_checker_rejects(tmp_path: Path, mutation: str) -> None:
    faults, fsync_ms = PLANTED[mutation]
    summary = fault_run(
        tmp_path,
        11,
        duration=15,
        clients=8,  # so that every server, the one that leads included, has clients
        faults=faults,
        mutations=(mutation,),
        quiet=(0.5, 0.8),
        hold=(1.5, 2.0),
        final_wait=5,
        fsync_delay_ms=fsync_ms,
    )
    assert summary.faults[faults[0]] >= 1, summary
    verdict = checked(summary)
    assert verdict.outcome == "violation", (verdict.reason, summary)
    assert any(o.status == "ok" for o in verdict.witness)
