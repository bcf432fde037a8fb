"""ZooKeeper's own TLA+ of 3.7 as an oracle: a behaviour of ZkV3_7_0.tla (with its
FastLeaderElection.tla), as TLC prints it, replayed as a behaviour of this spec.

The fixtures (tests/fixtures/zk37_traces/, made by bench/tlc/zk37/generate.py) hold for
each state of a TLC simulation ``pc`` (recorder.pc: the action taken and its servers) and
the variables compared here. Each step is this spec's action of the same name and servers,
taken with ``Params.zk = ZK_TLA`` (ZkV3_7_0.tla's NEWLEADER and FastLeaderElection.tla's
abstractions, ``Params.tla_election``), every bound lifted, Fast Leader Election step by
step. After each step every server's projection must equal the TLA+ state's.

Where the two differ in granularity or scope, this is the one place that says so:

* **Server ids.** FastLeaderElection.tla orders servers by ``IdTable``, which it builds
  with CHOOSE; TLC's choice gives s1 the highest id and sn the lowest (``IdCompare(s1,
  s2)`` holds). Server ``sk`` of n is therefore this spec's server n-k (s1 -> 2, s3 -> 0
  for three), so that a vote for the higher id wins on both sides. Reports name the TLA+'s
  servers.
* **Init.** ZooKeeper's lookForLeader, which this spec's Init follows, starts each server
  at round 1 and sends its vote at once; ZkV3_7_0.tla starts at logicalClock 0 with
  nothing sent (a server's first notifications go out at its first poll timeout). The
  replay starts this spec from the TLA+'s Init (:func:`tla_initial_state`).

* **NEWLEADER.** The TLA+ takes NEWLEADER atomically (every txn of the sync and
  currentEpoch persisted, then the ACKs), as ``ZK_TLA`` does. ZooKeeper 3.7.0's code
  (``--zk 3.7``) is finer: FollowerProcessNEWLEADER, FollowerSyncProcessorLogRequest and
  FollowerProcessNEWLEADERAfterCurrentEpochUpdated; 3.9 (``--zk 3.9``) logs only committed
  txns there. Neither is compared here.
* **The final wait.** FastLeaderElection.tla's poll times out in the final wait too
  (NotmsgTimeout does not read waitNotmsg), queueing the timeout that WaitNewNotmsg then
  reads to decide; in ZooKeeper (and this spec's other modes) the final wait's poll
  timing out is the decision, one FLEWaitNewNotmsg step. ``tla_election`` allows the
  timeout there.
* **A lone LEADING notification.** The tla's third exit (``leaveOk3``) follows a LEADING
  notification of the server's own round that no quorum in recvset or outofelection
  backs. ZooKeeper's ``receivedLeadingNotification`` does so only on its Oracle's word,
  which two-voter ensembles alone consult; ``tla_election`` takes the third exit.
* **ACK.** The TLA+ has an ACKLD message type; here the ACK of NEWLEADER is an ACK with
  NEWLEADER's zxid. LeaderProcessACKLD and LeaderProcessACK keep their names and servers.
* **FilterNonexistentMessage.** The TLA+ drops a message impossible in the receiver's
  state in a step that leaves recorder.pc unchanged (so a trace cannot name it) and sets
  violatedInvariants; this spec takes such a message in the step for its type and records
  a breach. The generator cuts each behaviour before such a step.
* **What is compared.** status, state, zabState, acceptedEpoch, currentEpoch, history
  (zxid and value of each txn) for every server; lastCommitted's index for servers that
  are up (the TLA+ leaves a crashed server's lastCommitted as it was, this spec clears a
  server's volatile state when it goes down; both set it from the snapshot at NodeStart).
  Election variables and channels are not compared: they are checked through the steps
  they enable, since each step must be enabled where the TLA+ takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spec.system.constants import SERVER_STATE_NAMES, ZAB_STATE_NAMES
from spec.system.init import initial_state
from spec.system.model import STEPS, SystemModel
from spec.system.params import ZK_TLA, Params, unbounded
from spec.system.state import SystemState, Txn
from spec.system.zxid import make_zxid
from zabmc.engine import Action
from zabmc.tlc.values import Fn, ModelValue


def oracle_params(voters: int = 3) -> Params:
    """This spec's constants for replaying a ZkV3_7_0.tla behaviour: ZK_TLA (so
    ``tla_election``), every bound lifted."""
    return unbounded(voters, zk=ZK_TLA)


@dataclass(frozen=True)
class Divergence:
    """Where a TLA+ behaviour stops being one of this spec's, and why."""

    step: int  # the TLA+ state number (State N) whose step failed
    action: str
    reason: str

    def report(self, source: str) -> str:
        return f"{source}: diverges at State {self.step} ({self.action}): {self.reason}"


