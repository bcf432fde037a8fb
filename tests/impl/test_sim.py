"""The deterministic simulator: Hypothesis draws fault schedules (crashes, restarts,
partitions, slow links, message timing) and every run must keep the four properties of
``impl.sim.checks``; the properties are shown to bite on deliberately broken cores."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl.core import broadcast, routes, sync
from impl.core.messages import Diff, Trunc
from impl.core.quorum import Cluster
from impl.sim.checks import Violation
from impl.sim.faults import Op, Schedule, draw_schedule, run_schedule


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_fault_schedules_keep_every_property(data: st.DataObject) -> None:
    schedule = draw_schedule(lambda lo, hi: data.draw(st.integers(lo, hi)))
    run_schedule(schedule)


def test_the_same_seed_gives_the_same_run() -> None:
    schedule = draw_schedule(random.Random(11).randint)
    first, second = run_schedule(schedule, keep_notes=True), run_schedule(schedule, keep_notes=True)
    assert first.world.notes == second.world.notes
    assert first.world.events_run == second.world.events_run
    assert first.checker.committed == second.checker.committed
    other = Schedule(schedule.seed + 1, *list(vars_of(schedule))[1:])
    assert run_schedule(other, keep_notes=True).world.notes != first.world.notes


def vars_of(schedule: Schedule) -> Iterator[object]:
    return (getattr(schedule, name) for name in schedule.__slots__)


def test_the_properties_are_exercised_not_vacuous() -> None:
    """Across seeded schedules: writes are acknowledged, learners truncate and install
    snapshots, proposals get skipped, and epochs pile up."""
    totals: Counter[str] = Counter()
    for seed in range(150):
        outcome = run_schedule(draw_schedule(random.Random(seed).randint))
        totals.update(outcome.world.stats)
        totals["acknowledged"] += outcome.acknowledged
        totals["skipped txns"] += len(outcome.checker.dropped_by)
        totals["epochs"] = max(totals["epochs"], max(outcome.checker.broadcast_epochs))
    assert totals["acknowledged"] > 500
    assert totals["TruncateLog"] > 10 and totals["InstallSnapshot"] > 10
    assert totals["skipped txns"] > 10 and totals["epochs"] >= 5


@contextmanager
def patched(module: object, name: str, replacement: Callable[..., None]) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, replacement)
    routes.HANDLERS = routes._table()
    try:
        yield
    finally:
        setattr(module, name, original)
        routes.HANDLERS = routes._table()


def first_violation(schedules: int) -> str | None:
    for seed in range(schedules):
        try:
            run_schedule(draw_schedule(random.Random(seed).randint))
        except Violation as exc:
            return str(exc)
    return None


def test_a_learner_that_ignores_trunc_is_caught() -> None:
    original = sync.follower_process_sync_message

    def ignore_trunc(p, j, m):  # type: ignore[no-untyped-def]
        original(p, j, Diff(m.epoch, p.history.last_zxid) if isinstance(m, Trunc) else m)

    with patched(sync, "follower_process_sync_message", ignore_trunc):
        found = first_violation(400)
    assert found is not None and "prefix consistency" in found


def test_a_leader_that_commits_without_a_quorum_is_caught() -> None:
    class AnyOne(Cluster):
        def is_quorum(self, sids):  # type: ignore[no-untyped-def]
            return bool(set(sids))

    original = broadcast.try_to_commit

    def hasty(p):  # type: ignore[no-untyped-def]
        cluster, p.cluster = p.cluster, AnyOne(p.cluster.voters, p.cluster.observers)
        try:
            original(p)
        finally:
            p.cluster = cluster

    with patched(broadcast, "try_to_commit", hasty):
        found = first_violation(600)
    assert found is not None


def test_a_skipped_proposal_is_truncated_and_stays_gone() -> None:
    """Server 3 leads and logs two writes that never leave it, then every link it has is cut;
    1 and 2 elect a leader of a new epoch and commit; when 3 returns it must drop both."""
    ops = [Op(1000, "freeze", 3, 1), Op(1000, "freeze", 3, 2), Op(1001, "write", 3, 0, 2)]
    ops += [Op(1005, "cut", 3, 1), Op(1005, "cut", 3, 2), Op(2500, "write", 1, 0, 3)]
    ops += [Op(4000, "heal", 3, 1), Op(4000, "heal", 3, 2)]
    outcome = run_schedule(Schedule(5, 3, 0, tuple(ops)), keep_notes=True)
    assert len(outcome.checker.dropped_by) == 2
    assert outcome.world.stats["TruncateLog"] >= 1
    assert any("dropped 2 uncommitted txns" in line for line in outcome.world.notes or [])
    assert all(ident[0] != 3 for ident in outcome.checker.committed)


@pytest.mark.parametrize("voters", [3, 5])
def test_a_quiet_cluster_elects_the_highest_id_and_commits(voters: int) -> None:
    ops = tuple(Op(500 + 10 * i, "write", 1 + i % voters, x=1) for i in range(20))
    outcome = run_schedule(Schedule(1, voters, 1, ops))
    assert outcome.acknowledged == 21  # the twenty writes and the final one
    assert outcome.checker.epoch_leader == {1: voters}


def test_no_timer_fires_before_its_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """A timer set again after it fired or was cancelled fires at its own time: a queue
    entry of an older setting of it never fires it (the token of each setting is new)."""
    from impl.sim import world as sim

    due: dict[tuple, int] = {}
    early: list[tuple] = []
    fired = 0
    set_timer, fire = sim.SimEffects.on_set_timer, sim.World._timer

    def on_set_timer(self: sim.SimEffects, e) -> None:  # type: ignore[no-untyped-def]
        set_timer(self, e)
        token = self.server.timers[e.timer]
        due[self.sid, self.server.incarnation, e.timer, token] = (
            self.world.now + e.delay_ms * sim.US
        )

    def timer(self: sim.World, sid: int, incarnation: int, t, token: int) -> None:  # type: ignore[no-untyped-def]
        nonlocal fired
        server = self.servers[sid]
        if server.incarnation == incarnation and server.timers.get(t) == token:
            fired += 1
            if self.now < due[sid, incarnation, t, token]:
                early.append((sid, t, token, self.now))
        fire(self, sid, incarnation, t, token)

    monkeypatch.setattr(sim.SimEffects, "on_set_timer", on_set_timer)
    monkeypatch.setattr(sim.World, "_timer", timer)
    for seed in range(40):
        run_schedule(draw_schedule(random.Random(seed).randint))
    assert fired > 2000 and early == []
