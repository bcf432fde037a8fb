"""Phase 1, discovery: CEPOCH (FOLLOWERINFO), NEWEPOCH (LEADERINFO), ACKEPOCH.

The leader gathers a quorum of CEPOCH, picks a new epoch e' above every
accepted epoch it heard of, and then gathers a quorum of ACKEPOCH to choose
the initial history Ie' of the most up-to-date follower.
"""

from __future__ import annotations

from spec.protocol import messages as m
from spec.protocol.channels import (
    clean,
    discard,
    discard_and_broadcast,
    head,
    pending,
    reply,
    send,
)
from spec.protocol.constants import (
    ACKEPOCH,
    CEPOCH,
    DISCOVERY,
    FOLLOWING,
    LEADING,
    MAXEPOCH,
    NEWEPOCH,
    NULL_POINT,
    SYNCHRONIZATION,
)
from spec.protocol.params import Params
from spec.protocol.recorder import after_cepoch, check_epoch
from spec.protocol.role_changes import follower_shutdown, remove_learner
from spec.protocol.state import (
    AckeInfo,
    CepochInfo,
    History,
    ProposalRecord,
    Txn,
    ZabState,
    add_proposals,
    has,
    is_quorum,
    last_zxid,
    put,
    replace,
    sid_mask,
    upsert,
)


