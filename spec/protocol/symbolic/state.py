"""A protocol state laid out as z3 terms, and the encoding of explicit states into it.

The layout mirrors :class:`spec.protocol.state.ZabState` field by field:
per-server tuples stay tuples indexed by the concrete server id, a history is a
sequence of at most ``max_txns`` txns, a channel ``msgs[(i, j)]`` (from i to j,
i != j) a sequence of at most ``channel`` messages, a set of servers one Bool
per server, and a record set keyed by sid (cepochRecv, ...) one slot per sid.
Records use the property language's field names (``spec/protocol/vocabulary.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import z3

from spec.protocol import messages as m
from spec.protocol.constants import MAXEPOCH, NULL_POINT
from spec.protocol.params import Params
from spec.protocol.state import (
    AckeInfo,
    AckldInfo,
    CepochInfo,
    LastCommitted,
    Recorder,
    Txn,
    ViolatedInvariants,
    ZabState,
)
from zabmc.symbolic.values import (
    SMask,
    SRecord,
    SSeq,
    SSlots,
    const,
    evaluate,
    int_sort,
    record,
    signed_width,
)

VIOLATED_FIELDS = (
    "stateInconsistent",
    "proposalInconsistent",
    "commitInconsistent",
    "ackInconsistent",
    "messageIllegal",
)
RECORDER_FIELDS = ("nTimeout", "nTransaction", "maxEpoch", "nRestart", "nClientRequest")


class SymZab(NamedTuple):
    """ZabState over z3 terms (proposalMsgsLog, a ghost no action reads, left out)."""

    state: tuple
    zab_state: tuple
    accepted_epoch: tuple
    current_epoch: tuple
    history: tuple  # SSeq of Txn records
    last_committed: tuple  # records index, zxid
    learners: tuple  # SMask
    cepoch_recv: tuple  # SSlots of records sid, connected, epoch
    acke_recv: tuple  # SSlots of records sid, connected, peerLastEpoch, peerHistory
    ackld_recv: tuple  # SSlots of records sid, connected
    send_counter: tuple
    connect_info: tuple
    leader_oracle: z3.ArithRef
    msgs: tuple  # SSeq of Message records per channel (i, j), i != j, in Layout.pairs order
    epoch_leader: tuple  # SMask per epoch 1..MAXEPOCH
    violated: SRecord
    recorder: SRecord

    @property
    def sort(self) -> z3.SortRef:
        """The sort of this state's numbers (Int, or the layout's bit-vectors)."""
        return self.leader_oracle.sort()

    def num(self, value: int) -> z3.ExprRef:
        """``value`` as a number of this state's sort."""
        return const(value, self.sort)

    def channel(self, i: int, j: int) -> SSeq:
        """The channel from i to j."""
        return self.msgs[channel_index(len(self.state), i, j)]

    def with_channel(self, i: int, j: int, ch: SSeq) -> tuple:
        """``msgs`` with the channel from i to j replaced."""
        k = channel_index(len(self.state), i, j)
        return (*self.msgs[:k], ch, *self.msgs[k + 1 :])


def channel_index(n: int, i: int, j: int) -> int:
    """The position of channel (i, j), i != j, in ``msgs``: pairs in order, diagonal left out."""
    if i == j:
        raise KeyError((i, j))
    return i * (n - 1) + (j if j < i else j - 1)


