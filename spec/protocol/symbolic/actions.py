"""Zab.tla's actions over symbolic states: one function each, guard first, then the update.

Each mirrors its namesake in ``spec/protocol/actions``; server arguments are
concrete, data is symbolic. A branch on a symbolic condition computes both
sides and merges them (:func:`branch`). ``Step.require`` collects the guard,
including the conditions under which the explicit action would raise
SpecError (the symbolic one is then disabled) and the room a bounded channel
or history needs.
"""

from __future__ import annotations

import z3

from spec.protocol.bugs import COMMITLD_ACKLD_ZXID, PROPOSE_TO_ACKLD, STRICT_PROPOSE
from spec.protocol.constants import (
    ACK,
    ACKEPOCH,
    ACKLD,
    BROADCAST,
    CEPOCH,
    COMMIT,
    COMMITLD,
    DISCOVERY,
    ELECTION,
    FOLLOWING,
    LEADING,
    LOOKING,
    MAXEPOCH,
    NEWEPOCH,
    NEWLEADER,
    NULL_POINT,
    PROPOSE,
    SYNCHRONIZATION,
)
from spec.protocol.symbolic.state import Layout, SymZab
from zabmc.symbolic.step import Step, branch
from zabmc.symbolic.values import (
    TRUE,
    SMask,
    SRecord,
    SSeq,
    SSlots,
    const,
    disj,
    ite,
    mask_count,
    record,
    seq_append,
    seq_at,
    seq_put,
    seq_tail,
)
from zabmc.symbolic.values import count as how_many


def put(values: tuple, i: int, value) -> tuple:
    return (*values[:i], value, *values[i + 1 :])


# -- zxids, quorums, histories --------------------------------------------------------


def zxid_lt(a: SRecord, b: SRecord) -> z3.BoolRef:
    return z3.Or(
        a["epoch"] < b["epoch"], z3.And(a["epoch"] == b["epoch"], a["counter"] < b["counter"])
    )


def zxid_eq(a: SRecord, b: SRecord) -> z3.BoolRef:
    return z3.And(a["epoch"] == b["epoch"], a["counter"] == b["counter"])


def is_zero(z: SRecord) -> z3.BoolRef:
    return z3.And(z["epoch"] == 0, z["counter"] == 0)


def is_quorum(mask: SMask, n: int, sort: z3.SortRef | None = None) -> z3.BoolRef:
    """More than half of ``n`` servers are in ``mask`` (counted as numbers of ``sort``)."""
    return mask_count(mask, sort) * 2 > n


def last_zxid(layout: Layout, h: SSeq) -> SRecord:
    return ite(h.length == 0, layout.zxid(0, 0), seq_at(h, h.length - 1)["zxid"])


def zxid_to_index(h: SSeq, z: SRecord) -> z3.ArithRef:
    """``ZxidToIndex``: 1-based position; 0 for <<0, 0>>; len + 1 when absent; -1 when twice."""
    hits = [z3.And(k < h.length, zxid_eq(t["zxid"], z)) for k, t in enumerate(h.items)]
    count = how_many(hits, h.length.sort())
    position = const(0, h.length.sort())
    for k in range(len(hits) - 1, -1, -1):
        position = z3.If(hits[k], k + 1, position)
    return z3.If(is_zero(z), 0, z3.If(count == 0, h.length + 1, z3.If(count > 1, -1, position)))


def present_mask(slots: SSlots, connected_only: bool = False) -> SMask:
    if not connected_only:
        return SMask(slots.present)
    return SMask(
        tuple(z3.And(p, r["connected"]) for p, r in zip(slots.present, slots.items, strict=True))
    )


def mask_and(a: SMask, b: SMask) -> SMask:
    return SMask(tuple(z3.And(x, y) for x, y in zip(a.members, b.members, strict=True)))


def mask_with(a: SMask, k: int, value) -> SMask:
    return SMask(put(a.members, k, z3.BoolVal(value) if isinstance(value, bool) else value))


