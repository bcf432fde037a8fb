"""A protocol-spec state as TLA+ values, named as Zab.tla names its variables.

This is the bridge to TLC: the result equals what TLC prints for the same
state (with ``recorder.pc`` left out), value for value.
"""

from __future__ import annotations

from typing import Any

from spec.protocol.constants import (
    MESSAGE_TYPE_NAMES,
    NULL_POINT,
    SERVER_STATE_NAMES,
    ZAB_STATE_NAMES,
)
from spec.protocol.state import History, ZabState, members
from zabmc.tlc.values import ModelValue, function, record


def server(i: int) -> ModelValue:
    return ModelValue("NullPoint" if i == NULL_POINT else f"s{i + 1}")


def servers(mask: int) -> frozenset:
    return frozenset(server(i) for i in members(mask))


def history(h: History) -> tuple:
    return tuple(
        record(zxid=t.zxid, value=t.value, ackSid=servers(t.ack_sid), epoch=t.epoch) for t in h
    )


def message(m: tuple) -> Any:
    fields: dict[str, Any] = {"mtype": ModelValue(MESSAGE_TYPE_NAMES[m[0]])}
    for name, value in zip(m._fields[1:], m[1:], strict=True):  # type: ignore[attr-defined]
        fields[name] = history(value) if name == "mhistory" else value
    return record(**fields)


def to_tla(s: ZabState) -> dict[str, Any]:
    """Every variable of Zab.tla but ``recorder.pc``, as TLA+ values."""
    n = len(s.state)

    def per_server(values: tuple, fmt=lambda v: v) -> Any:
        return function({server(i): fmt(values[i]) for i in range(n)})

    return {
        "state": per_server(s.state, lambda v: ModelValue(SERVER_STATE_NAMES[v])),
        "zabState": per_server(s.zab_state, lambda v: ModelValue(ZAB_STATE_NAMES[v])),
        "acceptedEpoch": per_server(s.accepted_epoch),
        "currentEpoch": per_server(s.current_epoch),
        "history": per_server(s.history, history),
        "lastCommitted": per_server(s.last_committed, lambda c: record(index=c.index, zxid=c.zxid)),
        "learners": per_server(s.learners, servers),
        "cepochRecv": per_server(
            s.cepoch_recv,
            lambda rs: frozenset(
                record(sid=server(r.sid), connected=r.connected, epoch=r.epoch) for r in rs
            ),
        ),
        "ackeRecv": per_server(
            s.acke_recv,
            lambda rs: frozenset(
                record(
                    sid=server(r.sid),
                    connected=r.connected,
                    peerLastEpoch=r.peer_last_epoch,
                    peerHistory=history(r.peer_history),
                )
                for r in rs
            ),
        ),
        "ackldRecv": per_server(
            s.ackld_recv,
            lambda rs: frozenset(record(sid=server(r.sid), connected=r.connected) for r in rs),
        ),
        "sendCounter": per_server(s.send_counter),
        "connectInfo": per_server(s.connect_info, server),
        "leaderOracle": server(s.leader_oracle),
        "msgs": function(
            {
                server(i): function(
                    {server(j): tuple(message(m) for m in s.msgs[i][j]) for j in range(n)}
                )
                for i in range(n)
            }
        ),
        "epochLeader": tuple(servers(mask) for mask in s.epoch_leader),
        "proposalMsgsLog": frozenset(
            record(source=server(r.source), epoch=r.epoch, zxid=r.zxid, data=r.data)
            for r in s.proposal_msgs_log
        ),
        "violatedInvariants": record(
            **{
                "stateInconsistent": s.violated_invariants.state_inconsistent,
                "proposalInconsistent": s.violated_invariants.proposal_inconsistent,
                "commitInconsistent": s.violated_invariants.commit_inconsistent,
                "ackInconsistent": s.violated_invariants.ack_inconsistent,
                "messageIllegal": s.violated_invariants.message_illegal,
            }
        ),
        "recorder": record(
            nTimeout=s.recorder.n_timeout,
            nTransaction=s.recorder.n_transaction,
            maxEpoch=s.recorder.max_epoch,
            nRestart=s.recorder.n_restart,
            nClientRequest=s.recorder.n_client_request,
        ),
    }
