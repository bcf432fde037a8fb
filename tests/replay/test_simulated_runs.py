"""Fresh simulator runs with fault schedules Hypothesis draws (crashes that keep or lose
unsynced writes, restarts, cut and frozen links, slow links, writes at any server, with and
without an observer, 3 or 5 voters): each is recorded and replayed, and conforms."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl.sim.faults import draw_schedule
from impl.sim.record import record_schedule
from zabmc.replay.check import replay
from zabmc.replay.merge import load

RUNS = 200


@settings(
    max_examples=RUNS,
    deadline=None,
    derandomize=True,  # the same 200 schedules every run: a failure reproduces
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_recorded_simulator_runs_conform(data: st.DataObject) -> None:
    def draw(lo: int, hi: int) -> int:
        return data.draw(st.integers(lo, hi))

    schedule = draw_schedule(draw, max_ops=16, horizon_ms=3_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.jsonl"
        recorded = record_schedule(schedule, path, settle_ms=20_000)
        assert recorded.violation is None, recorded.violation
        (trace,) = load([str(path)])
        verdict = replay(trace)
    assert verdict.conforms, f"{verdict.line()}\n  schedule: {schedule}"
    assert verdict.events == recorded.events
