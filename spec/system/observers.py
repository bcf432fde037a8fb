"""Observers: learners that neither vote nor ack. They sync like followers and then
learn each commit from the leader's INFORM, which carries the transaction.
"""

from __future__ import annotations

from spec.system import channels as net
from spec.system.constants import BROADCAST, INFORM, OBSERVING, SYNCHRONIZATION
from spec.system.ghost import PROPOSAL_INCONSISTENT, breach
from spec.system.log import append
from spec.system.params import Params
from spec.system.receive import illegal, is_learner_of, taking
from spec.system.state import (
    SystemState,
    Txn,
    last_zxid,
    learner_with,
    put,
    server_with,
    state_with,
)
from spec.system.zxid import is_next_zxid


def observer_process_inform(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``ObserverProcessINFORM(i, j)``: observer i logs and delivers the txn leader j committed.

    During sync the txn waits with the others for NEWLEADER and UPTODATE, as a
    proposal and its commit (Learner.syncWithLeader). INFORM at anything but an
    observer of j is illegal.
    """
    msg = taking(s, p, i, j, INFORM)
    if msg is None:
        return None
    srv = s.servers[i]
    if not (srv.state == OBSERVING and is_learner_of(s, i, j)):
        return illegal(s, p, i, j, msg)
    s = state_with(s, network=net.discard(s.network, p.n, i, j))
    txn = Txn(msg.zxid, msg.value)
    if srv.zab_state == SYNCHRONIZATION:
        lrn = s.learners[i]
        lrn = learner_with(
            lrn, not_committed=(*lrn.not_committed, txn), committed=(*lrn.committed, txn.zxid)
        )
        return state_with(s, learners=put(s.learners, i, lrn))
    if srv.zab_state != BROADCAST or not is_next_zxid(last_zxid(srv.history), msg.zxid):
        return breach(s, PROPOSAL_INCONSISTENT, i, j, msg.zxid)
    history = append(srv.history, txn)
    k = len(history)
    srv = server_with(srv, history=history, last_committed=k, last_processed=k)
    return state_with(s, servers=put(s.servers, i, srv))