def server_id(value: Any, n: int) -> int:
    """The id of the TLA+'s server ``value``: ``s1`` -> n-1, ``sn`` -> 0 (IdTable's order)."""
    assert isinstance(value, ModelValue) and value.name.startswith("s")
    return n - int(value.name[1:])


def tla_server(i: int, n: int) -> ModelValue:
    """The TLA+'s name of server ``i``: the inverse of :func:`server_id`."""
    return ModelValue(f"s{n - i}")


def _per_server(value: Fn, n: int) -> list[Any]:
    return [value[tla_server(k, n)] for k in range(n)]


def tla_projection(state: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Each server's compared variables in a TLA+ state."""
    found = []
    status = _per_server(state["status"], n)
    for k, (up, role, phase, acc, cur, hist, lc) in enumerate(
        zip(
            status,
            _per_server(state["state"], n),
            _per_server(state["zabState"], n),
            _per_server(state["acceptedEpoch"], n),
            _per_server(state["currentEpoch"], n),
            _per_server(state["history"], n),
            _per_server(state["lastCommitted"], n),
            strict=True,
        )
    ):
        del k
        online = up.name == "ONLINE"
        found.append(
            {
                "online": online,
                "state": role.name,
                "zabState": phase.name,
                "acceptedEpoch": acc,
                "currentEpoch": cur,
                "history": tuple(Txn(make_zxid(*t["zxid"]), t["value"]) for t in hist),
                "lastCommitted": lc["index"] if online else None,
            }
        )
    return found


def spec_projection(s: SystemState) -> list[dict[str, Any]]:
    """Each server's compared variables in a state of this spec."""
    return [
        {
            "online": srv.online,
            "state": SERVER_STATE_NAMES[srv.state],
            "zabState": ZAB_STATE_NAMES[srv.zab_state],
            "acceptedEpoch": srv.accepted_epoch,
            "currentEpoch": srv.current_epoch,
            "history": srv.history,
            "lastCommitted": srv.last_committed if srv.online else None,
        }
        for srv in s.servers
    ]


def _differences(tla: list[dict[str, Any]], ours: list[dict[str, Any]]) -> str:
    out = []
    for k, (a, b) in enumerate(zip(tla, ours, strict=True)):
        for field in a:
            if a[field] != b[field]:
                who = tla_server(k, len(tla)).name
                out.append(f"{who}.{field}: TLA+ {a[field]!r}, spec {b[field]!r}")
    return "; ".join(out)


def tla_initial_state(p: Params) -> SystemState:
    """ZkV3_7_0.tla's Init in this spec's terms: every server LOOKING at round 0, voting for
    itself, no notification sent yet."""
    s = initial_state(p)
    elections = tuple(el._replace(round=0) for el in s.elections)
    notes = ((),) * len(s.network.notes)
    return s._replace(elections=elections, network=s.network._replace(notes=notes))


def replay_tla_behaviour(states: list[dict[str, Any]], voters: int = 3) -> Divergence | None:
    """Replay one TLA+ behaviour (its states, as :func:`zabmc.tlc.parse.parse_dump` reads
    them) on this spec; the first divergence, or None when it is a behaviour of the spec."""
    p = oracle_params(voters)
    model = SystemModel(p)
    s = tla_initial_state(p)
    first = states[0]
    diff = _differences(tla_projection(first, p.n), spec_projection(s))
    if diff:
        return Divergence(1, "Init", f"the initial states differ: {diff}")
    for number, state in enumerate(states[1:], start=2):
        name, *servers = state["pc"]
        args = tuple(server_id(v, p.n) for v in servers)
        label = f"{name}({', '.join(v.name for v in servers)})"
        if name not in STEPS:
            return Divergence(number, label, "no step of this name in the spec")
        t = model.apply(s, Action(name, args))
        if t is None:
            from spec.system.guards import why_disabled

            why = why_disabled(name, s, p, args) or "its guard"
            return Divergence(number, label, f"not enabled in the spec: {why} does not hold")
        diff = _differences(tla_projection(state, p.n), spec_projection(t))
        if diff:
            return Divergence(number, label, f"the states differ after it: {diff}")
        s = t
    return None
