"""The sans-IO core driven directly (h11's test_state style): the transition table, the
leader's choice of DIFF/TRUNC/SNAP, what a learner refuses, and the observable steps."""

from __future__ import annotations

import random

import pytest

from impl.core import sync
from impl.core.durable import Durable
from impl.core.effects import (
    AppendTxns,
    Disconnect,
    EffectRunner,
    Note,
    NoteReceived,
    Observed,
    Send,
    TruncateLog,
)
from impl.core.errors import LocalProtocolError
from impl.core.events import MessageReceived, NoteToLeader, WriteSubmitted
from impl.core.messages import (
    Ack,
    AckNewLeader,
    Commit,
    Diff,
    LearnerNote,
    NewLeader,
    Proposal,
    Snap,
    Snapshot,
    Trunc,
    Txn,
    UpToDate,
)
from impl.core.peer import ZabPeer
from impl.core.quorum import Cluster
from impl.core.roles import TRANSITIONS, Phase, Role, Trigger, transition
from impl.core.state import LeaderState, LearnerSession, LearnerState
from impl.core.steps import STEPS, SWITCH_ONLY
from impl.core.zxid import make_zxid
from impl.server.runtime import ServerRuntime
from impl.sim.checks import Checker
from impl.sim.faults import draw_schedule, run_schedule
from impl.sim.world import US, SimEffects, World

THREE = Cluster((1, 2, 3))


def z(epoch: int, counter: int) -> int:
    return make_zxid(epoch, counter)


def history(*runs: tuple[int, int]) -> tuple[Txn, ...]:
    return tuple(Txn(z(e, c), 1, c, b"") for e, n in runs for c in range(1, n + 1))


def test_transitions_outside_the_table_are_local_errors() -> None:
    assert transition(Role.LOOKING, Phase.ELECTION, Trigger.ELECTED_LEADER) == (
        Role.LEADING,
        Phase.DISCOVERY,
    )
    with pytest.raises(LocalProtocolError, match="no transition from LOOKING/ELECTION on UPTODATE"):
        transition(Role.LOOKING, Phase.ELECTION, Trigger.UPTODATE)
    assert all(role != Role.LOOKING for role, _, t in TRANSITIONS if t == Trigger.GIVE_UP)


def test_feeding_something_that_is_not_an_event_is_a_local_error() -> None:
    peer = ZabPeer(1, THREE)
    peer.start()
    with pytest.raises(LocalProtocolError):
        peer.handle("hello")  # type: ignore[arg-type]


def leader_with(txns: tuple[Txn, ...], committed: int, snapshot_zxid: int = 0) -> ZabPeer:
    """A leader of epoch 3 in broadcast holding ``txns`` (a white-box setup for sync)."""
    peer = ZabPeer(1, THREE, durable=Durable(3, 3, None, txns))
    peer.ctx.role, peer.ctx.phase = Role.LEADING, Phase.BROADCAST
    peer.ctx.committed = committed
    if snapshot_zxid:
        peer.history.compact(snapshot_zxid)
    peer.ctx.leader_state = LeaderState(new_epoch=3)
    return peer


@pytest.mark.parametrize(
    ("peer_last", "mode", "start", "committed_sent", "outstanding_sent"),
    [
        (z(2, 2), Diff, z(2, 2), 0, 1),  # same as the leader's committed log
        (z(1, 2), Diff, z(1, 2), 2, 1),  # behind, in memory
        (z(2, 3), Trunc, z(2, 2), 0, 1),  # ahead of the committed log: outstanding resent
        (z(1, 3), Trunc, z(1, 2), 2, 1),  # a proposal the leader skipped
        (z(0, 0), Diff, z(0, 0), 4, 1),  # empty
    ],
)
def test_the_leader_chooses_diff_or_trunc_from_the_learners_last_zxid(
    peer_last: int, mode: type, start: int, committed_sent: int, outstanding_sent: int
) -> None:
    leader = leader_with(history((1, 2), (2, 3)), committed=z(2, 2))
    leader.leader_state.learners[2] = LearnerSession(2, False, 2, True, True, peer_last)
    sync.leader_sync_follower(leader.ctx, 2)
    sent = [e.message for e in leader.ctx.out if isinstance(e, Send)]
    assert sent[0] == mode(3, start)
    assert sum(isinstance(m, Commit) for m in sent) == committed_sent
    assert sum(isinstance(m, Proposal) for m in sent) == committed_sent + outstanding_sent
    assert sent[-1] == NewLeader(3)


def test_the_leader_sends_its_snapshot_to_a_learner_behind_its_log() -> None:
    leader = leader_with(history((1, 5)), committed=z(1, 5), snapshot_zxid=z(1, 3))
    leader.leader_state.learners[2] = LearnerSession(2, False, 1, True, True, z(1, 1))
    sync.leader_sync_follower(leader.ctx, 2)
    first = next(e.message for e in leader.ctx.out if isinstance(e, Send))
    assert isinstance(first, Snap)
    assert first.snapshot.zxid == z(1, 5) and first.snapshot.runs == ((1, 5),)