def connect_and_follower_send_cepoch(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``ConnectAndFollowerSendCEPOCH(i, j)``: follower j connects to leader i and sends its f.p."""
    if not (s.state[i] == LEADING and not has(s.learners[i], j)):
        return None
    if not (s.state[j] == FOLLOWING and s.connect_info[j] == NULL_POINT):
        return None
    if s.leader_oracle != i:
        return None
    return replace(
        s,
        learners=put(s.learners, i, s.learners[i] | 1 << j),
        connect_info=put(s.connect_info, j, i),
        msgs=send(s.msgs, j, i, m.cepoch(s.accepted_epoch[j])),
    )


def leader_process_cepoch(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``LeaderProcessCEPOCH(i, j)``: leader i takes j's CEPOCH.

    1. Before a quorum: record it; when the quorum forms, set e' to the largest
       f.p plus one and broadcast NEWEPOCH to the quorum.
    2. After: reply NEWEPOCH(e') to the late follower directly.
    """
    if not check_epoch(s, p):
        return None
    if not (s.state[i] == LEADING and pending(s, i, j, CEPOCH)):
        return None
    if not has(s.learners[i], j):  # infoOk
        return None
    msg = head(s, i, j)
    recv = upsert(s.cepoch_recv[i], CepochInfo(j, True, msg.mepoch))
    t = replace(s, cepoch_recv=put(s.cepoch_recv, i, recv))
    if not is_quorum(sid_mask(s.cepoch_recv[i]), p.servers):
        # 1. has not broadcast NEWEPOCH
        if s.zab_state[i] != DISCOVERY:
            t = replace(
                t, violated_invariants=s.violated_invariants._replace(state_inconsistent=True)
            )
        if is_quorum(sid_mask(recv), p.servers):
            # 1.1. the quorum forms: determine e' and broadcast NEWEPOCH in Q
            new_epoch = max(c.epoch for c in recv) + 1
            targets = sid_mask(recv, connected_only=True) & s.learners[i]
            t = replace(
                t,
                accepted_epoch=put(s.accepted_epoch, i, new_epoch),
                msgs=discard_and_broadcast(s.msgs, i, j, targets, m.newepoch(new_epoch)),
            )
        else:
            # 1.2. still no quorum
            t = replace(t, msgs=discard(s.msgs, j, i))
    else:
        # 2. has broadcast NEWEPOCH
        t = replace(t, msgs=reply(s.msgs, i, j, m.newepoch(s.accepted_epoch[i])))
    return replace(t, recorder=after_cepoch(s.recorder, t.accepted_epoch))


def follower_process_newepoch(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``FollowerProcessNEWEPOCH(i, j)``: follower i takes e' from its leader j.

    1. e' >= f.p: accept it, reply ACKEPOCH(f.a, history) and move to SYNCHRONIZATION.
    2. e' < f.p: the leader is stale; go back to election.
    """
    if not (s.state[i] == FOLLOWING and pending(s, i, j, NEWEPOCH)):
        return None
    if s.connect_info[i] != j:  # infoOk
        return None
    msg = head(s, i, j)
    if msg.mepoch >= s.accepted_epoch[i]:  # epochOk
        if s.zab_state[i] == DISCOVERY:  # stateOk
            return replace(
                s,
                accepted_epoch=put(s.accepted_epoch, i, msg.mepoch),
                msgs=reply(s.msgs, i, j, m.ackepoch(s.current_epoch[i], s.history[i])),
                zab_state=put(s.zab_state, i, SYNCHRONIZATION),
            )
        return replace(
            s,
            violated_invariants=s.violated_invariants._replace(state_inconsistent=True),
            msgs=discard(s.msgs, j, i),
        )
    # 2. abnormal case: go back to election
    leader = s.connect_info[i]
    t = remove_learner(follower_shutdown(s, i), leader, i)
    return replace(t, msgs=clean(s.msgs, i, leader))


def determine_initial_history(recv: tuple[AckeInfo, ...]) -> History:
    """``DetermineInitialHistory``: the history of the most up-to-date follower.

    Most up to date means the largest f.a, then the largest last zxid.
    Among equals, TLC's CHOOSE takes the first in its order of the set,
    which is the smallest sid.
    """
    best = recv[0]
    for a in recv[1:]:  # recv is sorted by sid, so ties keep the smaller sid
        if (a.peer_last_epoch, last_zxid(a.peer_history)) > (
            best.peer_last_epoch,
            last_zxid(best.peer_history),
        ):
            best = a
    return best.peer_history


def init_acksid(i: int, history: History) -> History:
    """``InitAcksid(i, his)``: every txn of the initial history is acked by i alone."""
    return tuple(Txn(t.zxid, t.value, 1 << i, t.epoch) for t in history)


def packets_for_checking(i: int, epoch: int, history: History) -> list[ProposalRecord]:
    """``SetPacketsForChecking``: the proposals that NEWLEADER carries, for the invariants."""
    return [ProposalRecord(i, epoch, t.zxid, t.value) for t in history]


def leader_process_ackepoch(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``LeaderProcessACKEPOCH(i, j)``: leader i takes j's ACKEPOCH(f.a, h(f)).

    1. After the quorum: reply NEWLEADER(e', history) to the late follower.
    2. Before: record it; when the quorum forms, set f.a to e', adopt the
       initial history Ie' and broadcast NEWLEADER to the quorum.
    """
    if not (s.state[i] == LEADING and pending(s, i, j, ACKEPOCH)):
        return None
    if not has(s.learners[i], j):  # infoOk
        return None
    msg = head(s, i, j)
    recv = upsert(s.acke_recv[i], AckeInfo(j, True, msg.mepoch, msg.mhistory))
    t = replace(s, acke_recv=put(s.acke_recv, i, recv))
    epoch = s.accepted_epoch[i]
    if is_quorum(sid_mask(s.acke_recv[i]), p.servers):
        # 1. has broadcast NEWLEADER
        to_send = s.history[i]
        return replace(
            t,
            msgs=reply(s.msgs, i, j, m.newleader(epoch, to_send)),
            proposal_msgs_log=add_proposals(
                s.proposal_msgs_log, packets_for_checking(i, epoch, to_send)
            ),
        )
    # 2. has not broadcast NEWLEADER
    if s.zab_state[i] != DISCOVERY:
        t = replace(t, violated_invariants=s.violated_invariants._replace(state_inconsistent=True))
    if not is_quorum(sid_mask(recv), p.servers):
        # 2.2. still no quorum
        return replace(t, msgs=discard(s.msgs, j, i))
    # 2.1. the quorum forms: determine Ie' and broadcast NEWLEADER in Q
    epoch_leader = s.epoch_leader
    if 1 <= epoch <= MAXEPOCH:  # EXCEPT outside the domain changes nothing
        epoch_leader = put(epoch_leader, epoch - 1, epoch_leader[epoch - 1] | 1 << i)
    to_send = init_acksid(i, determine_initial_history(recv))
    targets = sid_mask(recv, connected_only=True) & s.learners[i]
    return replace(
        t,
        current_epoch=put(s.current_epoch, i, epoch),
        epoch_leader=epoch_leader,
        history=put(s.history, i, to_send),
        zab_state=put(s.zab_state, i, SYNCHRONIZATION),
        msgs=discard_and_broadcast(s.msgs, i, j, targets, m.newleader(epoch, to_send)),
        proposal_msgs_log=add_proposals(
            s.proposal_msgs_log, packets_for_checking(i, epoch, to_send)
        ),
    )