def width_for_depth(p: Params, channel: int, depth: int) -> int:
    """The bit-vector width with which every number of a path of ``depth`` steps is exact.

    Why no value wraps. The numbers a state holds are (a) the spec's constants
    (-1 for a null server or an absent index, state and phase codes, message
    types up to 8, sids), (b) lengths, indices and counts, which the capacities
    bound (a history holds at most MaxTransactionNum entries, a channel
    ``channel`` messages, a lastCommitted index is at most a length + 1), and
    (c) counters with no bound of their own (zxid counters, sendCounter, client
    request values, epochs, the recorder's counts): each new value is a
    constant or an existing value + 1, so after d steps none exceeds d. A junk
    slot (past a sequence's length) holds copies of such values or constants.
    So every number in a state at depth d lies in [-1, base + d], ``base`` the
    largest of (a) and (b). Within a step the encoding computes from them at
    most one more + 1 or - 1 (an index + 1, a counter + 1, a length - 1, an index
    of -1 minus 1), and a count of servers doubled (at most 2 * servers), so every
    term lies in [-3, max(base + d + 2, 2 * servers)]; a further slack of 2 at
    each end keeps the argument's constants from being tight. Comparisons are
    signed, so the width is the signed range of that.
    ``tests/protocol/symbolic/test_width.py`` checks the bound (a) to (c) on every
    state breadth-first search reaches within a depth, and that a number at the
    bound does not wrap.
    """
    high = max(state_bound(p, channel, depth) + 2, 2 * p.servers)
    return signed_width(-5, high + 2)


def state_bound(p: Params, channel: int, depth: int) -> int:
    """The largest number a state at ``depth`` holds, by the argument of :func:`width_for_depth`."""
    return max(8, p.servers, p.max_txns + 2, channel + 1, p.max_epoch + 1) + max(depth, 0)


