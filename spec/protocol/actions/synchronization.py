"""Phase 2, synchronization: NEWLEADER, ACKLD (its ACK) and COMMITLD (its COMMIT).

A follower adopts the leader's initial history; once a quorum has acked it,
the leader commits the whole history and tells each follower how far to
commit with COMMITLD.
"""

from __future__ import annotations

from spec.protocol import messages as m
from spec.protocol.bugs import COMMITLD_ACKLD_ZXID
from spec.protocol.channels import clean, discard, discard_and_broadcast, head, pending, reply
from spec.protocol.constants import (
    ACKLD,
    BROADCAST,
    COMMITLD,
    FOLLOWING,
    LEADING,
    NEWLEADER,
    SYNCHRONIZATION,
    ZERO_ZXID,
)
from spec.protocol.params import Params
from spec.protocol.role_changes import follower_shutdown, remove_learner
from spec.protocol.state import (
    AckldInfo,
    History,
    LastCommitted,
    Txn,
    ZabState,
    Zxid,
    has,
    is_quorum,
    last_zxid,
    put,
    replace,
    sid_mask,
    upsert,
    zxid_to_index,
)


def follower_process_newleader(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``FollowerProcessNEWLEADER(i, j)``: follower i adopts e' and the initial history.

    1. f.p differs from e': start a new iteration (back to election).
    2. Otherwise set f.a to e', replace the history and reply ACKLD.
    """
    if not (s.state[i] == FOLLOWING and pending(s, i, j, NEWLEADER)):
        return None
    if s.connect_info[i] != j:  # infoOk
        return None
    msg = head(s, i, j)
    if s.accepted_epoch[i] != msg.mepoch:
        # 1. f.p is not e'
        leader = s.connect_info[i]
        t = remove_learner(follower_shutdown(s, i), leader, i)
        return replace(t, msgs=clean(s.msgs, i, leader))
    # 2. f.p equals e'
    t = s
    if s.zab_state[i] != SYNCHRONIZATION:
        t = replace(t, violated_invariants=s.violated_invariants._replace(state_inconsistent=True))
    return replace(
        t,
        current_epoch=put(s.current_epoch, i, s.accepted_epoch[i]),
        history=put(s.history, i, msg.mhistory),
        msgs=reply(s.msgs, i, j, m.ackld(last_zxid(msg.mhistory))),
    )


def update_acksid(history: History, target: int, end_zxid: Zxid) -> History:
    """``UpdateAcksid``: ``target`` acks every txn up to ``end_zxid``."""
    bit = 1 << target
    updated: list[Txn] = []
    for k, txn in enumerate(history):
        if txn.zxid > end_zxid:
            return (*updated, *history[k:])
        updated.append(
            txn if txn.ack_sid & bit else Txn(txn.zxid, txn.value, txn.ack_sid | bit, txn.epoch)
        )
    return tuple(updated)


def leader_process_ackld(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``LeaderProcessACKLD(i, j)``: leader i takes j's ACKLD.

    1. Before the quorum: record it; when the quorum forms, commit the whole
       history, move to BROADCAST and broadcast COMMITLD.
    2. After: reply COMMITLD with the leader's lastCommitted zxid.
    """
    if not (s.state[i] == LEADING and pending(s, i, j, ACKLD)):
        return None
    if not has(s.learners[i], j):  # infoOk
        return None
    msg = head(s, i, j)
    recv = upsert(s.ackld_recv[i], AckldInfo(j, True))
    t = replace(
        s,
        ackld_recv=put(s.ackld_recv, i, recv),
        history=put(s.history, i, update_acksid(s.history[i], j, msg.mzxid)),
    )
    if not is_quorum(sid_mask(s.ackld_recv[i]), p.servers):
        # 1. has not broadcast COMMITLD
        if s.zab_state[i] != SYNCHRONIZATION:
            t = replace(
                t, violated_invariants=s.violated_invariants._replace(state_inconsistent=True)
            )
        if not is_quorum(sid_mask(recv), p.servers):
            # 1.2. still no quorum
            return replace(t, msgs=discard(s.msgs, j, i))
        # 1.1. the quorum forms
        zxid = last_zxid(s.history[i])
        targets = sid_mask(recv, connected_only=True) & s.learners[i]
        return replace(
            t,
            last_committed=put(s.last_committed, i, LastCommitted(len(s.history[i]), zxid)),
            zab_state=put(s.zab_state, i, BROADCAST),
            msgs=discard_and_broadcast(s.msgs, i, j, targets, m.commitld(zxid)),
        )
    # 2. has broadcast COMMITLD
    if s.zab_state[i] != BROADCAST:
        t = replace(t, violated_invariants=s.violated_invariants._replace(state_inconsistent=True))
    zxid = msg.mzxid if p.bug == COMMITLD_ACKLD_ZXID else s.last_committed[i].zxid
    return replace(t, msgs=reply(s.msgs, i, j, m.commitld(zxid)))


def follower_process_commitld(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``FollowerProcessCOMMITLD(i, j)``: follower i commits up to the zxid in COMMITLD."""
    if not (s.state[i] == FOLLOWING and pending(s, i, j, COMMITLD)):
        return None
    if s.connect_info[i] != j:  # infoOk
        return None
    msg = head(s, i, j)
    index = 0 if msg.mzxid == ZERO_ZXID else zxid_to_index(s.history[i], msg.mzxid)
    t = s
    if not 0 <= index <= len(s.history[i]):  # ~logOk
        t = replace(
            t, violated_invariants=s.violated_invariants._replace(proposal_inconsistent=True)
        )
    return replace(
        t,
        last_committed=put(s.last_committed, i, LastCommitted(index, msg.mzxid)),
        zab_state=put(s.zab_state, i, BROADCAST),
        msgs=discard(s.msgs, j, i),
    )
