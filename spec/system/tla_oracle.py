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
* **A server's own vote.** The tla's servers never notify themselves, so a FOLLOWING or
  LEADING notification is counted without the receiver's own vote; ZooKeeper's
  sendNotifications reaches the sender too, and its recvset holds its own vote.
  ``tla_election`` leaves it out.
* **Crashes and partitions.** ZkV3_7_0.tla's NodeCrash keeps the server's election record
  and the notifications in flight to and from it, and NodeStart resumes that election
  with nothing sent; a crashing learner goes through FollowerShutdown first (its new vote
  sent), a leader's shutdown takes its whole cluster, the crashed server too, to the next
  round with a timeout queued and nothing sent; notifications go to every server, up or
  not, and ignore partitions. ZooKeeper's restart starts a fresh election at round 1 and
  sends its vote, and its messages do not cross a cut link. ``tla_election`` does as the
  TLA+. Still open: the TLA+ lets a follower connect to its leader, and any Zab message
  pass, across a cut link (PartitionStart only breaks a session that exists); this spec
  does not, so a trace that does so diverges there (none of the fixtures).
* **Client values.** The TLA+ gives the k-th client request the value k-1
  (recorder.nClientRequest before the request), this spec k: a TLA+ txn's value is
  compared plus one.
* **ACK.** The TLA+ has an ACKLD message type; here the ACK of NEWLEADER is an ACK with
  NEWLEADER's zxid. LeaderProcessACKLD and LeaderProcessACK keep their names and servers.
* **FilterNonexistentMessage.** The TLA+ drops a message impossible in the receiver's
  state in a step that leaves recorder.pc unchanged (so a trace cannot name it) and sets
  violatedInvariants; this spec takes such a message in the step for its type and records
  a breach. The generator cuts each behaviour before such a step.
* **What is compared.** After every step, for every server: status, state, zabState,
  acceptedEpoch, currentEpoch, history (zxid and value of each txn); lastCommitted's index
  while it is up (the TLA+ leaves a crashed server's lastCommitted as it was, this spec
  clears a server's volatile state when it goes down; both set it from the snapshot at
  NodeStart); currentVote and logicalClock; waitNotmsg, recvQueue, receiveVotes and
  outOfElection (each peer's vote, round and state) while it is LOOKING: a server that
  decided has left the election (ZooKeeper's leaveInstance clears its queue, recvset is
  local to lookForLeader); this spec clears them, the TLA+ keeps them until the server
  looks again, where both start afresh. And every channel of
  electionMsgs, notification by notification (source, state, round, vote). A vote is
  compared as (proposed leader, zxid, epoch). Left out: receiveVotes' and
  outOfElection's ``version`` (the TLA+'s count of puts, which ZooKeeper does not keep),
  the notifications' ghost fields here (each sender's own vote, for ElectionSafety), and
  the variables of Zab's phases (learners, msgs, ...), which are checked through the
  steps they enable, since each step must be enabled where the TLA+ takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spec.system.constants import LOOKING, NULL, SERVER_STATE_NAMES, ZAB_STATE_NAMES
from spec.system.init import initial_state
from spec.system.model import STEPS, SystemModel
from spec.system.params import ZK_TLA, Params, unbounded
from spec.system.state import (
    TIMEOUT_SIGNAL,
    Notification,
    ReceivedVote,
    SystemState,
    Txn,
    Vote,
)
from spec.system.zxid import make_zxid, zxid_text
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


#: A projected vote: (proposed leader's TLA+ name or None, zxid as ``epoch:counter``, epoch).
ProjectedVote = tuple[str | None, str, int]
#: The timeout signal in a receive queue (FastLeaderElection.tla's ``[mtype |-> NONE]``).
TIMEOUT = "NONE"


def _tla_vote(v: Fn) -> ProjectedVote:
    leader = v["proposedLeader"].name
    zxid = zxid_text(make_zxid(*v["proposedZxid"]))
    return (None if leader == "NoServer" else leader, zxid, v["proposedEpoch"])


