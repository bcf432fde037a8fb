"""Phase 3, broadcast: client requests, PROPOSE, ACK and COMMIT."""

from __future__ import annotations

from spec.protocol import messages as m
from spec.protocol.bugs import PROPOSE_TO_ACKLD, STRICT_PROPOSE
from spec.protocol.channels import discard, discard_and_broadcast, head, pending, reply
from spec.protocol.constants import ACK, BROADCAST, COMMIT, FOLLOWING, LEADING, PROPOSE
from spec.protocol.errors import SpecError
from spec.protocol.params import Params
from spec.protocol.recorder import after_request, check_transaction_num
from spec.protocol.state import (
    LastCommitted,
    ProposalRecord,
    Txn,
    ZabState,
    Zxid,
    add_proposals,
    has,
    is_quorum,
    last_zxid,
    put,
    replace,
    sid_mask,
    zxid_to_index,
)


def inc_zxid(current_epoch: int, zxid: Zxid) -> Zxid:
    """``IncZxid``: the next zxid in the current epoch."""
    if current_epoch == zxid[0]:
        return (zxid[0], zxid[1] + 1)
    return (current_epoch, 1)


def leader_process_request(s: ZabState, p: Params, i: int) -> ZabState | None:
    """``LeaderProcessRequest(i)``: leader i appends a client write to its history.

    The value is the request counter, so every write is unique.
    """
    if not check_transaction_num(s, p):
        return None
    if not (s.state[i] == LEADING and s.zab_state[i] == BROADCAST):
        return None
    txn = Txn(
        inc_zxid(s.current_epoch[i], last_zxid(s.history[i])),
        s.recorder.n_client_request,
        1 << i,
        s.current_epoch[i],
    )
    history = put(s.history, i, (*s.history[i], txn))
    return replace(s, history=history, recorder=after_request(s.recorder, history))


def current_counter(s: ZabState, i: int) -> int:
    """``CurrentCounter(i)``: the counter of i's last zxid if it is of i's epoch, else 0."""
    zxid = last_zxid(s.history[i])
    return zxid[1] if zxid[0] == s.current_epoch[i] else 0


def leader_broadcast_propose(s: ZabState, p: Params, i: int) -> ZabState | None:
    """``LeaderBroadcastPROPOSE(i)``: leader i proposes its next unsent txn.

    It goes to every connected learner in ackeRecv, so that a follower that
    has been sent NEWLEADER misses nothing proposed after it.
    """
    if not (s.state[i] == LEADING and s.zab_state[i] == BROADCAST):
        return None
    if not s.send_counter[i] < current_counter(s, i):
        return None
    counter = s.send_counter[i] + 1
    index = zxid_to_index(s.history[i], (s.current_epoch[i], counter))
    if not 1 <= index <= len(s.history[i]):
        raise SpecError(f"LeaderBroadcastPROPOSE: index {index} is outside history[{i}]")
    txn = s.history[i][index - 1]
    recv = s.ackld_recv[i] if p.bug == PROPOSE_TO_ACKLD else s.acke_recv[i]
    targets = sid_mask(recv, connected_only=True) & s.learners[i]
    return replace(
        s,
        send_counter=put(s.send_counter, i, counter),
        msgs=discard_and_broadcast(s.msgs, i, None, targets, m.propose(txn.zxid, txn.value)),
        proposal_msgs_log=add_proposals(
            s.proposal_msgs_log, [ProposalRecord(i, s.current_epoch[i], txn.zxid, txn.value)]
        ),
    )


def is_next_zxid(cur: Zxid, nxt: Zxid) -> bool:
    """``IsNextZxid``: ``nxt`` directly follows ``cur``."""
    if nxt[1] == 1:  # the first proposal of an epoch
        return cur[0] < nxt[0]
    return nxt[1] > 1 and cur[0] == nxt[0] and cur[1] + 1 == nxt[1]