@dataclass(frozen=True)
class Layout:
    """The bounds of the encoding: servers, history capacity, channel capacity, and the
    numbers' bit-vector width (None: z3 Ints)."""

    servers: int
    max_txns: int
    channel: int
    width: int | None = None

    @staticmethod
    def of(p: Params, channel: int | None = None, depth: int | None = None) -> Layout:
        """The layout for ``p``; a channel holds 2 * MaxTransactionNum + 3 messages by default.

        With ``depth`` (bounded model checking to that depth), numbers are bit-vectors
        of :func:`width_for_depth`; without, z3 Ints (induction needs unbounded counters).
        """
        cap = channel or 2 * p.max_txns + 3
        width = None if depth is None else width_for_depth(p, cap, depth)
        return Layout(p.servers, p.max_txns, cap, width)

    @property
    def sort(self) -> z3.SortRef:
        """The sort of every number in a state."""
        return int_sort(self.width)

    def num(self, value: int) -> z3.ExprRef:
        """``value`` as a number of :attr:`sort`."""
        return const(value, self.sort)

    # -- constant building blocks -------------------------------------------------

    def mask(self, members: int) -> SMask:
        return SMask(tuple(z3.BoolVal(bool(members >> k & 1)) for k in range(self.servers)))

    def zxid(self, epoch: int | z3.ArithRef, counter: int | z3.ArithRef) -> SRecord:
        return record(epoch=self._term(epoch), counter=self._term(counter))

    def txn(self, zxid: SRecord, value, ack: SMask, epoch) -> SRecord:
        return record(zxid=zxid, value=self._term(value), ackSid=ack, epoch=self._term(epoch))

    def _term(self, x) -> z3.ExprRef:
        return self.num(x) if isinstance(x, int) else x

    def _ints(self, values: tuple[int, ...]) -> tuple:
        return tuple(self.num(x) for x in values)

    @property
    def no_txn(self) -> SRecord:
        return self.txn(self.zxid(0, 0), 0, self.mask(0), 0)

    def history(self, txns: list[SRecord]) -> SSeq:
        pad = [self.no_txn] * (self.max_txns - len(txns))
        return SSeq(self.num(len(txns)), (*txns, *pad))

    def message(self, mtype: int, mepoch=0, mzxid: SRecord | None = None, mdata=0, mhistory=None):
        return record(
            mtype=self.num(mtype),
            mepoch=self._term(mepoch),
            mzxid=mzxid or self.zxid(0, 0),
            mdata=self._term(mdata),
            mhistory=mhistory or self.history([]),
        )

    @property
    def no_message(self) -> SRecord:
        return self.message(0)

    def channel_of(self, messages: list[SRecord]) -> SSeq:
        pad = [self.no_message] * (self.channel - len(messages))
        return SSeq(self.num(len(messages)), (*messages, *pad))

    @property
    def empty_channel(self) -> SSeq:
        return self.channel_of([])

    def cepoch_info(self, sid: int, connected, epoch) -> SRecord:
        return record(sid=self.num(sid), connected=_bool(connected), epoch=self._term(epoch))

    def acke_info(self, sid: int, connected, last_epoch, history: SSeq) -> SRecord:
        return record(
            sid=self.num(sid),
            connected=_bool(connected),
            peerLastEpoch=self._term(last_epoch),
            peerHistory=history,
        )

    def ackld_info(self, sid: int, connected) -> SRecord:
        return record(sid=self.num(sid), connected=_bool(connected))

    def no_slots(self, make) -> SSlots:
        n = self.servers
        return SSlots((z3.BoolVal(False),) * n, tuple(make(k) for k in range(n)))

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(self.servers) for j in range(self.servers) if i != j]

    # -- explicit states in and out ---------------------------------------------------

    def encode(self, s: ZabState) -> SymZab:
        """``s`` as constant terms; raises ValueError when it does not fit the layout."""
        for h in s.history:
            if len(h) > self.max_txns:
                raise ValueError(f"a history of {len(h)} entries exceeds {self.max_txns}")
        return SymZab(
            state=self._ints(s.state),
            zab_state=self._ints(s.zab_state),
            accepted_epoch=self._ints(s.accepted_epoch),
            current_epoch=self._ints(s.current_epoch),
            history=tuple(self._history(h) for h in s.history),
            last_committed=tuple(
                record(index=self.num(c.index), zxid=self.zxid(*c.zxid)) for c in s.last_committed
            ),
            learners=tuple(self.mask(x) for x in s.learners),
            cepoch_recv=tuple(
                self._slots(
                    recv,
                    lambda r: self.cepoch_info(r.sid, r.connected, r.epoch),
                    lambda k: self.cepoch_info(k, False, 0),
                )
                for recv in s.cepoch_recv
            ),
            acke_recv=tuple(
                self._slots(
                    recv,
                    lambda r: self.acke_info(
                        r.sid, r.connected, r.peer_last_epoch, self._history(r.peer_history)
                    ),
                    lambda k: self.acke_info(k, False, 0, self.history([])),
                )
                for recv in s.acke_recv
            ),
            ackld_recv=tuple(
                self._slots(
                    recv,
                    lambda r: self.ackld_info(r.sid, r.connected),
                    lambda k: self.ackld_info(k, False),
                )
                for recv in s.ackld_recv
            ),
            send_counter=self._ints(s.send_counter),
            connect_info=self._ints(s.connect_info),
            leader_oracle=self.num(s.leader_oracle),
            msgs=tuple(self._channel(s.msgs[i][j]) for i, j in self.pairs),
            epoch_leader=tuple(self.mask(x) for x in s.epoch_leader),
            violated=record(
                **{
                    f: z3.BoolVal(v)
                    for f, v in zip(VIOLATED_FIELDS, s.violated_invariants, strict=True)
                }
            ),
            recorder=record(
                **{f: self.num(v) for f, v in zip(RECORDER_FIELDS, s.recorder, strict=True)}
            ),
        )

    def _history(self, h) -> SSeq:
        return self.history(
            [self.txn(self.zxid(*t.zxid), t.value, self.mask(t.ack_sid), t.epoch) for t in h]
        )

    def _slots(self, recv, make, blank) -> SSlots:
        present = [False] * self.servers
        items = [blank(k) for k in range(self.servers)]
        for r in recv:
            present[r.sid] = True
            items[r.sid] = make(r)
        return SSlots(tuple(z3.BoolVal(p) for p in present), tuple(items))

    def _channel(self, channel: tuple) -> SSeq:
        if len(channel) > self.channel:
            raise ValueError(f"a channel of {len(channel)} messages exceeds {self.channel}")
        return self.channel_of([self._message(msg) for msg in channel])

    def _message(self, msg: tuple) -> SRecord:
        zxid = getattr(msg, "mzxid", (0, 0))
        return self.message(
            msg[0],
            getattr(msg, "mepoch", 0),
            self.zxid(*zxid),
            getattr(msg, "mdata", 0),
            self._history(getattr(msg, "mhistory", ())),
        )

    def decode(self, model: z3.ModelRef, s: SymZab, proposals: tuple = ()) -> ZabState:
        """The explicit state ``s`` stands for under ``model``."""
        v = {name: evaluate(model, value) for name, value in s._asdict().items()}
        n = self.servers
        channels = dict(zip(self.pairs, v["msgs"], strict=True))
        return ZabState(
            state=tuple(v["state"]),
            zab_state=tuple(v["zab_state"]),
            accepted_epoch=tuple(v["accepted_epoch"]),
            current_epoch=tuple(v["current_epoch"]),
            history=tuple(_txns(h) for h in v["history"]),
            last_committed=tuple(
                LastCommitted(c["index"], _zxid(c["zxid"])) for c in v["last_committed"]
            ),
            learners=tuple(_bits(x) for x in v["learners"]),
            cepoch_recv=tuple(
                tuple(CepochInfo(k, r["connected"], r["epoch"]) for k, r in enumerate(slots) if r)
                for slots in v["cepoch_recv"]
            ),
            acke_recv=tuple(
                tuple(
                    AckeInfo(k, r["connected"], r["peerLastEpoch"], _txns(r["peerHistory"]))
                    for k, r in enumerate(slots)
                    if r
                )
                for slots in v["acke_recv"]
            ),
            ackld_recv=tuple(
                tuple(AckldInfo(k, r["connected"]) for k, r in enumerate(slots) if r)
                for slots in v["ackld_recv"]
            ),
            send_counter=tuple(v["send_counter"]),
            connect_info=tuple(v["connect_info"]),
            leader_oracle=v["leader_oracle"],
            msgs=tuple(
                tuple(
                    () if i == j else tuple(_message(x) for x in channels[(i, j)]) for j in range(n)
                )
                for i in range(n)
            ),
            epoch_leader=tuple(_bits(x) for x in v["epoch_leader"]),
            proposal_msgs_log=proposals,
            violated_invariants=ViolatedInvariants(*(v["violated"][f] for f in VIOLATED_FIELDS)),
            recorder=Recorder(*(v["recorder"][f] for f in RECORDER_FIELDS)),
        )