def follower_in_broadcast(txns: tuple[Txn, ...], committed: int) -> ZabPeer:
    peer = ZabPeer(2, THREE, durable=Durable(3, 3, None, txns))
    peer.start()
    peer.ctx.role, peer.ctx.phase = Role.FOLLOWING, Phase.BROADCAST
    peer.ctx.learner = LearnerState(leader=1, epoch=3, sent_info=True, newleader_acked=True)
    peer.ctx.committed = committed
    return peer


def errors_and_disconnects(effects: list) -> tuple[list[str], list[int]]:
    notes = [e.text for e in effects if isinstance(e, Note) and e.level == "error"]
    return notes, [e.peer for e in effects if isinstance(e, Disconnect)]


def test_a_follower_takes_proposals_only_from_its_leader_and_its_epoch() -> None:
    peer = follower_in_broadcast(history((3, 1)), committed=z(3, 1))
    effects = peer.handle(MessageReceived(3, Proposal(3, Txn(z(3, 2), 3, 1, b""))))
    notes, dropped = errors_and_disconnects(effects)
    assert dropped == [3] and "who is not our leader" in notes[0]
    assert peer.role == Role.FOLLOWING and peer.history.last_zxid == z(3, 1)
    effects = peer.handle(MessageReceived(1, Proposal(2, Txn(z(3, 2), 1, 1, b""))))
    notes, dropped = errors_and_disconnects(effects)
    assert "of epoch 2, but our leader's epoch is 3" in notes[0]
    assert dropped == [1] and peer.role == Role.LOOKING
    assert peer.history.last_zxid == z(3, 1)


def test_a_proposal_that_skips_a_zxid_is_refused() -> None:
    peer = follower_in_broadcast(history((3, 1)), committed=z(3, 1))
    effects = peer.handle(MessageReceived(1, Proposal(3, Txn(z(3, 3), 1, 1, b""))))
    notes, _ = errors_and_disconnects(effects)
    assert "proposal 3:3 does not follow 3:1" in notes[0]
    assert peer.role == Role.LOOKING


def test_a_learner_refuses_to_truncate_committed_txns() -> None:
    peer = follower_in_broadcast(history((1, 4)), committed=z(1, 3))
    peer.ctx.phase = Phase.SYNCHRONIZATION
    effects = peer.handle(MessageReceived(1, Trunc(3, z(1, 2))))
    notes, _ = errors_and_disconnects(effects)
    assert "TRUNC to 1:2 refused" in notes[0]
    assert not any(isinstance(e, TruncateLog) for e in effects)
    assert peer.history.last_zxid == z(1, 4)


def test_a_learner_truncates_uncommitted_txns() -> None:
    peer = follower_in_broadcast(history((1, 4)), committed=z(1, 2))
    peer.ctx.phase = Phase.SYNCHRONIZATION
    effects = peer.handle(MessageReceived(1, Trunc(3, z(1, 2))))
    assert TruncateLog(z(1, 2)) in effects
    assert peer.history.last_zxid == z(1, 2)
    snap = Snapshot(z(2, 1), ((1, 2), (2, 1)), b"")
    notes, dropped = errors_and_disconnects(peer.handle(MessageReceived(1, Snap(3, snap))))
    assert "a second DIFF/TRUNC/SNAP in one sync" in notes[0] and dropped == [1]


def test_observed_steps_are_emitted_only_when_recording() -> None:
    quiet = ZabPeer(1, THREE).start()
    assert not any(isinstance(e, Observed) for e in quiet)
    loud = ZabPeer(1, THREE, record=True).start()
    (step,) = [e for e in loud if isinstance(e, Observed)]
    assert step.step == "NodeStart" and step.args == (1,)
    assert step.state.role == Role.LOOKING and step.state.vote == (1, 0, 0, 1)


def test_writes_before_a_leader_is_known_are_refused_not_lost() -> None:
    peer = ZabPeer(1, THREE)
    peer.start()
    (result,) = peer.handle(WriteSubmitted(7, b"x"))
    assert result.request_id == 7 and result.zxid is None and result.error == "not-ready"


def run_world(cluster: Cluster, writes: int) -> tuple[World, list[tuple[int, object]]]:
    world = World(cluster, seed=3)
    sent: list[tuple[int, object]] = []
    original = world._send

    def spy(src: int, dst: int, message: object) -> None:
        sent.append((src, message))
        original(src, dst, message)

    world._send = spy  # type: ignore[method-assign]
    for sid in cluster.servers:
        world.start(sid)
    world.run_until(3_000 * US)
    for n in range(writes):
        world.submit(1 + n % len(cluster.servers), n + 1, b"w")
        world.run_until(world.now + 20 * US)
    world.run_until(world.now + 2_000 * US)
    return world, sent