def follower_process_propose(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``FollowerProcessPROPOSE(i, j)``: follower i logs the next proposal and ACKs it.

    A proposal it already has is dropped; one that is neither next nor known
    is illegal.
    """
    if not (s.state[i] == FOLLOWING and pending(s, i, j, PROPOSE)):
        return None
    if s.connect_info[i] != j:  # infoOk
        return None
    msg = head(s, i, j)
    if is_next_zxid(last_zxid(s.history[i]), msg.mzxid):
        txn = Txn(msg.mzxid, msg.mdata, 0, s.current_epoch[i])
        return replace(
            s,
            history=put(s.history, i, (*s.history[i], txn)),
            msgs=reply(s.msgs, i, j, m.ack(msg.mzxid)),
        )
    index = zxid_to_index(s.history[i], msg.mzxid)
    exist = 0 < index <= len(s.history[i])
    t = replace(s, msgs=discard(s.msgs, j, i))
    if not exist or p.bug == STRICT_PROPOSE:
        t = replace(
            t, violated_invariants=s.violated_invariants._replace(proposal_inconsistent=True)
        )
    return t


def last_ack_index_from_follower(s: ZabState, i: int, j: int) -> int:
    """``LastAckIndexFromFollower(i, j)``: the last position in i's history that j acked, or -1."""
    bit = 1 << j
    for k in range(len(s.history[i]), 0, -1):
        if s.history[i][k - 1].ack_sid & bit:
            return k
    return -1


def leader_process_ack(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``LeaderProcessACK(i, j)``: leader i counts j's ACK and tries to commit.

    ACKs must come in log order; an ACK for a txn i lacks, or out of order,
    is illegal.
    """
    if not (s.state[i] == LEADING and pending(s, i, j, ACK)):
        return None
    if not has(s.learners[i], j):  # infoOk
        return None
    msg = head(s, i, j)
    history = s.history[i]
    index = zxid_to_index(history, msg.mzxid)
    exist = 1 <= index <= len(history)
    outstanding = s.last_committed[i].index < len(history)
    has_committed = not msg.mzxid > s.last_committed[i].zxid
    ack_index = last_ack_index_from_follower(s, i, j)
    monotonically_inc = ack_index == -1 or ack_index + 1 == index
    if not (exist and monotonically_inc):
        return replace(
            s,
            violated_invariants=s.violated_invariants._replace(ack_inconsistent=True),
            msgs=discard(s.msgs, j, i),
        )
    txn = history[index - 1]
    acked = Txn(txn.zxid, txn.value, txn.ack_sid | 1 << j, txn.epoch)
    t = replace(s, history=put(s.history, i, (*history[: index - 1], acked, *history[index:])))
    if not outstanding or has_committed:
        return replace(t, msgs=discard(s.msgs, j, i))
    return leader_try_to_commit(t, p, i, index, msg.mzxid, acked, j)


def leader_try_to_commit(
    s: ZabState, p: Params, i: int, index: int, zxid: Zxid, txn: Txn, follower: int
) -> ZabState:
    """``LeaderTryToCommit``: commit txn once a quorum acked it and all before it are committed.

    The COMMIT goes to ackldRecv: a follower still syncing learns of the
    commit from COMMITLD instead.
    """
    committed = s.last_committed[i].index
    if not (committed >= index - 1 and is_quorum(txn.ack_sid, p.servers)):
        return replace(s, msgs=discard(s.msgs, follower, i))
    t = s
    if committed + 1 != index:  # ~ordered
        t = replace(t, violated_invariants=s.violated_invariants._replace(commit_inconsistent=True))
    targets = sid_mask(s.ackld_recv[i], connected_only=True) & s.learners[i]
    return replace(
        t,
        last_committed=put(s.last_committed, i, LastCommitted(index, zxid)),
        msgs=discard_and_broadcast(s.msgs, i, follower, targets, m.commit(zxid)),
    )


def follower_process_commit(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``FollowerProcessCOMMIT(i, j)``: follower i commits its next pending txn.

    The COMMIT must name exactly that txn; with nothing pending it is ignored.
    """
    if not (s.state[i] == FOLLOWING and pending(s, i, j, COMMIT)):
        return None
    if s.connect_info[i] != j:  # infoOk
        return None
    msg = head(s, i, j)
    t = replace(s, msgs=discard(s.msgs, j, i))
    committed = s.last_committed[i].index
    if not committed < len(s.history[i]):  # nothing pending: a warning in Zab.tla
        return t
    if committed < 0:
        raise SpecError(f"FollowerProcessCOMMIT: lastCommitted index {committed} of server {i}")
    first = s.history[i][committed]
    if first.zxid != msg.mzxid:
        return replace(
            t, violated_invariants=s.violated_invariants._replace(commit_inconsistent=True)
        )
    return replace(
        t, last_committed=put(s.last_committed, i, LastCommitted(committed + 1, first.zxid))
    )
