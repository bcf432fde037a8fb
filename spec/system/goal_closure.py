"""Which properties a learner's persistent receipt cannot take out of their goal.

The engine takes a persistent step alone where each checked property reads nothing it
changes, or is declared *goal-closed* under it (:mod:`zabmc.engine.reduction.persistent`):
the step never takes a state that violates the invariant (or where the witness holds) to
one that does not, anywhere along the other steps' paths from where it is declared,
unless the goal holds where it is declared already. The learner receipts declared in
:mod:`spec.system.zab_persistence` change, of what the properties read
(:mod:`spec.system.property_parts`), only learner i's records, and only in these ways
(:func:`changes_are_monotone` checks each on the step itself; i stays a learner of the
same leader):

* (h) i's log is extended;
* (d) the entries i has delivered are extended, by entries it had not delivered;
* (n) i's ``nl_received`` goes from False to True;
* (b) i enters BROADCAST (its phase goes from (False, False) to (True, False));
* (m) i's sync mode goes from NONE to a mode, or from a mode to NONE.

Along the others' paths up to a state ``g`` where the step is still enabled, i's records
are those at the declaring state (only i's own steps write them, short of a step that
overwrites the receipt, which ends the argument there), so the step makes the same
changes at ``g``. Each property, violated (or witnessed) at ``g``, stays so:

* Leadership, LeaderLogCompleteness, MonotonicRead and LeaderEstablished read only leaders'
  logs, phases and epochs: i is no leader, so their values stay;
* Integrity: a delivered entry no primary broadcast is still delivered; LocalPrimaryOrder
  and GlobalPrimaryOrder: an entry delivered out of order keeps its place and what
  precedes it; PrefixConsistency: two delivered logs that differ at a position still do;
* TotalOrder: the positions of a log's entries stay as they were, since the entries
  added are new to it (the property takes an entry's last position), so a pair of
  entries delivered in two orders still is;
* PrimaryIntegrity: the leader's delivered entries stay, a learner that delivered an
  entry of an earlier epoch the leader lacks still has it, and i entering BROADCAST only
  adds i to the learners checked;
* ProcessConsistency: a learner's log that is not a prefix of its leader's is not one
  once extended, and i taking NEWLEADER only adds i to the learners checked;
* FollowerDelivers, ObserverDelivers: i's delivered entries only grow;
* SyncByDIFF, SyncByTRUNC, SyncBySNAP: a learner that shows the mode at ``g`` is not i if
  i's mode is NONE where the step is declared; if i's mode there is X, that state shows
  X already (the goal holds where declared), and a mode other than X is shown by another
  learner.

Agreement is not goal-closed under (d): a learner whose delivered set was incomparable
with another's can come to include it. A receipt that delivers is therefore taken alone
only where Agreement is not checked (``--invariant``). The four properties read from the
breach log are never written by a declared receipt (its successor shows no breach). A
property that is not the spec's own reads everything and is never declared.
"""

from __future__ import annotations

from typing import NamedTuple

from spec.system.constants import LOOKING, NO_SYNC
from spec.system.leader_persistence import CONNECT, FOLLOW
from spec.system.property_parts import PROPERTY_READS, leader_epochs, phase
from spec.system.state import Server, SystemState
from spec.system.zab_persistence import LEARNER_RECEIPTS
from zabmc.engine import Action

#: Properties not goal-closed under (d), a receipt that delivers.
NOT_CLOSED_UNDER_DELIVERY = frozenset({"Agreement"})


def _delivered(srv: Server) -> tuple:
    return srv.history[: srv.last_committed]


def changes_are_monotone(before: SystemState, after: SystemState, i: int) -> bool:
    """What the properties read of learner i changes only in the ways (h), (d), (n), (b)
    and (m) of the module's docstring (its other parts as they were)."""
    a, b = before.servers[i], after.servers[i]
    if (a.online, a.state) != (b.online, b.state) or leader_epochs(a) is not None:
        return False
    if leader_epochs(b) is not None or b.history[: len(a.history)] != a.history:
        return False
    old, new = _delivered(a), _delivered(b)
    if new[: len(old)] != old or not set(new[len(old) :]).isdisjoint(old):
        return False
    pa, pb = phase(a), phase(b)
    if pa != pb and (pa, pb) != ((False, False), (True, False)):
        return False
    la, lb = before.learners[i], after.learners[i]
    if la.leader != lb.leader or (la.nl_received and not lb.nl_received):
        return False
    return la.sync_mode == lb.sync_mode or NO_SYNC in (la.sync_mode, lb.sync_mode)