def upsert(slots: SSlots, sid: int, item: SRecord) -> SSlots:
    return SSlots(put(slots.present, sid, TRUE), put(slots.items, sid, item))


def mark_disconnected(slots: SSlots, sid: int) -> SSlots:
    item = slots.items[sid].replace(connected=z3.BoolVal(False))
    return SSlots(slots.present, put(slots.items, sid, item))


def flag(s: SymZab, name: str, cond: z3.BoolRef = TRUE) -> SymZab:
    """Set violatedInvariants.name when ``cond``."""
    old = s.violated[name]
    return s._replace(violated=s.violated.replace(**{name: z3.Or(old, cond)}))


# -- channels (channels.py) ----------------------------------------------------------


def pending(s: SymZab, i: int, j: int, mtype: int) -> z3.BoolRef:
    """The head of j's channel to i is a message of type ``mtype``."""
    if i == j:
        return z3.BoolVal(False)
    ch = s.channel(j, i)
    return z3.And(ch.length > 0, ch.items[0]["mtype"] == mtype)


def head(s: SymZab, i: int, j: int) -> SRecord:
    return s.channel(j, i).items[0]


def send(step: Step, s: SymZab, i: int, j: int, msg: SRecord, when: z3.BoolRef = TRUE):
    """Append ``msg`` to the channel from i to j (when ``when``); it needs room."""
    ch = s.channel(i, j)
    step.require(z3.Implies(when, ch.length < step.layout.channel))
    return s.with_channel(i, j, ite(when, seq_append(ch, msg), ch))


def discard(step: Step, s: SymZab, i: int, j: int):
    """Drop the head of the channel from i to j, if any."""
    ch = s.channel(i, j)
    return s.with_channel(i, j, ite(ch.length > 0, seq_tail(ch, step.layout.no_message), ch))


def reply(step: Step, s: SymZab, i: int, j: int, msg: SRecord):
    """i consumes the head from j and sends ``msg`` to j."""
    t = s._replace(msgs=discard(step, s, j, i))
    return send(step, t, i, j, msg)


