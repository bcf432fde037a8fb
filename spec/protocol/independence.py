"""Which steps of Zab.tla a search may take alone (persistent) or chain (right movers).

See :mod:`zabmc.engine.reduction.movers` for what is declared and what it promises; the
promises are checked on whole state spaces in ``tests/protocol/test_reduction.py``.

**What the properties read.** Every invariant and witness of :mod:`spec.protocol.invariants`
reads only these projections of a state (the parts named in :data:`PROPERTY_PARTS`):

* ``state``: every server's role;
* ``phase``: per server, whether its ``zabState`` is BROADCAST, and whether it is a LEADING
  server in SYNCHRONIZATION or BROADCAST (Leadership1's "established", the witness
  LeaderEstablished, PrimaryIntegrity's leader and followers in BROADCAST). A follower
  moving from DISCOVERY to SYNCHRONIZATION changes neither;
* ``delivered``: per server, ``lastCommitted.index`` and the zxid and value of each entry of
  ``history[1..lastCommitted.index]``: the committed prefix, which is all of a history the
  delivery properties read (``TxnEqual`` compares zxid and value; no property reads
  ``ackSid``, the entry's epoch, ``lastCommitted.zxid`` or an entry past the commit point);
* ``current_epoch``, ``learners``, ``connect_info``, ``epoch_leader``,
  ``proposal_msgs_log`` and ``violated_invariants`` as they are.

Nothing reads ``acceptedEpoch``, the leaders' ``cepochRecv``/``ackeRecv``/``ackldRecv``,
``sendCounter``, ``leaderOracle``, the channels or the recorder. :meth:`ProtocolMovers.
parts_changed` names a step's changes in this vocabulary (a change of ``history`` past the
commit point is the part ``log``, of ``zabState`` that no property sees the part
``zab_state``); the test checks, on every explored step, that a step changing no part of
:data:`PROPERTY_PARTS` leaves every property's value as it was. A property not of the spec
(a ``--property`` file, an ``--invariant`` expression) reads everything: then no step is
invisible and nothing is reduced.

**The steps declared** (Zab.tla's read and write sets): receipts of the head of a channel
j -> i by i, each in one branch of its action, and a sole leader's request:

* ``FollowerProcessNEWEPOCH(i, j)``, follower i of leader j (``connectInfo[i] = j``), e' >=
  f.p, i in DISCOVERY: reads ``state[i]``, ``connectInfo[i]``, ``acceptedEpoch[i]``,
  ``zabState[i]``, ``currentEpoch[i]``, ``history[i]`` and the head; writes
  ``acceptedEpoch[i]``, ``zabState[i]`` (DISCOVERY to SYNCHRONIZATION, which ``phase`` does
  not see), the head of j -> i and the tail of i -> j (ACKEPOCH);
* ``FollowerProcessNEWLEADER(i, j)``, e' = f.p, i in SYNCHRONIZATION: reads the same;
  writes ``currentEpoch[i]`` (which a property reads only of a leader, or up to the epochs
  of i's own proposals), ``history[i]`` (declared only where i's committed prefix stays as
  it was), the head and the tail of i -> j (ACKLD);
* ``FollowerProcessPROPOSE(i, j)`` where the proposal is the next zxid: reads ``state[i]``,
  ``connectInfo[i]``, ``history[i]``'s last zxid and the head; writes an entry appended past
  i's commit point, the head and the tail of i -> j (ACK); and where the proposal is in
  i's history already (a redundant PROPOSE, dropped; not with strict-propose, where it is
  flagged): writes the head only;
* ``FollowerProcessCOMMIT(i, j)`` with nothing pending (``lastCommitted[i].index =
  Len(history[i])``): reads those, writes the head only;
* ``LeaderProcessACK(i, j)`` of leader i, in order, of an entry i has committed already,
  where every other server is i's learner and its ACKEPOCH has been taken (a *late* ACK):
  reads ``state[i]``, ``learners[i]``, ``history[i]`` and ``lastCommitted[i]``; writes j's
  bit of the entry's ``ackSid`` and the head;
* ``LeaderProcessACKLD(i, j)`` of leader i in BROADCAST (after its quorum) that has
  committed its whole history, with no request left (``CheckTransactionNum`` fails for
  good) and every other server synced: reads ``lastCommitted[i]`` (frozen then: nothing is
  outstanding and nothing can be added), writes j's bits of ``ackSid``, ``ackldRecv[i]``,
  the head and the tail of i -> j (COMMITLD);
* ``LeaderProcessRequest(i)`` of leader i in BROADCAST with every other server synced with
  it (so no other server leads, and i takes no ACKEPOCH again): reads the recorder's
  counters and ``history[i]``, writes an entry appended past i's commit point and the
  recorder's counters, which no other step can then read or write;

where no Timeout and no Restart is left (``recorder.nTimeout`` at MaxTimeoutFailures; a
Restart needs CheckTimeout too). A step of these that changes no part the properties read
is a persistent set alone, and each is a right mover, by these arguments:

* only i writes what it reads of i: with no failure left, nothing but i's own receipts
  changes i's role, phase, epochs, history or leader (``FollowerShutdown`` of i is called
  by a Timeout or a Restart, or by i's own receipt of NEWEPOCH or NEWLEADER from j, which
  lies behind the head it takes); a leader's shutdown, the only step that writes another
  server's role, is called only by Timeout and Restart. A leader's committed zxid only
  grows, so a late ACK stays late;
* i's other steps meanwhile are receipts on other channels: for a follower, of messages it
  cannot take (FilterNonexistentMessage(i, k), k /= j), which write ``violatedInvariants``
  and that channel's head, disjoint from the step's writes; for a leader, requests,
  proposals and other followers' ACKs and ACKLDs, which read and write other entries or
  other bits of ``ackSid``, never j's, and commit nothing the late ACKLD reads; and no
  ACKEPOCH, whose NEWLEADER would copy the history with the bits these steps set (hence
  every server synced; with at most four servers a late ACK implies it);
* a request appends past the commit point: an ACK of an entry already there finds it
  where it was, a proposal is of the entry after ``sendCounter``, which is there already,
  and an ACKLD after the quorum reads the commit point only;
* the other servers only append to j -> i (behind the head) and take heads of channels
  into themselves; the step appends to i -> j, whose head j can take before the step only
  if the channel was not empty, and then the step leaves that head as it was;
* ``CheckTransactionNum`` reads the recorder's longest history, which only
  LeaderProcessRequest writes (a follower appending does not: Zab.tla updates the recorder
  in that action alone), and ``CheckEpoch`` the recorder's largest epoch, which only
  LeaderProcessCEPOCH writes: neither reads what a receipt writes; a request writes the
  first, which only another request reads, and no other server can lead to make one.

With a Timeout or a Restart left, nothing is declared: a Timeout of i's leader shuts i down
and cleans the channels, but keeps the epoch or the entry the step wrote, so the two orders
end in different states (the definition check finds such a path).

Not declared, and why: a leader's receipts of CEPOCH read ``CheckEpoch``, which another
leader's quorum can disable; of ACKEPOCH, and of ACKLD while the leader can still commit,
reply with the leader's history or commit point, which its own requests and commits
change; an ACK that may commit, COMMITLD and a COMMIT with an entry pending change the
delivered prefix, which the properties read; so do a Timeout, a Restart and every role
change; a proposal (LeaderBroadcastPROPOSE) writes ``proposalMsgsLog``, which Integrity
reads.

``progress`` (:meth:`ProtocolMovers.progress`) is raised by each declared step: receipts
take a message and answer with one of a later type, a request adds an entry.

The TLC-compatible model (:mod:`spec.protocol.tlc_compat`) declares nothing: its counts
are TLC's, state for state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from spec.protocol.bugs import STRICT_PROPOSE
from spec.protocol.constants import (
    ACK,
    ACKLD,
    BROADCAST,
    COMMIT,
    DISCOVERY,
    FOLLOWING,
    LEADING,
    NEWEPOCH,
    NEWLEADER,
    PROPOSE,
    SYNCHRONIZATION,
)
from spec.protocol.params import Params
from spec.protocol.state import ZabState, last_zxid, zxid_to_index
from zabmc.engine import Action

#: The parts of a state (in :meth:`ProtocolMovers.parts_changed`'s vocabulary) that the
#: spec's invariants and witnesses read.
PROPERTY_PARTS = frozenset(
    {
        "state",
        "phase",
        "delivered",
        "current_epoch",
        "learners",
        "connect_info",
        "epoch_leader",
        "proposal_msgs_log",
        "violated_invariants",
    }
)

#: The receipts that may be declared, by the type of the message they take.
DECLARED = {
    NEWEPOCH: "FollowerProcessNEWEPOCH",
    NEWLEADER: "FollowerProcessNEWLEADER",
    PROPOSE: "FollowerProcessPROPOSE",
    COMMIT: "FollowerProcessCOMMIT",
    ACK: "LeaderProcessACK",
    ACKLD: "LeaderProcessACKLD",
}

#: The one step declared that takes no message.
REQUEST = "LeaderProcessRequest"

#: Fields of the state that are parts as they are (the rest are projected).
_PROJECTED = frozenset({"zab_state", "history", "last_committed", "current_epoch"})
_PLAIN = tuple(f for f in ZabState._fields if f not in _PROJECTED)

#: Steps that may touch any server: a Timeout or a Restart shuts a leader's whole cluster
#: down; the oracle's choice is read by every LOOKING server.
EVERYONE = frozenset({"Timeout", "Restart", "UpdateLeader"})


def phase(s: ZabState) -> tuple[tuple[bool, bool], ...]:
    """Per server: in BROADCAST, and an established (SYNCHRONIZATION or BROADCAST) leader."""
    return tuple(
        (z == BROADCAST, r == LEADING and z in (SYNCHRONIZATION, BROADCAST))
        for r, z in zip(s.state, s.zab_state, strict=True)
    )


def delivered(s: ZabState) -> tuple[tuple[int, tuple], ...]:
    """Per server: the commit index and the zxid and value of each committed entry."""
    return tuple(
        (c.index, tuple((t.zxid, t.value) for t in h[: max(c.index, 0)]))
        for h, c in zip(s.history, s.last_committed, strict=True)
    )


def epochs_read(s: ZabState) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """Per server, what the properties read of its ``currentEpoch``: the epoch itself if it
    leads (Leadership1, PrimaryIntegrity), and the epochs up to it of the proposals it
    broadcast (LocalPrimaryOrder's ``e \\in 1..currentEpoch[i]``)."""
    return tuple(
        (
            e if r == LEADING else -1,
            tuple(sorted({q.epoch for q in s.proposal_msgs_log if q.source == i and q.epoch <= e})),
        )
        for i, (r, e) in enumerate(zip(s.state, s.current_epoch, strict=True))
    )


def no_failure_left(s: ZabState, p: Params) -> bool:
    """No Timeout and no Restart is enabled anywhere, now or later (CheckTimeout fails)."""
    return s.recorder.n_timeout >= p.max_timeouts


def is_next_zxid(cur: tuple[int, int], nxt: tuple[int, int]) -> bool:
    """``IsNextZxid`` (as :func:`spec.protocol.actions.broadcast.is_next_zxid`)."""
    if nxt[1] == 1:
        return cur[0] < nxt[0]
    return nxt[1] > 1 and cur[0] == nxt[0] and cur[1] + 1 == nxt[1]


def declared_receipt(s: ZabState, p: Params, i: int, j: int) -> str | None:
    """The name of i's declared receipt of the head of j -> i, if it is enabled in its
    declared branch here with no failure left (see the module's docstring), else None."""
    if not s.msgs[j][i] or not no_failure_left(s, p):
        return None
    msg = s.msgs[j][i][0]
    if s.state[i] == FOLLOWING and s.connect_info[i] == j:
        if msg[0] == NEWEPOCH:
            if msg.mepoch >= s.accepted_epoch[i] and s.zab_state[i] == DISCOVERY:
                return DECLARED[NEWEPOCH]
        elif msg[0] == NEWLEADER:
            if msg.mepoch == s.accepted_epoch[i] and s.zab_state[i] == SYNCHRONIZATION:
                return DECLARED[NEWLEADER]
        elif msg[0] == PROPOSE:
            if is_next_zxid(last_zxid(s.history[i]), msg.mzxid):
                return DECLARED[PROPOSE]
            index = zxid_to_index(s.history[i], msg.mzxid)
            if 0 < index <= len(s.history[i]) and p.bug != STRICT_PROPOSE:  # redundant: dropped
                return DECLARED[PROPOSE]
        elif msg[0] == COMMIT and s.last_committed[i].index == len(s.history[i]):
            return DECLARED[COMMIT]  # nothing pending: dropped
    elif s.state[i] == LEADING and s.learners[i] >> j & 1:
        if msg[0] == ACK and late_ack(s, p, i, j, msg.mzxid):
            return DECLARED[ACK]
        if msg[0] == ACKLD and settled(s, p, i) and s.zab_state[i] == BROADCAST:
            return DECLARED[ACKLD]  # after the quorum: answered with the frozen commit point
    return None


def settled(s: ZabState, p: Params, i: int) -> bool:
    """Leader i has committed its whole history and no request is left (CheckTransactionNum
    fails for good), and every other server has synced with it: its commit point and the
    entries it could send are frozen."""
    return (
        s.last_committed[i].index == len(s.history[i])
        and s.recorder.n_transaction >= p.max_txns
        and every_server_synced(s, p, i)
    )


def sole_leader_request(s: ZabState, p: Params, i: int) -> bool:
    """``LeaderProcessRequest(i)`` is enabled, and every other server has synced with i, so
    no other server can lead and i takes no ACKEPOCH again."""
    return (
        s.state[i] == LEADING
        and s.zab_state[i] == BROADCAST
        and s.recorder.n_transaction < p.max_txns
        and no_failure_left(s, p)
        and every_server_synced(s, p, i)
    )


def late_ack(s: ZabState, p: Params, i: int, j: int, zxid: tuple[int, int]) -> bool:
    """Leader i's receipt of an ACK from j, in order, of an entry it has committed, where
    every other server has synced with i (its ACKEPOCH taken): the receipt only marks j in
    the entry's ``ackSid``, and no NEWLEADER will copy i's history again."""
    history, lc = s.history[i], s.last_committed[i]
    found = [k for k, t in enumerate(history, start=1) if t.zxid == zxid]
    if len(found) != 1 or zxid > lc.zxid:
        return False
    acked = [k for k, t in enumerate(history, start=1) if t.ack_sid >> j & 1]
    if acked and acked[-1] + 1 != found[0]:
        return False
    return every_server_synced(s, p, i)


def every_server_synced(s: ZabState, p: Params, i: int) -> bool:
    """Every server but leader i is its learner and its ACKEPOCH has been taken: with no
    failure left, i receives no ACKEPOCH again and sends no NEWLEADER again."""
    synced = {r.sid for r in s.acke_recv[i] if r.connected}
    return all(k == i or (s.learners[i] >> k & 1 and k in synced) for k in range(p.servers))


class ProtocolMovers:
    """The mover declarations of :class:`spec.protocol.model.ProtocolModel` for ``params``."""

    def __init__(
        self,
        params: Params,
        properties: Iterable[str],
        apply: Callable[[ZabState, Action], ZabState | None],
    ) -> None:
        self.params = params
        self._everyone = frozenset(range(params.servers))
        self._properties = frozenset(properties)
        self._apply = apply  # the model's own action: the declared step is the spec's

    def process(self, action: Action) -> int:
        return action.args[0]

    def involves(self, action: Action) -> Collection[int]:
        if action.name in EVERYONE:
            return self._everyone
        return action.args

    def parts_changed(self, before: ZabState, after: ZabState) -> set[str]:
        """The parts a step changed, in the vocabulary of :data:`PROPERTY_PARTS`."""
        parts = {f for f in _PLAIN if getattr(before, f) != getattr(after, f)}
        if before.zab_state != after.zab_state:
            parts.add("zab_state")
        if ("zab_state" in parts or "state" in parts) and phase(before) != phase(after):
            parts.add("phase")
        if before.current_epoch != after.current_epoch:
            parts.add("epochs")
        moved = parts & {"epochs", "state", "proposal_msgs_log"}
        if moved and epochs_read(before) != epochs_read(after):
            parts.add("current_epoch")
        if before.history != after.history or before.last_committed != after.last_committed:
            parts.add("log")
            if delivered(before) != delivered(after):
                parts.add("delivered")
        return parts

    def right_mover(
        self, state: ZabState, action: Action, successor: ZabState
    ) -> frozenset[str] | None:
        if action.name == REQUEST:
            if not sole_leader_request(state, self.params, action.args[0]):
                return None
        elif (
            action.name not in DECLARED.values()
            or declared_receipt(state, self.params, *action.args) != action.name
        ):
            return None
        return frozenset(self.parts_changed(state, successor))

    def property_reads(self, name: str) -> frozenset[str] | None:
        return PROPERTY_PARTS if name in self._properties else None

    def persistent_step(self, state: ZabState) -> tuple[Action, ZabState] | None:
        """The first declared receipt (by receiver, then sender) that changes no part a
        property reads (module docstring)."""
        if not no_failure_left(state, self.params):
            return None
        n = self.params.servers
        for i in range(n):
            for j in range(n):
                name = declared_receipt(state, self.params, i, j)
                if name is None:
                    continue
                step = self._invisible(state, Action(name, (i, j)))
                if step is not None:
                    return step
        for i in range(n):
            if sole_leader_request(state, self.params, i):
                step = self._invisible(state, Action(REQUEST, (i,)))
                if step is not None:
                    return step
        return None

    def _invisible(self, state: ZabState, action: Action) -> tuple[Action, ZabState] | None:
        """The step, if it is enabled and changes no part a property reads."""
        succ = self._apply(state, action)
        if succ is None or self.parts_changed(state, succ) & PROPERTY_PARTS:
            return None
        return action, succ

    def progress(self, state: ZabState) -> int:
        """Minus the messages in flight, each weighted by how early its type comes in Zab
        (CEPOCH 9 ... COMMIT 1), a hundred times, plus the entries in all histories: every
        declared receipt takes a message and answers, if at all, with a later type (NEWEPOCH
        with ACKEPOCH, NEWLEADER with ACKLD, ACKLD with COMMITLD, PROPOSE with ACK), and a
        request adds an entry."""
        weight = sum(9 - m[0] for row in state.msgs for channel in row for m in channel)
        return -100 * weight + sum(len(h) for h in state.history)


__all__ = ["DECLARED", "PROPERTY_PARTS", "ProtocolMovers", "delivered", "phase"]
