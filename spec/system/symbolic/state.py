"""A system-spec state laid out as z3 terms, and the encoding of explicit states into it.

The layout follows :class:`spec.system.state.SystemState` group by group, for the
configuration the encoding supports (:mod:`spec.system.symbolic`): every server is up
(no crashes), no link is cut (no partitions), elections are coarse (no notifications,
no rounds: an election keeps only a server's vote), there are no observers and no
logging queue. What those leave constant is left out: ``online``, the notification
channels and ``cut``, an election's received votes and queue, a learner's ``queued``
and ``unacked``, and the recorder's crash and partition counts. ``proposalMsgsLog``,
a ghost no action reads, is left out as in the protocol spec's encoding.

Per-server groups are tuples indexed by the concrete server id; a zxid is a record
``epoch``, ``counter`` (the property language's); a log is a sequence of at most
``history`` txns; the channel from i to j (i != j) a sequence of at most ``channel``
messages, each a record with every field a Zab message may have (the unused ones at
their defaults); a set of servers is an :class:`SMask`. The breaches are kept by
kind: one slot per kind, holding the first breach of that kind, which is all the
invariants read (``b.kind``), and keeps the state bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import z3

from spec.system.constants import NO_SYNC, NULL, SYNCED
from spec.system.ghost import BREACH_NAMES
from spec.system.params import Params
from spec.system.state import SystemState
from spec.system.zxid import COUNTER_BITS, COUNTER_MASK
from zabmc.symbolic.values import SMask, SRecord, SSeq, SSlots, const, evaluate, record

KINDS = len(BREACH_NAMES)


class SymSystem(NamedTuple):
    """SystemState over z3 terms, for the supported configuration."""

    servers: tuple  # SRecord per server: serverVars but ``online``
    votes: tuple  # SRecord per server: the election's currentVote (leader, zxid, epoch)
    leaders: tuple  # SRecord per server: leaderVars
    learners: tuple  # SRecord per server: followerVars
    msgs: tuple  # SSeq of message records per channel (i, j), i != j, in Layout.pairs order
    epoch_leader: tuple  # SMask per epoch 1 .. max_epoch
    committed: SSeq  # the ghost committed log
    breaches: SSlots  # one slot per breach kind: the first breach of that kind
    recorder: SRecord  # requests, timeouts


def channel_index(n: int, i: int, j: int) -> int:
    """The position of channel (i, j), i != j, in ``msgs``."""
    if i == j:
        raise KeyError((i, j))
    return i * (n - 1) + (j if j < i else j - 1)


def term(x: Any) -> Any:
    return const(x) if isinstance(x, bool | int) else x


@dataclass(frozen=True)
class Layout:
    """The bounds of the encoding: servers, epochs, log and channel capacities."""

    servers: int
    max_epoch: int
    history: int
    channel: int

    @staticmethod
    def of(p: Params) -> Layout:
        """A log holds 2 * MaxTransactionNum entries (a ZK-2845 follower logs a txn it already
        holds again) and a channel 2 * MaxTransactionNum + 2 messages (a sync: DIFF, PROPOSAL
        and COMMIT per txn, NEWLEADER); tests/system/symbolic checks that every reachable state
        of the configurations it explores fits."""
        t = max(p.max_txns, 1)
        return Layout(p.n, p.max_epoch, 2 * t, 2 * t + 2)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(self.servers) for j in range(self.servers) if i != j]

    # -- constant building blocks -------------------------------------------------------

    def mask(self, members: int) -> SMask:
        return SMask(tuple(z3.BoolVal(bool(members >> k & 1)) for k in range(self.servers)))

    def seq(self, items: list, capacity: int, pad: Any) -> SSeq:
        if len(items) > capacity:
            raise ValueError(f"a sequence of {len(items)} items exceeds its capacity {capacity}")
        return SSeq(z3.IntVal(len(items)), (*items, *[pad] * (capacity - len(items))))

    def history_of(self, txns: list[SRecord]) -> SSeq:
        return self.seq(txns, self.history, NO_TXN)

    def empty_channel(self) -> SSeq:
        return self.seq([], self.channel, self.no_message)

    @property
    def no_message(self) -> SRecord:
        return message(0, layout=self)

    def empty_leader(self) -> SRecord:
        return self.leader(
            0, 0, 0, 0, 0, 0, 0, 0, peers=[SYNCED_ZXID] * self.servers, new_epoch=0, acks=[]
        )

    def leader(self, *masks: int, peers: list, new_epoch: int, acks: list) -> SRecord:
        """A leader's record from its masks, in :class:`spec.system.state.Leader`'s order
        (learners, connecting, connecting_live, electing, electing_quorum, ackld,
        ackld_live, forwarding), its peers' last zxids, new epoch and acks."""
        learners, connecting, live, electing, quorum, ackld, ackld_live, forwarding = masks
        return record(
            learners=self.mask(learners),
            connecting=self.mask(connecting),
            connecting_live=self.mask(live),
            electing=self.mask(electing),
            electing_quorum=self.mask(quorum),
            peer_last_zxid=tuple(peers),
            ackld=self.mask(ackld),
            ackld_live=self.mask(ackld_live),
            forwarding=self.mask(forwarding),
            new_epoch=z3.IntVal(new_epoch),
            acks=self.seq([self.mask(a) for a in acks], self.history, self.mask(0)),
        )

    def empty_learner(self) -> SRecord:
        return record(
            leader=z3.IntVal(NULL),
            sync_mode=z3.IntVal(NO_SYNC),
            nl_received=z3.BoolVal(False),
            not_committed=self.history_of([]),
            committed=self.seq([], self.history, ZERO),
            disk_log=self.history_of([]),
        )

    # -- explicit states in ------------------------------------------------------------

    def encode(self, s: SystemState) -> SymSystem:
        """``s`` as constant terms; ValueError when it does not fit the layout or the
        supported configuration (a server down, a link cut, a queued log, ...)."""
        n = self.servers
        if len(s.servers) != n:
            raise ValueError(f"a state of {len(s.servers)} servers, the layout has {n}")
        if s.network.cut or any(s.network.notes) or s.recorder.crashes or s.recorder.partitions:
            raise ValueError("a cut link, a notification or a fault outside the configuration")
        for srv in s.servers:
            if not srv.online:
                raise ValueError("a server is down")
        for el in s.elections:
            if el.round or el.queue or el.waiting or any(v.leader != NULL for v in el.received):
                raise ValueError("an election that is not coarse")
            if any(v.leader != NULL for v in el.out_of_election):
                raise ValueError("an election that is not coarse")
        for lrn in s.learners:
            if lrn.queued or lrn.unacked:
                raise ValueError("a learner's logging queue is not empty")
        for e, m in enumerate(s.ghost.epoch_leader, start=1):
            if m and e > self.max_epoch:
                raise ValueError(f"epoch {e} established beyond MaxEpoch {self.max_epoch}")
        first: dict[int, Any] = {}
        for b in s.ghost.breaches:
            first.setdefault(b.kind, b)
        return SymSystem(
            servers=tuple(
                record(
                    state=z3.IntVal(srv.state),
                    zab_state=z3.IntVal(srv.zab_state),
                    accepted_epoch=z3.IntVal(srv.accepted_epoch),
                    current_epoch=z3.IntVal(srv.current_epoch),
                    history=self._history(srv.history),
                    last_snapshot=z3.IntVal(srv.last_snapshot),
                    last_committed=z3.IntVal(srv.last_committed),
                    last_processed=z3.IntVal(srv.last_processed),
                    initial_len=z3.IntVal(srv.initial_len),
                )
                for srv in s.servers
            ),
            votes=tuple(
                vote(el.vote.leader, zxid(el.vote.zxid), el.vote.epoch) for el in s.elections
            ),
            leaders=tuple(
                self.leader(
                    ld.learners,
                    ld.connecting,
                    ld.connecting_live,
                    ld.electing,
                    ld.electing_quorum,
                    ld.ackld,
                    ld.ackld_live,
                    ld.forwarding,
                    peers=[zxid(z) for z in ld.peer_last_zxid],
                    new_epoch=ld.new_epoch,
                    acks=list(ld.acks),
                )
                for ld in s.leaders
            ),
            learners=tuple(
                record(
                    leader=z3.IntVal(lrn.leader),
                    sync_mode=z3.IntVal(lrn.sync_mode),
                    nl_received=z3.BoolVal(lrn.nl_received),
                    not_committed=self._history(lrn.not_committed),
                    committed=self.seq([zxid(z) for z in lrn.committed], self.history, ZERO),
                    disk_log=self._history(lrn.disk_log),
                )
                for lrn in s.learners
            ),
            msgs=tuple(
                self.seq(
                    [self._message(m) for m in s.network.msgs[i * n + j]],
                    self.channel,
                    self.no_message,
                )
                for i, j in self.pairs
            ),
            epoch_leader=tuple(self.mask(s.ghost.epoch_leader[e - 1]) for e in self.epochs),
            committed=self._history(s.ghost.committed),
            breaches=SSlots(
                tuple(z3.BoolVal(k in first) for k in range(KINDS)),
                tuple(
                    breach_record(k, b.server, b.peer, zxid(b.zxid), b.message)
                    if (b := first.get(k)) is not None
                    else breach_record(k, NULL, NULL, ZERO, NULL)
                    for k in range(KINDS)
                ),
            ),
            recorder=record(
                requests=z3.IntVal(s.recorder.requests), timeouts=z3.IntVal(s.recorder.timeouts)
            ),
        )

    @property
    def epochs(self) -> range:
        return range(1, self.max_epoch + 1)

    def _history(self, h: tuple) -> SSeq:
        return self.history_of([txn(zxid(t.zxid), t.value) for t in h])

    def _message(self, msg: tuple) -> SRecord:
        return message(
            msg[0],
            epoch=getattr(msg, "epoch", 0),
            zxid_=zxid(getattr(msg, "zxid", 0)),
            value=getattr(msg, "value", 0),
            fresh=getattr(msg, "fresh", False),
            snapshot=self._history(getattr(msg, "snapshot", ())),
            layout=self,
        )