def _bool(x) -> z3.BoolRef:
    return z3.BoolVal(x) if isinstance(x, bool) else x


def _bits(members: list[bool]) -> int:
    return sum(1 << k for k, x in enumerate(members) if x)


def _zxid(r: SRecord) -> tuple[int, int]:
    return (r["epoch"], r["counter"])


def _txns(h: list) -> tuple[Txn, ...]:
    return tuple(Txn(_zxid(t["zxid"]), t["value"], _bits(t["ackSid"]), t["epoch"]) for t in h)


_BUILD = {
    0: lambda r: m.cepoch(r["mepoch"]),
    1: lambda r: m.newepoch(r["mepoch"]),
    2: lambda r: m.ackepoch(r["mepoch"], _txns(r["mhistory"])),
    3: lambda r: m.newleader(r["mepoch"], _txns(r["mhistory"])),
    4: lambda r: m.ackld(_zxid(r["mzxid"])),
    5: lambda r: m.commitld(_zxid(r["mzxid"])),
    6: lambda r: m.propose(_zxid(r["mzxid"]), r["mdata"]),
    7: lambda r: m.ack(_zxid(r["mzxid"])),
    8: lambda r: m.commit(_zxid(r["mzxid"])),
}


def _message(r: SRecord) -> tuple:
    return _BUILD[r["mtype"]](r)


__all__ = ["MAXEPOCH", "NULL_POINT", "Layout", "SymZab"]
