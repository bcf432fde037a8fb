"""Zab.tla's variables and helpers as the property language names them.

Names follow Zab.tla (``currentEpoch``, ``lastCommitted``, ``TxnEqual``),
servers are ``s1 .. sn`` (ids 0 .. n-1), and a set of servers held as a
bitmask is a set. The helpers every formula may call are written in the
language itself, in ``prelude.zprop`` next to this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spec.protocol import constants as c
from spec.protocol.state import ZabState, members
from zabmc.properties.types import BOOL, INT, SERVER, Fun, Record, Seq, SetOf
from zabmc.properties.vocabulary import Constant, Variable, Vocabulary

ZXID = Record("Zxid", (("epoch", INT), ("counter", INT)), (lambda z: z[0], lambda z: z[1]), True)


def _servers(mask: int) -> frozenset[int]:
    return frozenset(members(mask))


TXN = Record(
    "Txn",
    (("zxid", ZXID), ("value", INT), ("ackSid", SetOf(SERVER)), ("epoch", INT)),
    (lambda t: t.zxid, lambda t: t.value, lambda t: _servers(t.ack_sid), lambda t: t.epoch),
)
LAST_COMMITTED = Record(
    "LastCommitted", (("index", INT), ("zxid", ZXID)), (lambda r: r.index, lambda r: r.zxid)
)
CEPOCH_INFO = Record(
    "CepochInfo",
    (("sid", SERVER), ("connected", BOOL), ("epoch", INT)),
    (lambda r: r.sid, lambda r: r.connected, lambda r: r.epoch),
)
ACKE_INFO = Record(
    "AckeInfo",
    (("sid", SERVER), ("connected", BOOL), ("peerLastEpoch", INT), ("peerHistory", Seq(TXN))),
    (lambda r: r.sid, lambda r: r.connected, lambda r: r.peer_last_epoch, lambda r: r.peer_history),
)
ACKLD_INFO = Record(
    "AckldInfo", (("sid", SERVER), ("connected", BOOL)), (lambda r: r.sid, lambda r: r.connected)
)
PROPOSAL = Record(
    "Proposal",
    (("source", SERVER), ("epoch", INT), ("zxid", ZXID), ("data", INT)),
    (lambda r: r.source, lambda r: r.epoch, lambda r: r.zxid, lambda r: r.data),
)


def _message_field(name: str, default: Any) -> Any:
    return lambda msg: getattr(msg, name, default)


#: A message: every type's fields, those it lacks read as 0, <<0, 0>> or <<>>.
MESSAGE = Record(
    "Message",
    (
        ("mtype", INT),
        ("mepoch", INT),
        ("mzxid", ZXID),
        ("mdata", INT),
        ("mhistory", Seq(TXN)),
    ),
    (
        _message_field("mtype", 0),
        _message_field("mepoch", 0),
        _message_field("mzxid", c.ZERO_ZXID),
        _message_field("mdata", 0),
        _message_field("mhistory", ()),
    ),
)
VIOLATED = Record(
    "ViolatedInvariants",
    tuple(
        (name, BOOL)
        for name in (
            "stateInconsistent",
            "proposalInconsistent",
            "commitInconsistent",
            "ackInconsistent",
            "messageIllegal",
        )
    ),
    tuple(lambda v, k=k: v[k] for k in range(5)),
)
RECORDER = Record(
    "Recorder",
    tuple(
        (name, INT)
        for name in ("nTimeout", "nTransaction", "maxEpoch", "nRestart", "nClientRequest")
    ),
    tuple(lambda r, k=k: r[k] for k in range(5)),
)


def _per_server(t: Any) -> Fun:
    return Fun(SERVER, t)


def _sets(masks: tuple[int, ...]) -> tuple[frozenset[int], ...]:
    return tuple(_servers(m) for m in masks)


VARIABLES: dict[str, Variable] = {
    "state": Variable(_per_server(INT), lambda s: s.state, "LOOKING, FOLLOWING or LEADING"),
    "zabState": Variable(
        _per_server(INT), lambda s: s.zab_state, "ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST"
    ),
    "acceptedEpoch": Variable(_per_server(INT), lambda s: s.accepted_epoch, "f.p"),
    "currentEpoch": Variable(_per_server(INT), lambda s: s.current_epoch, "f.a"),
    "history": Variable(_per_server(Seq(TXN)), lambda s: s.history, "h(f)"),
    "lastCommitted": Variable(_per_server(LAST_COMMITTED), lambda s: s.last_committed),
    "learners": Variable(_per_server(SetOf(SERVER)), lambda s: _sets(s.learners)),
    "cepochRecv": Variable(_per_server(SetOf(CEPOCH_INFO)), lambda s: s.cepoch_recv),
    "ackeRecv": Variable(_per_server(SetOf(ACKE_INFO)), lambda s: s.acke_recv),
    "ackldRecv": Variable(_per_server(SetOf(ACKLD_INFO)), lambda s: s.ackld_recv),
    "sendCounter": Variable(_per_server(INT), lambda s: s.send_counter),
    "connectInfo": Variable(_per_server(INT), lambda s: s.connect_info, "a leader or NullPoint"),
    "leaderOracle": Variable(INT, lambda s: s.leader_oracle, "a server or NullPoint"),
    "msgs": Variable(
        _per_server(_per_server(Seq(MESSAGE))),
        lambda s: s.msgs,
        "msgs[i][j]: the channel from i to j",
    ),
    "epochLeader": Variable(
        Fun(INT, SetOf(SERVER)),
        lambda s: {e: _servers(m) for e, m in enumerate(s.epoch_leader, start=1)},
        "epochLeader[e]: the servers that became leader of epoch e",
    ),
    "proposalMsgsLog": Variable(SetOf(PROPOSAL), lambda s: s.proposal_msgs_log),
    "violatedInvariants": Variable(VIOLATED, lambda s: s.violated_invariants),
    "recorder": Variable(RECORDER, lambda s: s.recorder),
}


def constants(bounds: Mapping[str, int]) -> dict[str, Constant]:
    """Roles, phases, message types, the domains and the bounds of a run."""
    n = bounds["nodes"]
    named = {
        **{name: v for v, name in enumerate(c.SERVER_STATE_NAMES)},
        **{name: v for v, name in enumerate(c.ZAB_STATE_NAMES)},
        **{name: v for v, name in enumerate(c.MESSAGE_TYPE_NAMES)},
        "NullPoint": c.NULL_POINT,
        "MAXEPOCH": c.MAXEPOCH,
        "MaxTimeoutFailures": bounds["max_timeouts"],
        "MaxTransactionNum": bounds["max_txns"],
        "MaxEpoch": bounds["max_epoch"],
        "MaxRestarts": bounds["max_restarts"],
    }
    found = {name: Constant(INT, value) for name, value in named.items()}
    found["Server"] = Constant(SetOf(SERVER), frozenset(range(n)), "every server")
    found["Epoch"] = Constant(SetOf(INT), range(1, c.MAXEPOCH + 1), "1 .. MAXEPOCH")
    found["ZeroZxid"] = Constant(ZXID, c.ZERO_ZXID, "<<0, 0>>")
    for i in range(n):
        found[f"s{i + 1}"] = Constant(SERVER, i)
    return found


PRELUDE = Path(__file__).with_name("prelude.zprop")


def vocabulary(bounds: Mapping[str, int]) -> Vocabulary:
    """The protocol spec's vocabulary for a run with ``bounds``."""
    return Vocabulary(
        spec="protocol",
        variables=VARIABLES,
        constants=constants(bounds),
        prelude=PRELUDE.read_text(encoding="utf-8"),
        source=str(PRELUDE.relative_to(PRELUDE.parents[2])),
        records={r.name: r for r in (ZXID, TXN, LAST_COMMITTED, PROPOSAL, MESSAGE)},
    )


__all__ = ["VARIABLES", "ZabState", "constants", "vocabulary"]
