"""A protocol-spec state as named variables in readable terms, for reports.

Servers are ``s1 .. sn`` as in TLC; zxids are ``epoch:counter``.
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

#: Zab.tla's names for the fields of violatedInvariants and recorder.
VIOLATION_FLAGS = (
    "stateInconsistent",
    "proposalInconsistent",
    "commitInconsistent",
    "ackInconsistent",
    "messageIllegal",
)
RECORDER_FIELDS = ("nTimeout", "nTransaction", "maxEpoch", "nRestart", "nClientRequest")


def server_name(i: int) -> str:
    """TLC's name for server id ``i``."""
    return "NullPoint" if i == NULL_POINT else f"s{i + 1}"


def zxid_text(zxid: tuple[int, int]) -> str:
    """A zxid as ``epoch:counter``."""
    return f"{zxid[0]}:{zxid[1]}"


def server_set(mask: int) -> list[str]:
    return [server_name(i) for i in members(mask)]


def history_text(h: History) -> list[str]:
    """Each entry as ``epoch:counter=value``, with its acks when it has any."""
    return [
        f"{zxid_text(t.zxid)}=v{t.value}"
        + (f" acks {{{','.join(server_set(t.ack_sid))}}}" if t.ack_sid else "")
        for t in h
    ]


def message_text(msg: tuple) -> str:
    """A message as ``TYPE(fields)``."""
    name = MESSAGE_TYPE_NAMES[msg[0]]
    fields = []
    for field, value in zip(msg._fields[1:], msg[1:], strict=True):  # type: ignore[attr-defined]
        if field == "mzxid":
            fields.append(zxid_text(value))
        elif field == "mhistory":
            fields.append("[" + ", ".join(zxid_text(t.zxid) for t in value) + "]")
        else:
            fields.append(str(value))
    return f"{name}({', '.join(fields)})"


def render_state(s: ZabState) -> dict[str, Any]:
    """Every variable of ``s``, per server where it is per server."""
    n = len(s.state)
    names = [server_name(i) for i in range(n)]

    def per_server(values: tuple, fmt=lambda v: v) -> dict[str, Any]:
        return {names[i]: fmt(values[i]) for i in range(n)}

    return {
        "state": per_server(s.state, lambda v: SERVER_STATE_NAMES[v]),
        "zabState": per_server(s.zab_state, lambda v: ZAB_STATE_NAMES[v]),
        "acceptedEpoch": per_server(s.accepted_epoch),
        "currentEpoch": per_server(s.current_epoch),
        "history": per_server(s.history, history_text),
        "lastCommitted": per_server(
            s.last_committed, lambda c: f"#{c.index} ({zxid_text(c.zxid)})"
        ),
        "learners": per_server(s.learners, server_set),
        "cepochRecv": per_server(
            s.cepoch_recv,
            lambda rs: [
                f"{server_name(r.sid)}{'' if r.connected else ' (gone)'} e{r.epoch}" for r in rs
            ],
        ),
        "ackeRecv": per_server(
            s.acke_recv,
            lambda rs: [
                f"{server_name(r.sid)}{'' if r.connected else ' (gone)'} a{r.peer_last_epoch}"
                f" [{', '.join(zxid_text(t.zxid) for t in r.peer_history)}]"
                for r in rs
            ],
        ),
        "ackldRecv": per_server(
            s.ackld_recv,
            lambda rs: [f"{server_name(r.sid)}{'' if r.connected else ' (gone)'}" for r in rs],
        ),
        "sendCounter": per_server(s.send_counter),
        "connectInfo": per_server(s.connect_info, server_name),
        "leaderOracle": server_name(s.leader_oracle),
        "msgs": {
            f"{names[i]}->{names[j]}": [message_text(msg) for msg in s.msgs[i][j]]
            for i in range(n)
            for j in range(n)
            if s.msgs[i][j]
        },
        "epochLeader": {
            str(e + 1): server_set(mask) for e, mask in enumerate(s.epoch_leader) if mask
        },
        "proposalMsgsLog": [
            f"{server_name(r.source)} e{r.epoch} {zxid_text(r.zxid)}=v{r.data}"
            for r in s.proposal_msgs_log
        ],
        "violatedInvariants": [
            name for name, flag in zip(VIOLATION_FLAGS, s.violated_invariants, strict=True) if flag
        ],
        "recorder": dict(zip(RECORDER_FIELDS, s.recorder, strict=True)),
    }
