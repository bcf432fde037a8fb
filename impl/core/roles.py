"""Roles, ZAB phases, and every transition between them, in one table (h11's ``_state.py``).

A server's (role, phase) changes only through :func:`transition` (a step calls
``Context.enter(trigger)``); a pair that the table does not list is a bug in the core and
raises :class:`LocalProtocolError`. What a phase starts with on entry is keyed by the same
triggers (``impl.core.routes.ENTRY``: a new leader waits for learners, a learner connects);
the peer runs it once the step that took the trigger is done.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from impl.core.errors import LocalProtocolError


class Role(IntEnum):
    """The server states of Fast Leader Election (ZooKeeper's ``ServerState``)."""

    LOOKING = 0
    FOLLOWING = 1
    LEADING = 2
    OBSERVING = 3


class Phase(IntEnum):
    """ZAB's phases (ZooKeeper's ``ZabState``)."""

    ELECTION = 0
    DISCOVERY = 1
    SYNCHRONIZATION = 2
    BROADCAST = 3


class Trigger(Enum):
    ELECTED_LEADER = "the election chose this server"
    ELECTED_FOLLOWER = "the election chose another voter, and this server votes"
    ELECTED_OBSERVER = "the election chose a leader, and this server only observes"
    EPOCH_ACCEPTED = "the learner accepted the leader's LEADERINFO"
    EPOCH_ESTABLISHED = "a quorum acked the leader's new epoch"
    NEWLEADER_ACKED = "a quorum acked NEWLEADER"
    UPTODATE = "the learner received UPTODATE"
    GIVE_UP = "leader or quorum lost, or the protocol broke: back to the election"


State = tuple[Role, Phase]

TRANSITIONS: dict[tuple[Role, Phase, Trigger], State] = {
    (Role.LOOKING, Phase.ELECTION, Trigger.ELECTED_LEADER): (Role.LEADING, Phase.DISCOVERY),
    (Role.LOOKING, Phase.ELECTION, Trigger.ELECTED_FOLLOWER): (Role.FOLLOWING, Phase.DISCOVERY),
    (Role.LOOKING, Phase.ELECTION, Trigger.ELECTED_OBSERVER): (Role.OBSERVING, Phase.DISCOVERY),
    (Role.LEADING, Phase.DISCOVERY, Trigger.EPOCH_ESTABLISHED): (
        Role.LEADING,
        Phase.SYNCHRONIZATION,
    ),
    (Role.LEADING, Phase.SYNCHRONIZATION, Trigger.NEWLEADER_ACKED): (Role.LEADING, Phase.BROADCAST),
    **{
        (learner, Phase.DISCOVERY, Trigger.EPOCH_ACCEPTED): (learner, Phase.SYNCHRONIZATION)
        for learner in (Role.FOLLOWING, Role.OBSERVING)
    },
    **{
        (learner, Phase.SYNCHRONIZATION, Trigger.UPTODATE): (learner, Phase.BROADCAST)
        for learner in (Role.FOLLOWING, Role.OBSERVING)
    },
    **{
        (role, phase, Trigger.GIVE_UP): (Role.LOOKING, Phase.ELECTION)
        for role in (Role.FOLLOWING, Role.LEADING, Role.OBSERVING)
        for phase in (Phase.DISCOVERY, Phase.SYNCHRONIZATION, Phase.BROADCAST)
    },
}


def transition(role: Role, phase: Phase, trigger: Trigger) -> State:
    """The (role, phase) after ``trigger``; a trigger the table does not allow is a core bug."""
    try:
        return TRANSITIONS[role, phase, trigger]
    except KeyError:
        raise LocalProtocolError(
            f"no transition from {role.name}/{phase.name} on {trigger.name}"
        ) from None
