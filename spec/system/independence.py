"""Which steps of the system spec are right movers, for the engine's atomic local steps.

See :mod:`zabmc.engine.reduction.movers` for what is declared and what it promises.
The declaration is derived from the shape of the spec, not from its behaviour:

* a step belongs to the server of its first argument, and *involves* every server
  it names (a receipt of a notification only its receiver); a crash or a restart involves every server, since it empties or fills
  channels to all of them (:func:`spec.system.network.isolate`);
* the properties read only ``servers``, ``leaders``, ``learners`` and ``ghost``: the
  invariants and witnesses are memoized on exactly these groups
  (:func:`spec.system.invariants.memoized`), which is only right because they read
  nothing else. A property not in that table reads everything, and then no step is
  invisible and nothing is chained.

The one right mover is ``FLEReceiveNotmsg(i, j)`` that sends no answer, which is
ZooKeeper's WorkerReceiver queueing a notification for the election thread. It reads
i's server and election records and the head of the channel j -> i; it writes i's
election record (the queue) and that head. While i is LOOKING and in no leader's
cluster, no step that does not name i, and is not a crash or a restart, writes what
it reads or reads what it writes:

* other servers' FLE steps write their own records, and append *behind* the head
  it takes (a LOOKING j notifying i), which commutes with taking the head;
* only a leader's shutdown writes another server's records, and only those of its
  cluster (``leaders[k].learners``), which i can join only by a step of its own
  (``ConnectAndFollowerSendFOLLOWERINFO(k, i)`` needs i FOLLOWING): hence the
  conditions that i is in no cluster and has no Zab message in flight;
* a cut link empties the channel j -> i only by ``PartitionStart`` of i and j, which
  names i; a crash of j empties it too, and involves i.

Whether it answers depends only on what it reads, so a step that does not answer
here does not answer after any of those steps either: the declaration is stable.
With ``zookeeper_timing`` (replay only) nothing is declared.
"""

from __future__ import annotations

from collections.abc import Collection

from spec.system.constants import LOOKING
from spec.system.params import Params
from spec.system.state import SystemState
from zabmc.engine import Action

#: The state groups every property of the spec reads (see the module's docstring).
PROPERTY_GROUPS = frozenset({"servers", "leaders", "learners", "ghost"})

#: What an unanswered FLEReceiveNotmsg writes.
RECEIPT_WRITES = frozenset({"elections", "network"})

#: Steps that touch every server's channels: a crash empties them, a restart notifies.
EVERYONE = frozenset({"NodeCrash", "NodeStart"})


class SystemMovers:
    """The mover declarations of :class:`spec.system.model.SystemModel` for ``params``."""

    def __init__(self, params: Params, properties: Collection[str]) -> None:
        self.params = params
        self._everyone = frozenset(range(params.n))
        self._properties = frozenset(properties)

    def process(self, action: Action) -> int:
        return action.args[0]

    def involves(self, action: Action) -> Collection[int]:
        if action.name == "FLEReceiveNotmsg":
            # i's records and the channel into i; an answer only appends to the channel
            # into j, behind any notification j's own receipt would take.
            return action.args[:1]
        if action.name in EVERYONE:
            return self._everyone
        if action.name == "ElectLeader":
            i, quorum = action.args
            return frozenset(k for k in self._everyone if k == i or quorum >> k & 1)
        return action.args

    def right_mover(
        self, state: SystemState, action: Action, successor: SystemState
    ) -> frozenset[str] | None:
        p = self.params
        if action.name != "FLEReceiveNotmsg" or p.zookeeper_timing or p.coarse_election:
            return None
        i, j = action.args
        n = p.n
        if state.servers[i].state != LOOKING:
            return None
        if successor.network.notes[i * n + j] != state.network.notes[i * n + j]:
            return None  # it answered j: a send, not a right mover
        if any(ld.learners >> i & 1 for ld in state.leaders):
            return None
        if any(state.network.msgs[i * n + k] for k in range(n)):
            return None
        return RECEIPT_WRITES

    def property_reads(self, name: str) -> frozenset[str] | None:
        return PROPERTY_GROUPS if name in self._properties else None


__all__ = ["PROPERTY_GROUPS", "SystemMovers"]