# -- records ---------------------------------------------------------------------------


def zxid(z: int | Any, counter: Any = None) -> SRecord:
    """A zxid record: from an explicit int (SYNCED as -1:-1), or from epoch and counter."""
    if counter is not None:
        return record(epoch=term(z), counter=term(counter))
    if z == SYNCED:
        return record(epoch=z3.IntVal(-1), counter=z3.IntVal(-1))
    return record(epoch=z3.IntVal(z >> COUNTER_BITS), counter=z3.IntVal(z & COUNTER_MASK))


ZERO = zxid(0)
SYNCED_ZXID = zxid(SYNCED)


def txn(z: SRecord, value: Any) -> SRecord:
    return record(zxid=z, value=term(value))


NO_TXN = txn(ZERO, 0)


def vote(leader: Any, z: SRecord, epoch: Any) -> SRecord:
    return record(leader=term(leader), zxid=z, epoch=term(epoch))


def breach_record(kind: int, server: Any, peer: Any, z: SRecord, message_type: Any) -> SRecord:
    return record(
        kind=z3.IntVal(kind),
        server=term(server),
        peer=term(peer),
        zxid=z,
        message=term(message_type),
    )


def message(
    mtype: int,
    *,
    layout: Layout,
    epoch: Any = 0,
    zxid_: SRecord = ZERO,
    value: Any = 0,
    fresh: Any = False,
    snapshot: SSeq | None = None,
) -> SRecord:
    """A Zab message: every field any message has, the unused ones at their defaults."""
    return record(
        mtype=z3.IntVal(mtype),
        epoch=term(epoch),
        zxid=zxid_,
        value=term(value),
        fresh=term(fresh),
        snapshot=snapshot if snapshot is not None else layout.history_of([]),
    )


def view(model: z3.ModelRef, s: SymSystem) -> tuple:
    """What ``s`` is under ``model``, as nested tuples (junk past a sequence's end left out):
    the form in which an encoded explicit state and a decoded symbolic one are compared."""
    return _frozen(evaluate(model, tuple(s)))


def _frozen(x: Any) -> Any:
    if isinstance(x, SRecord):
        return tuple((k, _frozen(v)) for k, v in x.fields)
    if isinstance(x, list | tuple):
        return tuple(_frozen(v) for v in x)
    return x


def evaluate_constant(s: SymSystem) -> tuple:
    """The view of a state made of constants (an encoded explicit state)."""
    return view(_EMPTY_MODEL(), s)


def _EMPTY_MODEL() -> z3.ModelRef:
    solver = z3.Solver()
    solver.check()
    return solver.model()