#: The properties that read what a learner's connection changes (``leaders.learners``,
#: ``learners.leader``); each checks every learner connected to its leader, so one more
#: connected can add a violation, never repair one.
CLOSED_UNDER_CONNECT = frozenset({"PrimaryIntegrity", "ProcessConsistency"})


def _only_joins(before: SystemState, action: Action, after: SystemState) -> bool:
    """Of what the properties read, the connection changes only j joining leader i's
    learners with i as its leader."""
    i, j = action.args
    lo, ln = before.leaders[i], after.leaders[i]
    return (
        ln.learners == lo.learners | 1 << j
        and after.learners[j].leader == i
        and before.learners[j].leader != i
        and after.servers is before.servers
    )


#: The properties that read what a LOOKING server's joining an established cluster changes
#: (``roles``: k goes from LOOKING to FOLLOWING or OBSERVING; see
#: :mod:`spec.system.leader_persistence`). Leadership, LeaderLogCompleteness, MonotonicRead
#: and LeaderEstablished read the roles of leaders only, PrimaryIntegrity and
#: ProcessConsistency those of learners connected to their leader (k connects only later):
#: their values stay. Agreement, FollowerDelivers and ObserverDelivers check every learner:
#: one more can add a violation or a witness, never take one away.
CLOSED_UNDER_FOLLOW = frozenset(
    {
        "Leadership",
        "LeaderLogCompleteness",
        "MonotonicRead",
        "LeaderEstablished",
        "PrimaryIntegrity",
        "ProcessConsistency",
        "Agreement",
        "FollowerDelivers",
        "ObserverDelivers",
    }
)


def _only_decides(before: SystemState, action: Action, after: SystemState) -> bool:
    """Of what the properties read, the joining changes only k's role, from LOOKING to a
    learner's, not connected to any leader."""
    k = action.args[0]
    a, b = before.servers[k], after.servers[k]
    return (
        a.online
        and b.online
        and a.state == LOOKING
        and leader_epochs(b) is None
        and phase(a) == phase(b) == (False, False)
        and (a.history, a.last_committed) == (b.history, b.last_committed)
        and after.learners == before.learners
        and after.leaders is before.leaders
        and all(after.servers[m] is before.servers[m] for m in range(len(before.servers)) if m != k)
    )


class _Judged(NamedTuple):
    """A receipt's step judged once: the states (held, so that ``is`` identifies them), the
    learner, whether its changes are monotone, and whether it delivers."""

    before: SystemState
    after: SystemState
    i: int
    monotone: bool
    delivers: bool


#: The last step judged. The engine asks about one step once per checked property that
#: reads what it changes; the judgement is the same for all of them.
_last: list[_Judged] = []


def _judge(before: SystemState, after: SystemState, i: int) -> _Judged:
    """The judgement of learner i's receipt from ``before`` to ``after``, the last one's if
    it is the same step (the same state objects: states are immutable)."""
    if _last:
        last = _last[0]
        if last.before is before and last.after is after and last.i == i:
            return last
    monotone = changes_are_monotone(before, after, i)
    delivers = monotone and _delivered(before.servers[i]) != _delivered(after.servers[i])
    judged = _Judged(before, after, i, monotone, delivers)
    _last[:] = [judged]
    return judged


def goal_closed(name: str, before: SystemState, action: Action, after: SystemState) -> bool:
    """Whether the spec's own property ``name`` is goal-closed under the declared learner
    receipt ``action`` from ``before`` to ``after`` (see the module's docstring)."""
    if name not in PROPERTY_READS:
        return False
    if action.name == CONNECT:
        return name in CLOSED_UNDER_CONNECT and _only_joins(before, action, after)
    if action.name == FOLLOW:
        return name in CLOSED_UNDER_FOLLOW and _only_decides(before, action, after)
    if action.name not in LEARNER_RECEIPTS:
        return False
    judged = _judge(before, after, action.args[0])
    return judged.monotone and not (judged.delivers and name in NOT_CLOSED_UNDER_DELIVERY)


__all__ = [
    "CLOSED_UNDER_FOLLOW",
    "NOT_CLOSED_UNDER_DELIVERY",
    "changes_are_monotone",
    "goal_closed",
]
