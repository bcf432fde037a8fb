"""What each property of the system spec reads, in parts finer than the state's groups.

The reduction (:mod:`spec.system.independence`) takes a step alone only where every
checked property reads nothing the step changes, or cannot leave its goal under it. The
groups of :class:`~spec.system.state.SystemState` are too coarse for that: every Zab step
writes ``servers`` or ``learners``, which most properties read only in part. So a step's
changes are named here in parts (:func:`parts_changed`), each a projection of the state:

* ``roles``: per server, whether it is up and its role (LOOKING, FOLLOWING, ...);
* ``phases``: per server, whether it is in BROADCAST, and whether it is a LEADING server
  in SYNCHRONIZATION or BROADCAST (an *established* leader): all any property reads of
  ``zab_state`` (a follower moving from DISCOVERY to SYNCHRONIZATION changes neither);
* ``leader_epochs``: per server, its acceptedEpoch and currentEpoch if it leads: the
  properties read the epochs of leaders only;
* ``delivered``: per server, the entries it has delivered (``history[:last_committed]``);
* ``history``: per server, its whole log;
* ``leaders.learners``: per leader, the learners it has a session with;
* ``learners.<field>``: each field of the learners' records, by name;
* ``ghost.<field>``: each ghost variable, by name;
* the rest, which no property reads: ``zab_state`` and ``epochs`` (as they are),
  ``server_counters`` (lastSnapshot, lastProcessed, the initial log's length),
  ``leaders.others`` (the rest of a leader's record), ``elections``, ``network``,
  ``recorder``.

:data:`PROPERTY_READS` gives the parts each invariant and witness reads, read off its
definition in :mod:`spec.system.invariants`; ``tests/system/test_property_parts.py``
checks on every step of several state spaces that a step changing none of a property's
parts leaves its value as it was.
"""

from __future__ import annotations

from spec.system.constants import BROADCAST, LEADING, SYNCHRONIZATION
from spec.system.state import Ghost, Leader, Learner, Server, SystemState

ESTABLISHED = (SYNCHRONIZATION, BROADCAST)

_BREACHES = frozenset({"ghost.breaches"})
_DELIVERY = frozenset({"delivered"})

#: The parts each of the spec's own properties reads.
PROPERTY_READS: dict[str, frozenset[str]] = {
    "ShouldNotBeTriggered": _BREACHES,
    "Leadership": frozenset({"roles", "phases", "leader_epochs", "ghost.epoch_leader"}),
    "ElectionSafety": _BREACHES,
    "Integrity": frozenset({"delivered", "ghost.proposals"}),
    "Agreement": frozenset({"delivered", "roles"}),
    "TotalOrder": _DELIVERY,
    "LocalPrimaryOrder": frozenset({"delivered", "ghost.proposals"}),
    "GlobalPrimaryOrder": _DELIVERY,
    "PrimaryIntegrity": frozenset(
        {"roles", "phases", "leader_epochs", "delivered", "leaders.learners", "learners.leader"}
    ),
    "PrefixConsistency": _DELIVERY,
    "LeaderLogCompleteness": frozenset({"roles", "phases", "history", "ghost.committed"}),
    "CommittedLogDurability": _BREACHES,
    "MonotonicRead": frozenset({"roles", "phases", "delivered", "ghost.committed"}),
    "ProcessConsistency": frozenset(
        {"roles", "history", "leaders.learners", "learners.leader", "learners.nl_received"}
    ),
    "LeaderStaysWithSyncedQuorum": _BREACHES,
    "LeaderEstablished": frozenset({"roles", "phases"}),
    "FollowerDelivers": frozenset({"roles", "delivered"}),
    "ObserverDelivers": frozenset({"roles", "delivered"}),
    "SyncByDIFF": frozenset({"learners.sync_mode"}),
    "SyncByTRUNC": frozenset({"learners.sync_mode"}),
    "SyncBySNAP": frozenset({"learners.sync_mode"}),
}


def phase(srv: Server) -> tuple[bool, bool]:
    """In BROADCAST; and a LEADING server in SYNCHRONIZATION or BROADCAST."""
    return srv.zab_state == BROADCAST, srv.state == LEADING and srv.zab_state in ESTABLISHED


def leader_epochs(srv: Server) -> tuple[int, int] | None:
    """The epochs of a leader; None for any other server."""
    return (srv.accepted_epoch, srv.current_epoch) if srv.state == LEADING else None


def _server_parts(old: tuple, new: tuple, parts: set[str]) -> None:
    """Add the parts of the servers (tuples of :class:`Server`) that differ."""
    for a, b in zip(old, new, strict=True):
        if a is b:
            continue
        if a.online != b.online or a.state != b.state:
            parts.add("roles")
        if a.zab_state != b.zab_state:
            parts.add("zab_state")
        if phase(a) != phase(b):
            parts.add("phases")
        if a.accepted_epoch != b.accepted_epoch or a.current_epoch != b.current_epoch:
            parts.add("epochs")
        if leader_epochs(a) != leader_epochs(b):
            parts.add("leader_epochs")
        if a.history is not b.history and a.history != b.history:
            parts.add("history")
        if a.last_committed != b.last_committed or (
            "history" in parts and a.history[: a.last_committed] != b.history[: b.last_committed]
        ):
            parts.add("delivered")
        if (a.last_snapshot, a.last_processed, a.initial_len) != (
            b.last_snapshot,
            b.last_processed,
            b.initial_len,
        ):
            parts.add("server_counters")


def _record_parts(names: tuple[str, ...], old: tuple, new: tuple, parts: set[str]) -> None:
    """Add the part named ``names[k]`` for each field k that differs in some record."""
    for a, b in zip(old, new, strict=True):
        if a is b:
            continue
        for name, x, y in zip(names, a, b, strict=True):
            if x is not y and x != y:
                parts.add(name)


#: The parts of the learners' records and the ghost: one for each field, by name (made once).
LEARNER_PARTS = tuple(f"learners.{name}" for name in Learner._fields)
GHOST_PARTS = tuple(f"ghost.{name}" for name in Ghost._fields)


def _leader_parts(old: tuple, new: tuple, parts: set[str]) -> None:
    for a, b in zip(old, new, strict=True):
        if a is b:
            continue
        if a.learners != b.learners:
            parts.add("leaders.learners")
        if a[:_LEARNERS] != b[:_LEARNERS] or a[_LEARNERS + 1 :] != b[_LEARNERS + 1 :]:
            parts.add("leaders.others")


#: Where ``learners`` is in a leader's record (the others are compared around it).
_LEARNERS = Leader._fields.index("learners")


def parts_changed(before: SystemState, after: SystemState) -> set[str]:
    """The parts (see the module's docstring) that differ between ``before`` and ``after``.

    A step shares each group it does not write with the state before it, so a group is
    looked into only when it is another object that compares unequal.
    """
    parts: set[str] = set()
    for name, old, new in zip(SystemState._fields, before, after, strict=True):
        if old is new or old == new:
            continue
        if name == "servers":
            _server_parts(old, new, parts)
        elif name == "learners":
            _record_parts(LEARNER_PARTS, old, new, parts)
        elif name == "leaders":
            _leader_parts(old, new, parts)
        elif name == "ghost":
            _record_parts(GHOST_PARTS, (old,), (new,), parts)
        else:
            parts.add(name)
    return parts


__all__ = ["PROPERTY_READS", "leader_epochs", "parts_changed", "phase"]