def _tla_note(m: Fn) -> tuple | str:
    if m["mtype"].name == "NONE":
        return TIMEOUT
    return (m["msource"].name, m["mstate"].name, m["mround"], _tla_vote(m["mvote"]))


def _tla_votes(votes: Fn, n: int) -> tuple:
    """A recvset or outofelection, peer by peer in the TLA+'s order (its version left out)."""
    entries = (votes[ModelValue(f"s{k + 1}")] for k in range(n))
    return tuple((_tla_vote(e["vote"]), e["round"], e["state"].name) for e in entries)


def tla_projection(state: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Each server's compared variables in a TLA+ state."""
    found = []
    notes = state["electionMsgs"]
    for k in range(n):
        me = tla_server(k, n)
        online = state["status"][me].name == "ONLINE"
        looking = state["state"][me].name == "LOOKING"
        found.append(
            {
                "online": online,
                "state": state["state"][me].name,
                "zabState": state["zabState"][me].name,
                "acceptedEpoch": state["acceptedEpoch"][me],
                "currentEpoch": state["currentEpoch"][me],
                "history": tuple(
                    Txn(make_zxid(*t["zxid"]), t["value"] + 1) for t in state["history"][me]
                ),
                "lastCommitted": state["lastCommitted"][me]["index"] if online else None,
                "currentVote": _tla_vote(state["currentVote"][me]),
                "logicalClock": state["logicalClock"][me],
                "waitNotmsg": state["waitNotmsg"][me] if looking else None,
                "recvQueue": tuple(map(_tla_note, state["recvQueue"][me])) if looking else None,
                "receiveVotes": _tla_votes(state["receiveVotes"][me], n) if looking else None,
                "outOfElection": _tla_votes(state["outOfElection"][me], n) if looking else None,
                "electionMsgs": tuple(
                    tuple(map(_tla_note, notes[ModelValue(f"s{j + 1}")][me])) for j in range(n)
                ),
            }
        )
    return found


def _spec_vote(v: Vote | ReceivedVote, n: int) -> ProjectedVote:
    leader = None if v.leader == NULL else tla_server(v.leader, n).name
    return (leader, zxid_text(v.zxid), v.epoch)


def _spec_note(m: Notification | tuple, n: int) -> tuple | str:
    if m == TIMEOUT_SIGNAL:
        return TIMEOUT
    vote = _spec_vote(Vote(m.leader, m.zxid, m.epoch), n)
    return (tla_server(m.source, n).name, SERVER_STATE_NAMES[m.state], m.round, vote)


def _spec_votes(votes: tuple[ReceivedVote, ...], n: int) -> tuple:
    entries = (votes[server_id(ModelValue(f"s{k + 1}"), n)] for k in range(n))
    return tuple((_spec_vote(e, n), e.round, SERVER_STATE_NAMES[e.state]) for e in entries)


def spec_projection(s: SystemState) -> list[dict[str, Any]]:
    """Each server's compared variables in a state of this spec."""
    n = len(s.servers)
    found = []
    for k, (srv, el) in enumerate(zip(s.servers, s.elections, strict=True)):
        looking = srv.state == LOOKING
        senders = (server_id(ModelValue(f"s{j + 1}"), n) for j in range(n))
        found.append(
            {
                "online": srv.online,
                "state": SERVER_STATE_NAMES[srv.state],
                "zabState": ZAB_STATE_NAMES[srv.zab_state],
                "acceptedEpoch": srv.accepted_epoch,
                "currentEpoch": srv.current_epoch,
                "history": tuple(srv.history),
                "lastCommitted": srv.last_committed if srv.online else None,
                "currentVote": _spec_vote(el.vote, n),
                "logicalClock": el.round,
                "waitNotmsg": el.waiting if looking else None,
                "recvQueue": tuple(_spec_note(m, n) for m in el.queue) if looking else None,
                "receiveVotes": _spec_votes(el.received, n) if looking else None,
                "outOfElection": _spec_votes(el.out_of_election, n) if looking else None,
                "electionMsgs": tuple(
                    tuple(_spec_note(m, n) for m in s.network.notes[j * n + k]) for j in senders
                ),
            }
        )
    return found


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
