"""What the symbolic actions share: the guard being built, zxids, masks, logs, channels,
the ghost variables and taking a message (the symbolic side of ``state.py``,
``zxid.py``, ``channels.py``, ``ghost.py``, ``receive.py`` and ``learner_log.py``).

A branch on a symbolic condition computes both sides and merges them
(:func:`branch`); :meth:`Step.under` records the condition under which a side is
taken, so that what it requires (room in a bounded log or channel) is required on
that side only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import z3

from spec.system import constants as c
from spec.system.ghost import MESSAGE_ILLEGAL
from spec.system.params import Params
from spec.system.symbolic.state import (
    ZERO,
    SymSystem,
    breach_record,
    channel_index,
    message,
    term,
)
from zabmc.symbolic.step import Step, branch
from zabmc.symbolic.values import (
    TRUE,
    SMask,
    SRecord,
    SSeq,
    SSlots,
    disj,
    ite,
    mask_count,
    seq_append,
    seq_at,
    seq_tail,
)


def cases(pairs: Sequence[tuple[z3.BoolRef, SymSystem]], otherwise: SymSystem) -> SymSystem:
    """The first state whose condition holds, as an ``if .. elif .. else`` chain."""
    result = otherwise
    for cond, s in reversed(pairs):
        result = branch(cond, s, result)
    return result


def put(values: tuple, i: int, value: Any) -> tuple:
    """``[values EXCEPT ![i] = value]``."""
    return (*values[:i], value, *values[i + 1 :])


def set_server(s: SymSystem, i: int, **changes: Any) -> SymSystem:
    return s._replace(servers=put(s.servers, i, s.servers[i].replace(**changes)))


def set_leader(s: SymSystem, i: int, ld: SRecord) -> SymSystem:
    return s._replace(leaders=put(s.leaders, i, ld))


def set_learner(s: SymSystem, i: int, lrn: SRecord) -> SymSystem:
    return s._replace(learners=put(s.learners, i, lrn))


def one_of(x: Any, values: Sequence[int]) -> z3.BoolRef:
    return disj([x == v for v in values])


# -- zxids (zxid.py) ----------------------------------------------------------------------


def zxid_lt(a: SRecord, b: SRecord) -> z3.BoolRef:
    return z3.Or(
        a["epoch"] < b["epoch"], z3.And(a["epoch"] == b["epoch"], a["counter"] < b["counter"])
    )


def zxid_eq(a: SRecord, b: SRecord) -> z3.BoolRef:
    return z3.And(a["epoch"] == b["epoch"], a["counter"] == b["counter"])


def zxid_le(a: SRecord, b: SRecord) -> z3.BoolRef:
    return z3.Or(zxid_lt(a, b), zxid_eq(a, b))


def is_zero(z: SRecord) -> z3.BoolRef:
    return zxid_eq(z, ZERO)


def is_next_zxid(current: SRecord, nxt: SRecord) -> z3.BoolRef:
    """``IsNextZxid``: the first of a later epoch, or the next counter of the same epoch."""
    return z3.If(
        nxt["counter"] == 1,
        current["epoch"] < nxt["epoch"],
        z3.And(current["epoch"] == nxt["epoch"], current["counter"] + 1 == nxt["counter"]),
    )


def txn_eq(a: SRecord, b: SRecord) -> z3.BoolRef:
    return z3.And(zxid_eq(a["zxid"], b["zxid"]), a["value"] == b["value"])


# -- sets of servers --------------------------------------------------------------------


def has(m: SMask, k: int) -> z3.BoolRef:
    return m.members[k]


def with_member(m: SMask, k: int, value: bool | z3.BoolRef = True) -> SMask:
    return SMask(put(m.members, k, term(value)))


def mask_and(a: SMask, b: SMask) -> SMask:
    return SMask(tuple(z3.And(x, y) for x, y in zip(a.members, b.members, strict=True)))


def mask_or(a: SMask, b: SMask) -> SMask:
    return SMask(tuple(z3.Or(x, y) for x, y in zip(a.members, b.members, strict=True)))


def mask_minus(a: SMask, b: SMask) -> SMask:
    return SMask(tuple(z3.And(x, z3.Not(y)) for x, y in zip(a.members, b.members, strict=True)))


def is_quorum(p: Params, m: SMask) -> z3.BoolRef:
    """More than half of the voters are in ``m`` (the configuration has no observers)."""
    return mask_count(m) * 2 > p.voters


# -- logs (state.py, learner_log.py) ------------------------------------------------------


def last_zxid(h: SSeq, length: Any = None) -> SRecord:
    """The zxid of entry ``length`` (default: the last one), or 0:0 for none."""
    k = h.length if length is None else length
    return ite(k > 0, seq_at(h, k - 1)["zxid"], ZERO)


def index_of_zxid(h: SSeq, z: SRecord) -> z3.ArithRef:
    """1-based position of the first entry with zxid ``z``; 0 for 0:0; ``len + 1`` if absent."""
    position: Any = h.length + 1
    for k in range(h.capacity - 1, -1, -1):
        position = z3.If(z3.And(k < h.length, zxid_eq(h.items[k]["zxid"], z)), k + 1, position)
    return z3.If(is_zero(z), 0, position)


def index_at_or_below(h: SSeq, z: SRecord) -> z3.ArithRef:
    """``IndexOfZxid``: the number of leading entries whose zxid is at most ``z``."""
    position: Any = h.length
    for k in range(h.capacity - 1, -1, -1):
        position = z3.If(z3.And(k < h.length, zxid_lt(z, h.items[k]["zxid"])), k, position)
    return position


def take(h: SSeq, k: Any) -> SSeq:
    """``h[:k]`` for ``0 <= k <= len(h)``."""
    return SSeq(term(k), h.items)


def drop(h: SSeq, k: Any, pad: Any) -> SSeq:
    """``h[k:]`` for ``0 <= k <= len(h)``."""
    items = tuple(seq_at(SSeq(h.length, (*h.items, pad)), k + q) for q in range(h.capacity))
    return SSeq(h.length - k, items)


def extend(step: Step, h: SSeq, more: SSeq, count: Any = None) -> SSeq:
    """``h + more[:count]`` (all of ``more`` by default); it needs room."""
    n = more.length if count is None else count
    step.require(h.length + n <= h.capacity)
    items = tuple(
        ite(k < h.length, h.items[k], seq_at(more, k - h.length)) for k in range(h.capacity)
    )
    return SSeq(h.length + n, items)


def append(step: Step, h: SSeq, item: Any) -> SSeq:
    """``Append(h, item)``; it needs room."""
    step.require(h.length < h.capacity)
    return seq_append(h, item)


def processed_zxid(srv: SRecord) -> SRecord:
    """The zxid of the last transaction applied to the data tree."""
    return last_zxid(srv["history"], srv["last_processed"])


def pending_at(srv: SRecord, lrn: SRecord, k: Any) -> SRecord:
    """Entry ``k`` (0-based) of the pending log: the log on disk, then what sync brought."""
    h, extra = srv["history"], lrn["not_committed"]
    return ite(k < h.length, seq_at(h, k), seq_at(extra, k - h.length))


def pending_len(srv: SRecord, lrn: SRecord) -> z3.ArithRef:
    return srv["history"].length + lrn["not_committed"].length


def pending_index_of(srv: SRecord, lrn: SRecord, z: SRecord) -> z3.ArithRef:
    """:func:`index_of_zxid` over the pending log (the disk's entries come first)."""
    h, extra = srv["history"], lrn["not_committed"]
    position: Any = pending_len(srv, lrn) + 1
    for q in range(extra.capacity - 1, -1, -1):
        hit = z3.And(q < extra.length, zxid_eq(extra.items[q]["zxid"], z))
        position = z3.If(hit, h.length + q + 1, position)
    for k in range(h.capacity - 1, -1, -1):
        position = z3.If(z3.And(k < h.length, zxid_eq(h.items[k]["zxid"], z)), k + 1, position)
    return z3.If(is_zero(z), 0, position)


def last_committed(srv: SRecord, lrn: SRecord) -> z3.ArithRef:
    """``LastCommitted(i)`` (learner_log.last_committed)."""
    commits = lrn["committed"]
    h = srv["history"]
    learning = one_of(srv["state"], (c.FOLLOWING, c.OBSERVING))
    return z3.If(
        srv["zab_state"] == c.BROADCAST,
        srv["last_committed"],
        z3.If(
            srv["state"] == c.LEADING,
            srv["initial_len"],
            z3.If(
                z3.Not(learning),
                srv["last_committed"],
                z3.If(
                    commits.length > 0,
                    pending_index_of(srv, lrn, seq_at(commits, commits.length - 1)),
                    z3.If(
                        h.length == srv["initial_len"],
                        h.length,
                        z3.If(
                            srv["initial_len"] < srv["last_committed"],
                            srv["last_committed"],
                            srv["initial_len"],
                        ),
                    ),
                ),
            ),
        ),
    )


# -- channels (channels.py) -------------------------------------------------------------


def channel(s: SymSystem, src: int, dst: int) -> SSeq:
    return s.msgs[channel_index(len(s.servers), src, dst)]


def with_channel(s: SymSystem, src: int, dst: int, ch: SSeq) -> SymSystem:
    return s._replace(msgs=put(s.msgs, channel_index(len(s.servers), src, dst), ch))


def send(
    step: Step, s: SymSystem, src: int, dst: int, *msgs: SRecord, when: Any = TRUE
) -> SymSystem:
    """Append ``msgs`` to the channel from src to dst (when ``when``); it needs room."""
    return send_some(step, s, src, dst, [(when, m) for m in msgs])


def send_some(step: Step, s: SymSystem, src: int, dst: int, msgs: list[tuple[Any, SRecord]]):
    """Append each message whose condition holds, in order."""
    ch = channel(s, src, dst)
    for cond, m in msgs:
        cond = term(cond)
        if z3.is_false(cond):
            continue
        with step.under(cond):
            grown = append(step, ch, m)
        ch = ite(cond, grown, ch)
    return with_channel(s, src, dst, ch)


def discard(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """i takes the head of the channel from j."""
    ch = channel(s, j, i)
    return with_channel(s, j, i, ite(ch.length > 0, seq_tail(ch, step.layout.no_message), ch))


def reply(step: Step, s: SymSystem, i: int, j: int, *msgs: SRecord) -> SymSystem:
    """i takes the head of the channel from j and sends ``msgs`` to j."""
    return send(step, discard(step, s, i, j), i, j, *msgs)


def broadcast(step: Step, s: SymSystem, i: int, targets: SMask, msg: SRecord) -> SymSystem:
    """i sends ``msg`` to every server in ``targets`` but itself."""
    for v in range(step.layout.servers):
        if v != i:
            s = send(step, s, i, v, msg, when=targets.members[v])
    return s


def close_connection(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    empty = step.layout.empty_channel()
    return with_channel(with_channel(s, i, j, empty), j, i, empty)


def clean_input(step: Step, s: SymSystem, group: SMask) -> SymSystem:
    """Every Zab channel into a server of ``group`` is emptied."""
    empty = step.layout.empty_channel()
    return s._replace(
        msgs=tuple(
            ite(group.members[dst], empty, ch)
            for (_, dst), ch in zip(step.layout.pairs, s.msgs, strict=True)
        )
    )


def msg(step: Step, mtype: int, **fields: Any) -> SRecord:
    """A message of type ``mtype`` (messages.py); ``zxid`` is a zxid record."""
    z = fields.pop("zxid", ZERO)
    return message(mtype, layout=step.layout, zxid_=z, **fields)


# -- ghost variables (ghost.py) -----------------------------------------------------------


def breach(s: SymSystem, kind: int, server: Any, peer: Any, z: SRecord = ZERO,
           message_type: Any = c.NULL, when: Any = TRUE) -> SymSystem:  # fmt: skip
    """Record a failed check (when ``when``): the first breach of each kind is kept."""
    when = term(when)
    if z3.is_false(when):
        return s
    b = s.breaches
    new = breach_record(kind, server, peer, z, message_type)
    first = z3.And(when, z3.Not(b.present[kind]))
    present = put(b.present, kind, z3.Or(b.present[kind], when))
    return s._replace(breaches=SSlots(present, put(b.items, kind, ite(first, new, b.items[kind]))))


def record_commit(s: SymSystem, h: SSeq, k: Any) -> SymSystem:
    """A leader committed ``h[:k]``: the ghost committed log grows to it when it extends it."""
    g = s.committed
    same = [z3.Implies(q < g.length, txn_eq_at(g, h, q)) for q in range(g.capacity)]
    grows = z3.And(k > g.length, *same)
    return s._replace(committed=ite(grows, SSeq(term(k), h.items), g))


def txn_eq_at(a: SSeq, b: SSeq, q: int) -> z3.BoolRef:
    return txn_eq(a.items[q], b.items[q])


def record_established(step: Step, s: SymSystem, epoch: Any, leader: int) -> SymSystem:
    """``epochLeader[epoch] \\union {leader}`` (an epoch beyond the layout needs a bigger one)."""
    step.require(epoch <= step.layout.max_epoch)
    marks = tuple(
        ite(epoch == e, with_member(m, leader), m)
        for e, m in zip(step.layout.epochs, s.epoch_leader, strict=True)
    )
    return s._replace(epoch_leader=marks)


# -- taking a message (receive.py) --------------------------------------------------------


def taking(step: Step, s: SymSystem, i: int, j: int, *types: int) -> SRecord:
    """The head of the channel from j to i, required to be of one of ``types``."""
    ch = channel(s, j, i)
    head = ch.items[0]
    step.require(z3.And(ch.length > 0, one_of(head["mtype"], types)))
    return head


def is_learner_of(s: SymSystem, i: int, j: int) -> z3.BoolRef:
    """``IsMyLeader(i, j)``."""
    srv = s.servers[i]
    return z3.And(one_of(srv["state"], (c.FOLLOWING, c.OBSERVING)), s.learners[i]["leader"] == j)


def is_leader_of(s: SymSystem, i: int, j: int) -> z3.BoolRef:
    """``IsMyLearner(i, j)``."""
    return z3.And(s.servers[i]["state"] == c.LEADING, has(s.leaders[i]["learners"], j))


def illegal(step: Step, s: SymSystem, i: int, j: int, m: SRecord) -> SymSystem:
    """i takes ``m`` from j, which cannot arrive in i's state: a breach."""
    s = discard(step, s, i, j)
    return breach(s, MESSAGE_ILLEGAL, i, j, m["zxid"], m["mtype"])