def test_observers_learn_every_commit_but_never_ack_or_vote() -> None:
    cluster = Cluster((1, 2, 3), (4,))
    world, sent = run_world(cluster, writes=12)
    observer = world.servers[4].peer
    assert observer is not None and observer.role == Role.OBSERVING
    assert observer.committed == world.servers[1].peer.committed == z(1, 12)
    from_observer = {type(m).__name__ for src, m in sent if src == 4}
    assert "Ack" not in from_observer and "Request" in from_observer
    leader = next(p.peer for p in world.servers.values() if p.peer.role == Role.LEADING)
    assert all(4 not in acks for acks in leader.leader_state.outstanding.values())
    assert 4 not in leader.leader_state.electing


class StepsSeen(Checker):
    def __init__(self, seen: set[str]) -> None:
        super().__init__()
        self.seen = seen

    def observed(self, event: Observed) -> None:
        self.seen.add(event.step)
        super().observed(event)


def test_every_step_is_in_the_vocabulary_and_the_simulator_takes_them_all() -> None:
    seen: set[str] = set()
    for seed in range(60):
        run_schedule(draw_schedule(random.Random(seed).randint), checker=StepsSeen(seen))
    assert seen == set(STEPS) - SWITCH_ONLY


def test_both_adapters_carry_out_every_effect() -> None:
    for runner in (SimEffects, ServerRuntime):
        assert all(hasattr(runner, method) for method in EffectRunner.METHODS.values())


def test_the_leader_stamps_each_txn_with_its_clock_at_proposal() -> None:
    leader = leader_with(history((3, 1)), committed=z(3, 1))
    leader.leader_state.learners[2] = LearnerSession(2, False, 3, synced=True)
    leader.leader_state.next_counter = 2
    effects = leader.handle(WriteSubmitted(5, b"p"), now_ms=1_234)
    (append,) = [e for e in effects if isinstance(e, AppendTxns)]
    (proposal,) = [e.message for e in effects if isinstance(e, Send)]
    assert append.txns[0].time_ms == 1_234 == proposal.txn.time_ms
    assert append.txns[0].zxid == z(3, 2)


def test_notes_to_the_leader_reach_its_application_only_in_broadcast() -> None:
    follower = follower_in_broadcast(history((3, 1)), committed=z(3, 1))
    assert follower.handle(NoteToLeader(b"s")) == [Send(1, LearnerNote(3, b"s"))]
    leader = leader_with(history((3, 1)), committed=z(3, 1))
    leader.leader_state.learners[2] = LearnerSession(2, False, 3, synced=True)
    assert leader.handle(MessageReceived(2, LearnerNote(3, b"s"))) == [NoteReceived(2, b"s")]
    assert leader.handle(NoteToLeader(b"own")) == [NoteReceived(1, b"own")]
    notes, dropped = errors_and_disconnects(leader.handle(MessageReceived(3, LearnerNote(3, b""))))
    assert dropped == [3] and "learner note from 3 out of turn" in notes[0]
    looking = ZabPeer(1, THREE)
    looking.start()
    assert looking.handle(NoteToLeader(b"s")) == []


def leader_in_sync(learners: tuple[int, ...]) -> ZabPeer:
    """A leader of epoch 3 that has sent NEWLEADER to ``learners`` (a white-box setup)."""
    peer = ZabPeer(1, THREE, durable=Durable(3, 3, None, history((2, 1))), record=True)
    peer.ctx.role, peer.ctx.phase = Role.LEADING, Phase.SYNCHRONIZATION
    peer.ctx.leader_state = LeaderState(new_epoch=3)
    for j in learners:
        peer.leader_state.learners[j] = LearnerSession(j, False, 3, True, True, z(2, 1), True)
    return peer


def test_the_first_ack_after_newleader_is_read_as_the_ack_of_newleader() -> None:
    """ZooKeeper has one ACK type: the leader takes a learner's first ACK after NEWLEADER for
    the ACK of NEWLEADER. A proposal's ACK there (a learner with ZOOKEEPER-4685) counts for
    nothing, the learner's ACK of NEWLEADER after it is ignored, and the leader starts once a
    quorum's ACK of NEWLEADER came first."""
    leader = leader_in_sync((2, 3))
    leader.handle(MessageReceived(2, Ack(3, z(2, 1))))
    assert leader.role == Role.LEADING and leader.leader_state.acked_newleader == set()
    leader.handle(MessageReceived(2, AckNewLeader(3)))  # ignored: read after another ACK
    assert leader.phase == Phase.SYNCHRONIZATION and leader.leader_state.acked_newleader == set()
    effects = leader.handle(MessageReceived(3, AckNewLeader(3)))
    assert leader.phase == Phase.BROADCAST
    uptodate = sorted(e.peer for e in effects if isinstance(e, Send) and e.message == UpToDate(3))
    assert uptodate == [2, 3]  # 2's handler waited for the leader to start


def test_a_leader_whose_quorum_can_no_longer_ack_newleader_gives_up() -> None:
    leader = leader_in_sync((2,))
    effects = leader.handle(MessageReceived(2, Ack(3, z(2, 1))))
    assert leader.role == Role.LOOKING
    steps = [e.step for e in effects if isinstance(e, Observed)]
    assert steps == ["LeaderProcessACKLD"]  # the giving up is that step's
