"""Real server processes with kill -9 and restart (impl.server.recorded_runs): one trace file
per server, merged by Lamport clock; each run conforms to the system spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from impl.server.recorded_runs import record_process_run
from zabmc.replay.check import replay
from zabmc.replay.merge import load

RUNS = [
    (scenario, attempt) for scenario in ("follower-restart", "leader-restart") for attempt in (1, 2)
]


@pytest.mark.parametrize(("scenario", "attempt"), RUNS)
def test_a_real_run_with_kill_9_and_restart_conforms(tmp_path: Path, scenario: str, attempt: int):
    files = record_process_run(scenario, tmp_path / "run", run=f"{scenario}-{attempt}")
    assert len(files) == 3
    (trace,) = load([str(f) for f in files])
    crashes = [e for e in trace.events if e.action == "NodeCrash"]
    restarts = [e for e in trace.events if e.action == "NodeStart"]
    assert crashes and len(restarts) > 3, "the run has its kill -9 and restart"
    verdict = replay(trace)
    assert verdict.conforms, verdict.line()
    assert verdict.events == len(trace.events)
