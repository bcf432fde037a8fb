"""Which step takes what: each message by (role, phase, message type), and the entry of each
phase a trigger leads to. The peer looks both up; the steps never see these tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from impl.core import broadcast, discovery, election, sync
from impl.core.context import Context
from impl.core.messages import (
    Ack,
    AckEpoch,
    AckNewLeader,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    LearnerNote,
    Message,
    NewLeader,
    Notification,
    Ping,
    Proposal,
    Request,
    Snap,
    Trunc,
    UpToDate,
)
from impl.core.roles import Phase, Role, Trigger

Handler = Callable[[Context, int, Any], None]

LEARNERS = (Role.FOLLOWING, Role.OBSERVING)
ZAB_PHASES = (Phase.DISCOVERY, Phase.SYNCHRONIZATION, Phase.BROADCAST)


def ignore(c: Context, j: int, m: Message) -> None:
    """A race, not a fault: e.g. FOLLOWERINFO reaching a server that follows someone else."""
    c.note("debug", f"ignored {type(m).__name__} from {j} while {c.role.name}")


def _stash_followerinfo(c: Context, j: int, m: FollowerInfo) -> None:
    """j decided we lead before we did: keep its FOLLOWERINFO for when we do."""
    c.early_info[j] = m


def _learner_ping(c: Context, j: int, m: Ping) -> None:
    c.send(j, Ping(m.epoch))


def _leader_ping(c: Context, j: int, m: Ping) -> None:
    """A learner's heartbeat reply: hearing it is all that matters (from a learner whose
    FOLLOWERINFO came before we led, it says the learner still follows us)."""
    if j in c.early_info:
        discovery.take_early_followerinfo(c, j)


def _table() -> dict[tuple[Role, Phase, type], Handler]:
    table: dict[tuple[Role, Phase, type], Handler] = {}

    def on(roles: Iterable[Role], phases: Iterable[Phase], kind: type, fn: Handler) -> None:
        for role in roles:
            for phase in phases:
                table[role, phase, kind] = fn

    all_roles = (Role.LOOKING, *LEARNERS, Role.LEADING)
    on(all_roles, (Phase.ELECTION, *ZAB_PHASES), Notification, election.fle_receive_notmsg)
    on((Role.LOOKING,), (Phase.ELECTION,), FollowerInfo, _stash_followerinfo)
    on(LEARNERS, ZAB_PHASES, FollowerInfo, ignore)
    on(LEARNERS, ZAB_PHASES, Ping, _learner_ping)
    on(LEARNERS, (Phase.DISCOVERY,), LeaderInfo, discovery.follower_process_leaderinfo)
    sync_phase = (Phase.SYNCHRONIZATION,)
    for kind in (Diff, Trunc, Snap):
        on(LEARNERS, sync_phase, kind, sync.follower_process_sync_message)
    on(LEARNERS, sync_phase, Proposal, sync.follower_process_proposal_in_sync)
    on(LEARNERS, sync_phase, Commit, sync.follower_process_commit_in_sync)
    on((Role.OBSERVING,), sync_phase, Inform, sync.observer_process_inform_in_sync)
    on(LEARNERS, sync_phase, NewLeader, sync.follower_process_newleader)
    on(LEARNERS, sync_phase, UpToDate, sync.follower_process_uptodate)
    on((Role.FOLLOWING,), (Phase.BROADCAST,), Proposal, broadcast.follower_process_proposal)
    on((Role.FOLLOWING,), (Phase.BROADCAST,), Commit, broadcast.follower_process_commit)
    on((Role.OBSERVING,), (Phase.BROADCAST,), Inform, broadcast.observer_process_inform)
    leading = (Role.LEADING,)
    on(leading, ZAB_PHASES, FollowerInfo, discovery.leader_process_followerinfo)
    on(leading, ZAB_PHASES, AckEpoch, discovery.leader_process_ackepoch)
    on(leading, (Phase.SYNCHRONIZATION, Phase.BROADCAST), AckNewLeader, sync.leader_process_ackld)
    on(leading, (Phase.SYNCHRONIZATION, Phase.BROADCAST), Ack, broadcast.leader_process_ack)
    on(leading, ZAB_PHASES, Request, broadcast.leader_process_request)
    on(leading, (Phase.BROADCAST,), LearnerNote, broadcast.leader_process_note)
    on(leading, ZAB_PHASES, Ping, _leader_ping)
    return table


HANDLERS = _table()
"""(role, phase, message type) -> the step that takes it. Leader-to-learner messages are
checked to come from the current leader in its epoch before their step runs."""

ENTRY: dict[Trigger, Callable[[Context], None]] = {
    Trigger.ELECTED_LEADER: discovery.lead,
    Trigger.ELECTED_FOLLOWER: discovery.follow,
    Trigger.ELECTED_OBSERVER: discovery.follow,
}
"""Trigger -> what the phase it enters starts with, run once the step that took the trigger is
done (its own step recorded first, as ZooKeeper's ``lookForLeader`` returns before
``Leader.lead`` or ``Follower.followLeader`` starts). Other triggers start nothing."""

FROM_LEADER = (LeaderInfo, Diff, Trunc, Snap, Proposal, Commit, Inform, NewLeader, UpToDate, Ping)
