"""Fault schedules, how to draw them, and how to run one to a verdict.

A schedule is a cluster shape, a scheduler seed and a timed list of operations: client writes,
crashes (keeping or losing unsynced writes), restarts, partitions that cut or freeze a link,
heals, and slow links. :func:`draw_schedule` builds one from any integer source, so
Hypothesis (which shrinks failures) and the long-run soak (a seeded ``random.Random``) share
it. :func:`run_schedule` runs it, then heals everything, restarts every server, writes once
more and waits for all servers to agree; the checker raises on the first broken property.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from impl.core.peer import ZabPeer
from impl.core.quorum import Cluster
from impl.core.roles import Phase, Role
from impl.core.switches import NONE, Switches
from impl.core.tunables import Tunables
from impl.sim.checks import Checker, Violation
from impl.sim.world import US, SimOptions, World
from impl.trace.recorder import TraceFile

DrawInt = Callable[[int, int], int]
"""Returns an integer in [lo, hi]."""


@dataclass(frozen=True, slots=True)
class Op:
    at_ms: int
    kind: str
    a: int
    b: int = 0
    x: int = 0

    def __str__(self) -> str:
        if self.kind == "heal-all":
            return f"{self.at_ms}ms heal-all"
        base = self.kind.removesuffix("-leader")
        target = "leader" if self.kind.endswith("-leader") else str(self.a)
        if base in ("cut", "freeze", "heal", "slow"):
            target += f"-{self.b}"
        detail = {
            "write": f" x{self.x}",
            "slow": f" x{self.x}",
            "crash": " (keeps unsynced)" if self.x else "",
            "crash-when-fixed": f" (within {self.x}ms)",
            "isolate": " (cut)" if self.x else " (freeze)",
        }.get(base, "")
        return f"{self.at_ms}ms {base} {target}{detail}"


@dataclass(frozen=True, slots=True)
class Schedule:
    seed: int
    voters: int
    observers: int
    ops: tuple[Op, ...]
    snapshot_every: int = 10_000
    latency_scale: int = 1
    """Multiplies every network latency: slow networks widen the windows faults hit."""
    fsync_scale: int = 1

    @property
    def cluster(self) -> Cluster:
        n = self.voters + self.observers
        return Cluster(tuple(range(1, self.voters + 1)), tuple(range(self.voters + 1, n + 1)))

    def __str__(self) -> str:
        ops = "; ".join(str(op) for op in self.ops) or "no faults"
        return (
            f"seed {self.seed}, {self.voters} voters + {self.observers} observers, "
            f"snapshot every {self.snapshot_every}, latency x{self.latency_scale}, "
            f"fsync x{self.fsync_scale}: {ops}"
        )


WEIGHTS = (
    ("write", 6),
    ("write-leader", 5),
    ("crash", 2),
    ("crash-leader", 2),
    ("restart", 3),
    ("cut", 2),
    ("freeze", 1),
    ("isolate-leader", 2),
    ("heal", 2),
    ("heal-all", 1),
    ("slow", 1),
)


def draw_schedule(draw: DrawInt, *, max_ops: int = 40, horizon_ms: int = 6_000) -> Schedule:
    """Operations come in clusters (a few ms apart) separated by longer gaps, so that crashes
    and partitions often land while proposals are in flight."""
    seed = draw(0, 2**32 - 1)
    voters = 5 if draw(0, 3) == 0 else 3
    observers = draw(0, 1)
    n = voters + observers
    snapshot_every = (3, 5, 50)[draw(0, 2)]
    latency_scale = (1, 1, 4, 12)[draw(0, 3)]
    fsync_scale = (1, 1, 3)[draw(0, 2)]
    total = sum(w for _, w in WEIGHTS)
    ops = []
    at = draw(0, 300)
    for _ in range(draw(min(5, max_ops), max_ops)):
        at += draw(0, 6) if draw(0, 2) else draw(0, 600)
        if at > horizon_ms:
            break
        pick = draw(1, total)
        kind = next(k for k, w in _cumulative(WEIGHTS) if pick <= w)
        a = draw(1, n)
        b = draw(1, n - 1)
        b = b + 1 if b >= a else b
        x = draw(2, 30) if kind == "slow" else draw(1, 4) if "write" in kind else draw(0, 1)
        ops.append(Op(at, kind, a, b, x))
    return Schedule(seed, voters, observers, tuple(ops), snapshot_every, latency_scale, fsync_scale)


def _cumulative(weights: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    out, running = [], 0
    for kind, weight in weights:
        running += weight
        out.append((kind, running))
    return out


SIM_TUNABLES = Tunables(
    tick_ms=50, init_limit=20, sync_limit=6, notify_ms=100, notify_max_ms=800, finalize_wait_ms=50
)


@dataclass
class Outcome:
    schedule: Schedule
    checker: Checker
    world: World
    writes: int = 0
    acknowledged: int = 0
    settle_ms: int = 0
    locked_out: tuple[int, ...] = ()
    """Servers left out at the end because they accepted an epoch above the leader's: each
    refuses its LEADERINFO until another election (ZooKeeper's ``registerWithLeader``)."""


def run_schedule(
    schedule: Schedule,
    *,
    keep_notes: bool = False,
    settle_ms: int = 60_000,
    checker: Checker | None = None,
    trace: TraceFile | None = None,
    switches: Switches = NONE,
) -> Outcome:
    """Run ``schedule``; raises :class:`Violation` (with the schedule in the message) if a
    property breaks or the healed cluster does not converge within ``settle_ms``. ``trace``
    records every step; ``switches`` are bug switches for every server."""
    checker = checker or Checker()
    tunables = Tunables(**{**_fields(SIM_TUNABLES), "snapshot_every": schedule.snapshot_every})
    base = SimOptions()
    options = SimOptions(
        latency_us=_scaled(base.latency_us, schedule.latency_scale),
        fsync_us=_scaled(base.fsync_us, schedule.fsync_scale),
    )
    world = World(
        schedule.cluster,
        schedule.seed,
        tunables=tunables,
        options=options,
        listener=checker,
        keep_notes=keep_notes,
        trace=trace,
        switches=switches,
    )
    outcome = Outcome(schedule, checker, world)
    try:
        _run(world, schedule, outcome, settle_ms)
    except Violation as exc:
        raise Violation(f"{exc}\n  schedule: {schedule}") from None
    return outcome


def _scaled(bounds: tuple[int, int], factor: int) -> tuple[int, int]:
    return (bounds[0] * factor, bounds[1] * factor)


def _fields(t: Tunables) -> dict[str, int]:
    return {name: getattr(t, name) for name in t.__slots__}


def _leader(world: World) -> int | None:
    for sid in world.cluster.servers:
        peer = world.servers[sid].peer
        if peer is not None and peer.role == Role.LEADING:
            return sid
    return None


def _apply_op(world: World, op: Op, outcome: Outcome, request_id: int) -> int:
    """Carry out one operation; returns the last request id used."""
    target: int | None = op.a
    if op.kind.endswith("-leader"):
        target = _leader(world)
        if target is None:
            return request_id
    assert target is not None
    kind = op.kind.removesuffix("-leader")
    if kind == "write":
        for _ in range(op.x):
            request_id += 1
            outcome.writes += world.submit(target, request_id, b"w%d" % request_id)
    elif kind == "crash":
        world.crash(target, keep_unsynced=bool(op.x))
    elif kind == "crash-when-fixed":
        _crash_when_epoch_fixed(world, target, op.x)
    elif kind == "restart":
        if not world.alive(target):
            world.start(target)
    elif kind in ("cut", "freeze"):
        world.partition(target, op.b, kind)
    elif kind == "isolate":
        for other in world.cluster.servers:
            if other != target:
                world.partition(target, other, "cut" if op.x else "freeze")
    elif kind == "heal":
        world.heal(target, op.b)
    elif kind == "heal-all":
        for a, b in world.links:
            world.heal(a, b)
    elif kind == "slow":
        world.set_slow(target, op.b, op.x)
    else:
        raise ValueError(f"unknown operation {op.kind!r}")
    return request_id


def _crash_when_epoch_fixed(world: World, sid: int, wait_ms: int) -> None:
    """Run on, 1 ms at a time for up to ``wait_ms``, until ``sid`` leads and has fixed a new
    epoch that no quorum has acked yet; then crash it (losing unsynced writes): it has
    accepted an epoch that its LEADERINFOs, lost with its links, gave no one else."""
    deadline = world.now + wait_ms * US
    while world.now < deadline:
        peer = world.servers[sid].peer
        ld = peer.leader_state if peer is not None else None
        if ld is not None and ld.new_epoch is not None and peer.phase == Phase.DISCOVERY:
            world.crash(sid, keep_unsynced=False)
            return
        world.run_until(world.now + US)


def _joined(peers: dict[int, ZabPeer]) -> tuple[int, dict[int, ZabPeer], tuple[int, ...]] | None:
    """The one leader every server serves under, the servers that do, and those locked out;
    None while there is no such leader. A server whose acceptedEpoch is above the leader's
    epoch refuses its LEADERINFO, as ZooKeeper's learner does (``registerWithLeader``), and
    stays out until another election: it is locked out, not unconverged."""
    leaders = {p.leader for p in peers.values() if p.leader is not None}
    if len(leaders) != 1:
        return None
    (leader,) = leaders
    epoch = peers[leader].current_epoch
    inside: dict[int, ZabPeer] = {}
    out = []
    for sid, p in peers.items():
        if p.leader is None and p.accepted_epoch > epoch:
            out.append(sid)
        elif p.leader != leader:
            return None
        else:
            inside[sid] = p
    return leader, inside, tuple(out)


def _run(world: World, schedule: Schedule, outcome: Outcome, settle_ms: int) -> None:
    servers = world.cluster.servers
    for sid in servers:
        world.start(sid)
    request_id = 0
    for op in schedule.ops:
        world.run_until(op.at_ms * US)
        request_id = _apply_op(world, op, outcome, request_id)
    # Heal the world, then require progress and agreement.
    end = world.now
    for a, b in world.links:
        world.heal(a, b)
        world.set_slow(a, b, 1)
    for sid in servers:
        if not world.alive(sid):
            world.start(sid)
    deadline = end + settle_ms * US
    finals: set[tuple[int, int]] = set()
    last_final = -1
    while world.now < deadline:
        world.run_until(world.now + 50 * US)
        peers = {sid: world.servers[sid].peer for sid in servers}
        if any(p is None for p in peers.values()):
            continue
        joined = _joined(cast(dict[int, ZabPeer], peers))
        if joined is None:
            continue
        leader, inside, out = joined
        if not finals & outcome.checker.acknowledged.keys():
            if last_final < 0 or world.now - last_final > 1000 * US:
                request_id += 1
                world.submit(leader, request_id, b"final")
                finals.add((leader, request_id))
                last_final = world.now
            continue
        committed = {p.committed for p in inside.values()}
        if len(committed) == 1:
            outcome.settle_ms = (world.now - end) // US
            outcome.acknowledged = len(outcome.checker.acknowledged)
            outcome.locked_out = out
            outcome.checker.final(inside)
            return
    states = ", ".join(
        f"{sid}:{p.role.name}/{p.phase.name}" if (p := world.servers[sid].peer) else f"{sid}:down"
        for sid in servers
    )
    raise Violation(f"no convergence within {settle_ms}ms after healing ({states})")