def clean(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    """``s`` with both channels between i and j emptied."""
    empty = step.layout.empty_channel
    t = s._replace(msgs=s.with_channel(i, j, empty))
    return t._replace(msgs=t.with_channel(j, i, empty))


def clean_input_buffer(step: Step, s: SymZab, group: SMask):
    """Empty every channel into a server of ``group``."""
    empty = step.layout.empty_channel
    pairs = step.layout.pairs
    return tuple(ite(group.members[v], empty, ch) for (_, v), ch in zip(pairs, s.msgs, strict=True))


def discard_and_broadcast(step: Step, s: SymZab, i: int, j: int | None, targets: SMask, msg):
    if j is not None:
        s = s._replace(msgs=discard(step, s, j, i))
    for v in range(step.layout.servers):
        if v != i:
            s = s._replace(msgs=send(step, s, i, v, msg, targets.members[v]))
    return s.msgs


# -- roles (role_changes.py) --------------------------------------------------------------


def follower_shutdown(s: SymZab, i: int) -> SymZab:
    return s._replace(
        state=put(s.state, i, s.num(LOOKING)),
        zab_state=put(s.zab_state, i, s.num(ELECTION)),
        connect_info=put(s.connect_info, i, s.num(NULL_POINT)),
    )


def leader_shutdown(step: Step, s: SymZab, i: int) -> SymZab:
    group = s.learners[i]
    g = group.members
    return s._replace(
        state=tuple(ite(g[k], s.num(LOOKING), v) for k, v in enumerate(s.state)),
        zab_state=tuple(ite(g[k], s.num(ELECTION), v) for k, v in enumerate(s.zab_state)),
        connect_info=tuple(ite(g[k], s.num(NULL_POINT), v) for k, v in enumerate(s.connect_info)),
        msgs=clean_input_buffer(step, s, group),
        learners=put(s.learners, i, step.layout.mask(0)),
    )


def switch_to_follower(s: SymZab, i: int) -> SymZab:
    return s._replace(
        state=put(s.state, i, s.num(FOLLOWING)),
        zab_state=put(s.zab_state, i, s.num(DISCOVERY)),
    )


def switch_to_leader(step: Step, s: SymZab, i: int) -> SymZab:
    lay = step.layout
    return s._replace(
        state=put(s.state, i, s.num(LEADING)),
        zab_state=put(s.zab_state, i, s.num(DISCOVERY)),
        learners=put(s.learners, i, lay.mask(1 << i)),
        cepoch_recv=put(
            s.cepoch_recv,
            i,
            upsert(
                lay.no_slots(lambda k: lay.cepoch_info(k, False, 0)),
                i,
                lay.cepoch_info(i, True, s.accepted_epoch[i]),
            ),
        ),
        acke_recv=put(
            s.acke_recv,
            i,
            upsert(
                lay.no_slots(lambda k: lay.acke_info(k, False, 0, lay.history([]))),
                i,
                lay.acke_info(i, True, s.current_epoch[i], s.history[i]),
            ),
        ),
        ackld_recv=put(
            s.ackld_recv,
            i,
            upsert(lay.no_slots(lambda k: lay.ackld_info(k, False)), i, lay.ackld_info(i, True)),
        ),
        send_counter=put(s.send_counter, i, s.num(0)),
    )


def remove_learner(s: SymZab, i: int, j: int) -> SymZab:
    return s._replace(
        learners=put(s.learners, i, mask_with(s.learners[i], j, False)),
        cepoch_recv=put(s.cepoch_recv, i, mark_disconnected(s.cepoch_recv[i], j)),
        acke_recv=put(s.acke_recv, i, mark_disconnected(s.acke_recv[i], j)),
        ackld_recv=put(s.ackld_recv, i, mark_disconnected(s.ackld_recv[i], j)),
    )


def recorder(s: SymZab, **changes) -> SymZab:
    return s._replace(recorder=s.recorder.replace(**changes))


# -- election.py ----------------------------------------------------------------------


def update_leader(step: Step, s: SymZab, i: int) -> SymZab:
    step.require(z3.And(s.state[i] == LOOKING, s.leader_oracle != i))
    return switch_to_leader(step, s._replace(leader_oracle=s.num(i)), i)


def follow_leader(step: Step, s: SymZab, i: int) -> SymZab:
    step.require(z3.And(s.state[i] == LOOKING, s.leader_oracle != NULL_POINT))
    return branch(s.leader_oracle == i, switch_to_leader(step, s, i), switch_to_follower(s, i))


# -- faults.py ------------------------------------------------------------------------


def timeout(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    n = step.layout.servers
    step.require(s.recorder["nTimeout"] < step.p.max_timeouts)
    step.require(z3.And(s.state[i] == LEADING, s.learners[i].members[j]))
    step.require(z3.And(s.state[j] == FOLLOWING, s.connect_info[j] == i))
    keeps = is_quorum(mask_with(s.learners[i], j, False), n, s.sort)
    kept = follower_shutdown(remove_learner(s, i, j), j)
    kept = clean(step, kept, i, j) if i != j else kept
    t = branch(keeps, kept, leader_shutdown(step, s, i))
    return recorder(t, nTimeout=s.recorder["nTimeout"] + 1)


def restart(step: Step, s: SymZab, i: int) -> SymZab:
    n = step.layout.servers
    step.require(s.recorder["nTimeout"] < step.p.max_timeouts)
    step.require(s.recorder["nRestart"] < step.p.max_restarts)
    leader = s.connect_info[i]
    # FOLLOWING with no leader
    alone = follower_shutdown(s, i)
    alone = alone._replace(msgs=clean_input_buffer(step, alone, step.layout.mask(1 << i)))
    following = alone
    for ld in range(n):
        if ld == i:
            continue
        keeps = is_quorum(mask_with(s.learners[ld], i, False), n, s.sort)
        kept = follower_shutdown(remove_learner(s, ld, i), i)
        kept = clean(step, kept, ld, i)
        following = branch(
            leader == ld, branch(keeps, kept, leader_shutdown(step, s, ld)), following
        )
    step.require(z3.Or(leader == NULL_POINT, z3.And(leader >= 0, leader < n, leader != i)))
    t = branch(
        s.state[i] == LOOKING,
        s,
        branch(s.state[i] == FOLLOWING, following, leader_shutdown(step, s, i)),
    )
    t = t._replace(last_committed=put(t.last_committed, i, last_committed(step.layout, s.num(0))))
    return recorder(t, nTimeout=s.recorder["nTimeout"] + 1, nRestart=s.recorder["nRestart"] + 1)


def last_committed(layout: Layout, index, zxid: SRecord | None = None) -> SRecord:
    """A lastCommitted record [index, zxid]."""
    return record(index=index, zxid=zxid or layout.zxid(0, 0))


# -- discovery.py ---------------------------------------------------------------------


def connect_and_follower_send_cepoch(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    if i == j:
        step.require(z3.BoolVal(False))
        return s
    step.require(z3.And(s.state[i] == LEADING, z3.Not(s.learners[i].members[j])))
    step.require(z3.And(s.state[j] == FOLLOWING, s.connect_info[j] == NULL_POINT))
    step.require(s.leader_oracle == i)
    t = s._replace(
        learners=put(s.learners, i, mask_with(s.learners[i], j, True)),
        connect_info=put(s.connect_info, j, s.num(i)),
    )
    return t._replace(msgs=send(step, t, j, i, step.layout.message(CEPOCH, s.accepted_epoch[j])))


def leader_process_cepoch(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay, n = step.layout, step.layout.servers
    step.require(s.recorder["maxEpoch"] < step.p.max_epoch)
    step.require(z3.And(s.state[i] == LEADING, pending(s, i, j, CEPOCH)))
    step.require(s.learners[i].members[j])
    if i == j:
        return s
    msg = head(s, i, j)
    recv = upsert(s.cepoch_recv[i], j, lay.cepoch_info(j, True, msg["mepoch"]))
    t = s._replace(cepoch_recv=put(s.cepoch_recv, i, recv))
    # 1. before the quorum
    before = flag(t, "stateInconsistent", s.zab_state[i] != DISCOVERY)
    new_epoch = s.num(-1)
    for p_, r in zip(recv.present, recv.items, strict=True):
        new_epoch = z3.If(z3.And(p_, r["epoch"] > new_epoch), r["epoch"], new_epoch)
    new_epoch = new_epoch + 1
    targets = mask_and(present_mask(recv, True), s.learners[i])
    formed = before._replace(
        accepted_epoch=put(s.accepted_epoch, i, new_epoch),
        msgs=discard_and_broadcast(step, s, i, j, targets, lay.message(NEWEPOCH, new_epoch)),
    )
    waiting = before._replace(msgs=discard(step, s, j, i))
    first = branch(is_quorum(present_mask(recv), n, s.sort), formed, waiting)
    # 2. after: reply to the late follower
    late = t._replace(msgs=reply(step, s, i, j, lay.message(NEWEPOCH, s.accepted_epoch[i])))
    t = branch(is_quorum(present_mask(s.cepoch_recv[i]), n, s.sort), late, first)
    largest = t.accepted_epoch[0]
    for e in t.accepted_epoch[1:]:
        largest = z3.If(e > largest, e, largest)
    return recorder(t, maxEpoch=largest)


def follower_process_newepoch(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay = step.layout
    step.require(z3.And(s.state[i] == FOLLOWING, pending(s, i, j, NEWEPOCH)))
    step.require(s.connect_info[i] == j)
    if i == j:
        return s
    msg = head(s, i, j)
    accept = s._replace(
        accepted_epoch=put(s.accepted_epoch, i, msg["mepoch"]),
        msgs=reply(step, s, i, j, lay.message(ACKEPOCH, s.current_epoch[i], mhistory=s.history[i])),
        zab_state=put(s.zab_state, i, s.num(SYNCHRONIZATION)),
    )
    odd = flag(s, "stateInconsistent")._replace(msgs=discard(step, s, j, i))
    ok = branch(s.zab_state[i] == DISCOVERY, accept, odd)
    stale = remove_learner(follower_shutdown(s, i), j, i)
    stale = clean(step, stale, i, j)
    return branch(msg["mepoch"] >= s.accepted_epoch[i], ok, stale)


def determine_initial_history(lay: Layout, recv: SSlots) -> SSeq:
    """The history of the present record with the largest (f.a, last zxid); ties: smaller sid."""
    best = None
    best_key = None
    best_present = z3.BoolVal(False)
    for p_, r in zip(recv.present, recv.items, strict=True):
        h = r["peerHistory"]
        key_epoch = r["peerLastEpoch"]
        lz = last_zxid(lay, h)
        if best is None:
            best, best_key, best_present = h, (key_epoch, lz), p_
            continue
        better = z3.Or(
            key_epoch > best_key[0],
            z3.And(key_epoch == best_key[0], zxid_lt(best_key[1], lz)),
        )
        take = z3.And(p_, z3.Or(z3.Not(best_present), better))
        best = ite(take, h, best)
        best_key = (ite(take, key_epoch, best_key[0]), ite(take, lz, best_key[1]))
        best_present = z3.Or(best_present, p_)
    return best


def init_acksid(lay: Layout, i: int, h: SSeq) -> SSeq:
    return SSeq(
        h.length,
        tuple(
            ite(k < h.length, t.replace(ackSid=lay.mask(1 << i)), t) for k, t in enumerate(h.items)
        ),
    )


def leader_process_ackepoch(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay, n = step.layout, step.layout.servers
    step.require(z3.And(s.state[i] == LEADING, pending(s, i, j, ACKEPOCH)))
    step.require(s.learners[i].members[j])
    if i == j:
        return s
    msg = head(s, i, j)
    recv = upsert(s.acke_recv[i], j, lay.acke_info(j, True, msg["mepoch"], msg["mhistory"]))
    t = s._replace(acke_recv=put(s.acke_recv, i, recv))
    epoch = s.accepted_epoch[i]
    # 1. NEWLEADER already broadcast: reply to the late follower
    late = t._replace(
        msgs=reply(step, s, i, j, lay.message(NEWLEADER, epoch, mhistory=s.history[i]))
    )
    # 2. before the quorum
    before = flag(t, "stateInconsistent", s.zab_state[i] != DISCOVERY)
    waiting = before._replace(msgs=discard(step, s, j, i))
    to_send = init_acksid(lay, i, determine_initial_history(lay, recv))
    targets = mask_and(present_mask(recv, True), s.learners[i])
    epoch_leader = tuple(
        ite(epoch == e, mask_with(mask, i, True), mask)
        for e, mask in enumerate(s.epoch_leader, start=1)
    )
    formed = before._replace(
        current_epoch=put(s.current_epoch, i, epoch),
        epoch_leader=epoch_leader,
        history=put(s.history, i, to_send),
        zab_state=put(s.zab_state, i, s.num(SYNCHRONIZATION)),
        msgs=discard_and_broadcast(
            step, s, i, j, targets, lay.message(NEWLEADER, epoch, mhistory=to_send)
        ),
    )
    first = branch(is_quorum(present_mask(recv), n, s.sort), formed, waiting)
    return branch(is_quorum(present_mask(s.acke_recv[i]), n, s.sort), late, first)


# -- synchronization.py ---------------------------------------------------------------


def follower_process_newleader(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay = step.layout
    step.require(z3.And(s.state[i] == FOLLOWING, pending(s, i, j, NEWLEADER)))
    step.require(s.connect_info[i] == j)
    if i == j:
        return s
    msg = head(s, i, j)
    stale = clean(step, remove_learner(follower_shutdown(s, i), j, i), i, j)
    ok = flag(s, "stateInconsistent", s.zab_state[i] != SYNCHRONIZATION)
    ok = ok._replace(
        current_epoch=put(s.current_epoch, i, s.accepted_epoch[i]),
        history=put(s.history, i, msg["mhistory"]),
        msgs=reply(step, s, i, j, lay.message(ACKLD, mzxid=last_zxid(lay, msg["mhistory"]))),
    )
    return branch(s.accepted_epoch[i] != msg["mepoch"], stale, ok)


def update_acksid(h: SSeq, target: int, end: SRecord) -> SSeq:
    going = z3.BoolVal(True)
    items = []
    for k, t in enumerate(h.items):
        going = z3.And(going, k < h.length, z3.Not(zxid_lt(end, t["zxid"])))
        items.append(ite(going, t.replace(ackSid=mask_with(t["ackSid"], target, True)), t))
    return SSeq(h.length, tuple(items))


def leader_process_ackld(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay, n = step.layout, step.layout.servers
    step.require(z3.And(s.state[i] == LEADING, pending(s, i, j, ACKLD)))
    step.require(s.learners[i].members[j])
    if i == j:
        return s
    msg = head(s, i, j)
    recv = upsert(s.ackld_recv[i], j, lay.ackld_info(j, True))
    t = s._replace(
        ackld_recv=put(s.ackld_recv, i, recv),
        history=put(s.history, i, update_acksid(s.history[i], j, msg["mzxid"])),
    )
    # 1. before the quorum
    before = flag(t, "stateInconsistent", s.zab_state[i] != SYNCHRONIZATION)
    waiting = before._replace(msgs=discard(step, s, j, i))
    zxid = last_zxid(lay, s.history[i])
    targets = mask_and(present_mask(recv, True), s.learners[i])
    formed = before._replace(
        last_committed=put(s.last_committed, i, last_committed(lay, s.history[i].length, zxid)),
        zab_state=put(s.zab_state, i, s.num(BROADCAST)),
        msgs=discard_and_broadcast(step, s, i, j, targets, lay.message(COMMITLD, mzxid=zxid)),
    )
    first = branch(is_quorum(present_mask(recv), n, s.sort), formed, waiting)
    # 2. after: reply COMMITLD to the late follower
    after = flag(t, "stateInconsistent", s.zab_state[i] != BROADCAST)
    commit_zxid = msg["mzxid"] if step.p.bug == COMMITLD_ACKLD_ZXID else s.last_committed[i]["zxid"]
    after = after._replace(msgs=reply(step, s, i, j, lay.message(COMMITLD, mzxid=commit_zxid)))
    return branch(is_quorum(present_mask(s.ackld_recv[i]), n, s.sort), after, first)


def follower_process_commitld(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay = step.layout
    step.require(z3.And(s.state[i] == FOLLOWING, pending(s, i, j, COMMITLD)))
    step.require(s.connect_info[i] == j)
    if i == j:
        return s
    msg = head(s, i, j)
    h = s.history[i]
    index = z3.If(is_zero(msg["mzxid"]), 0, zxid_to_index(h, msg["mzxid"]))
    t = flag(s, "proposalInconsistent", z3.Not(z3.And(index >= 0, index <= h.length)))
    return t._replace(
        last_committed=put(s.last_committed, i, last_committed(lay, index, msg["mzxid"])),
        zab_state=put(s.zab_state, i, s.num(BROADCAST)),
        msgs=discard(step, s, j, i),
    )


# -- broadcast.py ---------------------------------------------------------------------


def leader_process_request(step: Step, s: SymZab, i: int) -> SymZab:
    lay = step.layout
    step.require(s.recorder["nTransaction"] < step.p.max_txns)
    step.require(z3.And(s.state[i] == LEADING, s.zab_state[i] == BROADCAST))
    h = s.history[i]
    step.require(h.length < lay.max_txns)
    last = last_zxid(lay, h)
    epoch = s.current_epoch[i]
    zxid = ite(
        epoch == last["epoch"],
        lay.zxid(last["epoch"], last["counter"] + 1),
        lay.zxid(epoch, 1),
    )
    txn = lay.txn(zxid, s.recorder["nClientRequest"], lay.mask(1 << i), epoch)
    history = put(s.history, i, seq_append(h, txn))
    longest = history[0].length
    for other in history[1:]:
        longest = z3.If(other.length > longest, other.length, longest)
    t = s._replace(history=history)
    return recorder(t, nTransaction=longest, nClientRequest=s.recorder["nClientRequest"] + 1)


def current_counter(lay: Layout, s: SymZab, i: int) -> z3.ArithRef:
    z = last_zxid(lay, s.history[i])
    return z3.If(z["epoch"] == s.current_epoch[i], z["counter"], 0)


def leader_broadcast_propose(step: Step, s: SymZab, i: int) -> SymZab:
    lay = step.layout
    step.require(z3.And(s.state[i] == LEADING, s.zab_state[i] == BROADCAST))
    step.require(s.send_counter[i] < current_counter(lay, s, i))
    counter = s.send_counter[i] + 1
    h = s.history[i]
    index = zxid_to_index(h, lay.zxid(s.current_epoch[i], counter))
    step.require(z3.And(index >= 1, index <= h.length))  # else SpecError
    txn = seq_at(h, index - 1)
    recv = s.ackld_recv[i] if step.p.bug == PROPOSE_TO_ACKLD else s.acke_recv[i]
    targets = mask_and(present_mask(recv, True), s.learners[i])
    t = s._replace(send_counter=put(s.send_counter, i, counter))
    msg = lay.message(PROPOSE, mzxid=txn["zxid"], mdata=txn["value"])
    return t._replace(msgs=discard_and_broadcast(step, t, i, None, targets, msg))


def is_next_zxid(cur: SRecord, nxt: SRecord) -> z3.BoolRef:
    return z3.If(
        nxt["counter"] == 1,
        cur["epoch"] < nxt["epoch"],
        z3.And(
            nxt["counter"] > 1,
            cur["epoch"] == nxt["epoch"],
            cur["counter"] + 1 == nxt["counter"],
        ),
    )


def follower_process_propose(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay = step.layout
    step.require(z3.And(s.state[i] == FOLLOWING, pending(s, i, j, PROPOSE)))
    step.require(s.connect_info[i] == j)
    if i == j:
        return s
    msg = head(s, i, j)
    h = s.history[i]
    nxt = is_next_zxid(last_zxid(lay, h), msg["mzxid"])
    step.require(z3.Implies(nxt, h.length < lay.max_txns))
    txn = lay.txn(msg["mzxid"], msg["mdata"], lay.mask(0), s.current_epoch[i])
    logged = s._replace(
        history=put(s.history, i, seq_append(h, txn)),
        msgs=reply(step, s, i, j, lay.message(ACK, mzxid=msg["mzxid"])),
    )
    index = zxid_to_index(h, msg["mzxid"])
    exist = z3.And(index > 0, index <= h.length)
    dropped = s._replace(msgs=discard(step, s, j, i))
    strict = step.p.bug == STRICT_PROPOSE
    dropped = flag(dropped, "proposalInconsistent", TRUE if strict else z3.Not(exist))
    return branch(nxt, logged, dropped)


def last_ack_index(s: SymZab, i: int, j: int) -> z3.ArithRef:
    h = s.history[i]
    result = s.num(-1)
    for k, t in enumerate(h.items):
        result = z3.If(z3.And(k < h.length, t["ackSid"].members[j]), k + 1, result)
    return result


def leader_process_ack(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay, n = step.layout, step.layout.servers
    step.require(z3.And(s.state[i] == LEADING, pending(s, i, j, ACK)))
    step.require(s.learners[i].members[j])
    if i == j:
        return s
    msg = head(s, i, j)
    h = s.history[i]
    index = zxid_to_index(h, msg["mzxid"])
    exist = z3.And(index >= 1, index <= h.length)
    lc = s.last_committed[i]
    outstanding = lc["index"] < h.length
    has_committed = z3.Not(zxid_lt(lc["zxid"], msg["mzxid"]))
    ack_index = last_ack_index(s, i, j)
    monotonic = z3.Or(ack_index == -1, ack_index + 1 == index)
    illegal = flag(s, "ackInconsistent")._replace(msgs=discard(step, s, j, i))
    txn = seq_at(h, index - 1)
    acked = txn.replace(ackSid=mask_with(txn["ackSid"], j, True))
    t = s._replace(history=put(s.history, i, seq_put(h, index - 1, acked)))
    done = t._replace(msgs=discard(step, s, j, i))
    # LeaderTryToCommit
    committed = lc["index"]
    can = z3.And(committed >= index - 1, is_quorum(acked["ackSid"], n, s.sort))
    targets = mask_and(present_mask(s.ackld_recv[i], True), s.learners[i])
    commit = flag(t, "commitInconsistent", committed + 1 != index)._replace(
        last_committed=put(s.last_committed, i, last_committed(lay, index, msg["mzxid"])),
        msgs=discard_and_broadcast(step, s, i, j, targets, lay.message(COMMIT, mzxid=msg["mzxid"])),
    )
    tried = branch(can, commit, done)
    counted = branch(z3.Or(z3.Not(outstanding), has_committed), done, tried)
    return branch(z3.And(exist, monotonic), counted, illegal)


def follower_process_commit(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    lay = step.layout
    step.require(z3.And(s.state[i] == FOLLOWING, pending(s, i, j, COMMIT)))
    step.require(s.connect_info[i] == j)
    if i == j:
        return s
    msg = head(s, i, j)
    t = s._replace(msgs=discard(step, s, j, i))
    committed = s.last_committed[i]["index"]
    h = s.history[i]
    step.require(z3.Implies(committed < h.length, committed >= 0))  # else SpecError
    first = seq_at(h, committed)
    wrong = flag(t, "commitInconsistent")
    right = t._replace(
        last_committed=put(s.last_committed, i, last_committed(lay, committed + 1, first["zxid"]))
    )
    return branch(
        committed < h.length, branch(zxid_eq(first["zxid"], msg["mzxid"]), right, wrong), t
    )


# -- filter.py ------------------------------------------------------------------------

LEADER_TO_FOLLOWER = (NEWEPOCH, NEWLEADER, COMMITLD, PROPOSE, COMMIT)
FOLLOWER_TO_LEADER = (CEPOCH, ACKEPOCH, ACKLD, ACK)


def filter_nonexistent_message(step: Step, s: SymZab, i: int, j: int) -> SymZab:
    if i == j:
        step.require(z3.BoolVal(False))
        return s
    ch = s.channel(j, i)
    step.require(ch.length > 0)
    mtype = ch.items[0]["mtype"]
    to_follower = disj([mtype == x for x in LEADER_TO_FOLLOWER])
    to_leader = disj([mtype == x for x in FOLLOWER_TO_LEADER])
    nonexistent = z3.If(
        s.state[i] == LEADING,
        z3.Or(to_follower, z3.And(z3.Not(s.learners[i].members[j]), to_leader)),
        z3.If(
            s.state[i] == FOLLOWING,
            z3.Or(to_leader, z3.And(s.connect_info[i] != j, to_follower)),
            s.state[i] == LOOKING,
        ),
    )
    step.require(nonexistent)
    return flag(s._replace(msgs=discard(step, s, j, i)), "messageIllegal")


__all__ = ["MAXEPOCH", "Step"]
