"""The system spec's variables and helpers as the property language names them.

Names follow ZkV3_7_0.tla where it has one (``currentEpoch``, ``lastCommitted``,
``epochLeader``, ``proposalMsgsLog``); a zxid is a record ``.epoch``, ``.counter``
whose order is ZooKeeper's. The helpers every formula may call are written in the
language in ``prelude.zprop`` next to this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from spec.system import constants as c
from spec.system.ghost import BREACH_NAMES
from spec.system.state import members
from spec.system.zxid import counter_of, epoch_of
from zabmc.properties.types import BOOL, INT, SERVER, Fun, Record, Seq, SetOf
from zabmc.properties.vocabulary import Constant, Variable, Vocabulary

ZXID = Record("Zxid", (("epoch", INT), ("counter", INT)), (epoch_of, counter_of), True)
TXN = Record("Txn", (("zxid", ZXID), ("value", INT)), (lambda t: t.zxid, lambda t: t.value))
PROPOSAL = Record(
    "Proposal",
    (("source", SERVER), ("epoch", INT), ("zxid", ZXID), ("value", INT)),
    (lambda r: r.source, lambda r: r.epoch, lambda r: r.zxid, lambda r: r.value),
)
BREACH = Record(
    "Breach",
    (("kind", INT), ("server", SERVER), ("peer", INT), ("zxid", ZXID)),
    (lambda b: b.kind, lambda b: b.server, lambda b: b.peer, lambda b: b.zxid),
)


def _servers(mask: int) -> frozenset[int]:
    return frozenset(members(mask))


def _field(group: str, name: str, convert: Callable[[Any], Any] | None = None) -> Callable:
    """A per-server variable: field ``name`` of each element of state group ``group``."""

    def read(s: Any) -> tuple:
        values = (getattr(x, name) for x in getattr(s, group))
        return tuple(values if convert is None else (convert(v) for v in values))

    return read


def _per_server(t: Any) -> Fun:
    return Fun(SERVER, t)


VARIABLES: dict[str, Variable] = {
    "online": Variable(_per_server(BOOL), _field("servers", "online")),
    "state": Variable(_per_server(INT), _field("servers", "state"), "LOOKING ... OBSERVING"),
    "zabState": Variable(_per_server(INT), _field("servers", "zab_state")),
    "acceptedEpoch": Variable(_per_server(INT), _field("servers", "accepted_epoch")),
    "currentEpoch": Variable(_per_server(INT), _field("servers", "current_epoch")),
    "history": Variable(_per_server(Seq(TXN)), _field("servers", "history")),
    "lastSnapshot": Variable(_per_server(INT), _field("servers", "last_snapshot")),
    "lastCommitted": Variable(
        _per_server(INT), _field("servers", "last_committed"), "entries delivered"
    ),
    "lastProcessed": Variable(_per_server(INT), _field("servers", "last_processed")),
    "learners": Variable(
        _per_server(SetOf(SERVER)), _field("leaders", "learners", _servers), "a leader's"
    ),
    "forwarding": Variable(_per_server(SetOf(SERVER)), _field("leaders", "forwarding", _servers)),
    "connectInfo": Variable(
        _per_server(INT), _field("learners", "leader"), "a learner's leader, or NullPoint"
    ),
    "nlReceived": Variable(_per_server(BOOL), _field("learners", "nl_received")),
    "epochLeader": Variable(
        Fun(INT, SetOf(SERVER)),
        lambda s: {e: _servers(m) for e, m in enumerate(s.ghost.epoch_leader, start=1)},
    ),
    "proposalMsgsLog": Variable(SetOf(PROPOSAL), lambda s: s.ghost.proposals),
    "committedLog": Variable(
        Seq(TXN), lambda s: s.ghost.committed, "the longest prefix a leader committed"
    ),
    "breaches": Variable(Seq(BREACH), lambda s: s.ghost.breaches, "checks failed in a step"),
}


def constants(bounds: Mapping[str, int]) -> dict[str, Constant]:
    n = bounds["nodes"] + bounds["observers"]
    named = {
        **{name: v for v, name in enumerate(c.SERVER_STATE_NAMES)},
        **{name: v for v, name in enumerate(c.ZAB_STATE_NAMES)},
        **{name: v for v, name in enumerate(BREACH_NAMES)},
        "NullPoint": c.NULL,
        "MaxTransactionNum": bounds["max_txns"],
        "MaxEpoch": bounds["max_epoch"],
    }
    found = {name: Constant(INT, value) for name, value in named.items()}
    found["Server"] = Constant(SetOf(SERVER), frozenset(range(n)))
    found["Voter"] = Constant(SetOf(SERVER), frozenset(range(bounds["nodes"])))
    found["Epoch"] = Constant(SetOf(INT), range(1, c.MAX_EPOCHS_RECORDED + 1))
    for i in range(n):
        found[f"s{i + 1}"] = Constant(SERVER, i)
    return found


PRELUDE = Path(__file__).with_name("prelude.zprop")


def vocabulary(bounds: Mapping[str, int]) -> Vocabulary:
    """The system spec's vocabulary for a run with ``bounds``."""
    return Vocabulary(
        spec="system",
        variables=VARIABLES,
        constants=constants(bounds),
        prelude=PRELUDE.read_text(encoding="utf-8"),
        source=str(PRELUDE.relative_to(PRELUDE.parents[2])),
        records={r.name: r for r in (ZXID, TXN, PROPOSAL, BREACH)},
    )
