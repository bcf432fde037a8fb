"""Liveness: the tick that pings learners and ends silent sessions, connections coming and
going, and a leader's quorum check (ZooKeeper's ``Leader.lead`` loop and ``LearnerHandler``
pings, with ``initLimit`` and ``syncLimit`` counted in ticks).
"""

from __future__ import annotations

from impl.core import discovery, election
from impl.core.context import Context
from impl.core.effects import SetTimer
from impl.core.events import Timer
from impl.core.messages import Ping
from impl.core.roles import Phase, Role


def tick(c: Context) -> None:
    """A learner counts its leader's silence; a leader pings its learners, counts theirs,
    and gives up without a quorum synced in time."""
    t = c.tunables
    c.emit(SetTimer(Timer.TICK, t.tick_ms))
    if c.learner is not None:
        c.learner.silent_ticks += 1
        limit = t.sync_limit if c.phase == Phase.BROADCAST else t.init_limit
        if c.learner.silent_ticks > limit:
            election.give_up(c, f"no word from leader {c.learner.leader} for {limit} ticks")
        return
    ld = c.leader_state
    assert ld is not None
    epoch = ld.new_epoch or 0
    for session in list(ld.learners.values()):
        if c.role != Role.LEADING:
            return
        session.silent_ticks += 1
        limit = t.sync_limit if session.uptodate else t.init_limit
        if session.silent_ticks > limit:
            drop_learner(c, session.sid, f"silent for {limit} ticks")
        else:
            c.send(session.sid, Ping(epoch))
    if c.role != Role.LEADING:
        return
    ld.ticks += 1
    if c.phase != Phase.BROADCAST and ld.ticks > t.init_limit:
        election.give_up(c, f"no quorum synced within {t.init_limit} ticks")
    else:
        check_quorum(c)


def drop_learner(c: Context, j: int, reason: str) -> None:
    ld = c.leader_state
    assert ld is not None
    ld.learners.pop(j, None)
    c.note("warning", f"dropping learner {j}: {reason}")
    c.disconnect(j)
    check_quorum(c)


def check_quorum(c: Context) -> None:
    """A leader in broadcast needs a quorum of voters synced with it, itself included."""
    ld = c.leader_state
    if ld is None or c.phase != Phase.BROADCAST:
        return
    synced = {c.sid} | {s.sid for s in ld.learners.values() if s.synced}
    if not c.cluster.is_quorum(synced):
        election.give_up(c, f"lost the quorum (synced: {sorted(synced)})")


def connected(c: Context, j: int) -> None:
    """A connection to ``j`` is up: a LOOKING server sends it its vote; a learner whose
    leader it is registers (FOLLOWERINFO)."""
    c.connected.add(j)
    if c.role == Role.LOOKING and c.cluster.is_voter(j):
        c.send(j, election.notification(c))
    elif c.learner is not None and j == c.learner.leader and not c.learner.sent_info:
        discovery.connect_and_send_followerinfo(c)


def disconnected(c: Context, j: int) -> None:
    """The connection to ``j`` is gone: losing the leader means a new election; losing a
    learner ends its session."""
    c.connected.discard(j)
    c.early_info.pop(j, None)
    if c.learner is not None and j == c.learner.leader:
        election.give_up(c, f"lost the connection to leader {j}")
    elif c.leader_state is not None and j in c.leader_state.learners:
        drop_learner(c, j, "connection lost")
