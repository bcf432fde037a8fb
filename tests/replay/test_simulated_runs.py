"""Fresh simulator runs with fault schedules Hypothesis draws (crashes that keep or lose
unsynced writes, restarts, cut and frozen links, slow links, writes at any server, with and
without an observer, 3 or 5 voters): each is recorded and replayed, and conforms. So do
2,000 fault-heavy runs drawn as ``bench/sim_conformance.py`` draws them (slow-marked)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
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


FAULT_HEAVY_OPS = 25
FAULT_HEAVY_RUNS = 2_000


def replayed_run(seed: int, directory: Path) -> str | None:
    """Record fault-heavy run ``seed`` and replay it: None if it conforms, else why not."""
    schedule = draw_schedule(random.Random(seed).randint, max_ops=FAULT_HEAVY_OPS)
    path = directory / f"sim-{seed}.jsonl"
    recorded = record_schedule(schedule, path, settle_ms=20_000)
    if recorded.violation is not None:
        return f"seed {seed}: {recorded.violation}"
    (trace,) = load([str(path)])
    verdict = replay(trace)
    return None if verdict.conforms else f"seed {seed}: {verdict.line()}"


@pytest.mark.parametrize("seed", [957, 1409])
def test_a_followerinfo_sent_in_one_term_is_not_taken_in_the_next(tmp_path: Path, seed: int):
    """In these runs an observer sends FOLLOWERINFO to a leader that gives up before it
    arrives and is elected again; the connection outlives the term. ZooKeeper's leader closes
    every learner connection when it shuts down, and so must ours, or it takes that
    FOLLOWERINFO in its next term (a step the spec does not allow)."""
    assert replayed_run(seed, tmp_path) is None


def test_a_followerinfo_sent_before_its_leader_led_needs_its_learner_still_there(tmp_path: Path):
    """In run 2757 server 2 sends FOLLOWERINFO to server 3 while 3 is still LOOKING, then
    crashes, and 3 leads before it hears of the crash. ZooKeeper's learner cannot connect
    before its leader leads (it retries), so a learner that crashed in between never
    registers: our leader takes an early FOLLOWERINFO only once its learner answers a ping,
    and does not take server 2's (a step the spec does not allow)."""
    assert replayed_run(2757, tmp_path) is None


@pytest.mark.parametrize("seed", [2214, 5307])
def test_a_learner_that_took_newleader_finishes_it_after_its_link_is_cut(tmp_path: Path, seed: int):
    """In these runs a learner takes NEWLEADER and waits for its log to reach disk; the link
    to its leader is cut (or the leader goes) before it does. It writes currentEpoch all the
    same, as ZooKeeper's learner, which read NEWLEADER off the socket, does: the spec takes
    its FollowerProcessNEWLEADER before the cut (zabmc.replay.bindings.system)."""
    assert replayed_run(seed, tmp_path) is None


def test_a_looking_notification_that_arrives_after_its_sender_led(tmp_path: Path):
    """In run 5422 server 3 sends its vote on a new connection while LOOKING; it arrives
    after 3 leads, with 3's currentEpoch moved on. Server 1 decides on it; its sender's own
    vote in it is the one 3 had when it sent it, not its present one (else the spec's
    election check finds the decision unsound)."""
    assert replayed_run(5422, tmp_path) is None


@pytest.mark.slow
def test_fault_heavy_simulator_runs_all_conform(tmp_path: Path) -> None:
    problems = [p for seed in range(FAULT_HEAVY_RUNS) if (p := replayed_run(seed, tmp_path))]
    assert not problems, f"{len(problems)} of {FAULT_HEAVY_RUNS} diverge:\n" + "\n".join(
        problems[:10]
    )
