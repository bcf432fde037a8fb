"""The protocol-level spec: a port of ZooKeeper's ``protocol-spec/Zab.tla``.

Election is an oracle; discovery, synchronization and broadcast follow the
DSN'2011 Zab paper as Zab.tla reads it. See :mod:`spec.protocol.model` for
Next, :mod:`spec.protocol.actions` for the actions and
:mod:`spec.protocol.invariants` for the properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spec.protocol.bugs import BUGS
from spec.protocol.invariants import INVARIANTS
from spec.protocol.model import ACTION_NAMES, ProtocolModel
from spec.protocol.params import Params
from spec.protocol.vocabulary import vocabulary
from zabmc.cli.catalog import Bound, Exposure, SpecInfo
from zabmc.engine import Model


def statement(fn: object) -> str:
    """The first paragraph of a docstring, on one line: the property as the paper states it."""
    doc = (getattr(fn, "__doc__", None) or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in doc.splitlines())


def build(bounds: Mapping[str, int], bug: str | None, options: Mapping[str, Any]) -> Model:
    """The protocol model for the given bounds; ``tlc_compat`` counts as TLC does."""
    params = Params(
        servers=bounds["nodes"],
        max_timeouts=bounds["max_timeouts"],
        max_txns=bounds["max_txns"],
        max_epoch=bounds["max_epoch"],
        max_restarts=bounds["max_restarts"],
        bug=bug,
    )
    if options.get("tlc_compat"):
        from spec.protocol.tlc_compat import TlcCompatModel

        return TlcCompatModel(params)
    return ProtocolModel(params)


SPEC_INFO = SpecInfo(
    name="protocol",
    summary="ZooKeeper's protocol-level Zab.tla (DSN'2011 Zab, election as an oracle)",
    bounds=(
        Bound("nodes", "--nodes", 3, "number of servers (1-5)", minimum=1),
        Bound("max_timeouts", "--max-timeouts", 1, "MaxTimeoutFailures: timeouts and restarts"),
        Bound("max_txns", "--max-txns", 1, "MaxTransactionNum: longest history"),
        Bound("max_epoch", "--max-epoch", 1, "MaxEpoch: largest accepted epoch"),
        Bound("max_restarts", "--max-restarts", 0, "MaxRestarts: server restarts"),
    ),
    bugs=BUGS,
    actions=ACTION_NAMES,
    invariants=tuple((name, statement(fn)) for name, fn in INVARIANTS),
    build=build,
    symmetric=True,
    options={"tlc_compat": "count states as TLC does (recorder.pc, TLC's symmetry choice)"},
    # A follower must be able to join after the leader reached BROADCAST: MaxEpoch 2.
    exposures={bug: Exposure({"max_timeouts": 0, "max_txns": 2, "max_epoch": 2}) for bug in BUGS},
    vocabulary=vocabulary,
    symbolic=lambda bounds, bug, options: _symbolic(bounds, bug),
    symbolic_bmc=lambda bounds, bug, options, depth, capacity: _symbolic(
        bounds, bug, depth, capacity
    ),
)


def _symbolic(
    bounds: Mapping[str, int],
    bug: str | None,
    depth: int | None = None,
    capacity: int | None = None,
) -> Any:
    """The z3 encoding, imported only when ``zabmc prove`` asks for it; with ``depth``,
    over bit-vectors exact on paths of at most that many steps (for BMC), with
    channels of ``capacity`` messages."""
    from spec.protocol.symbolic import build as build_symbolic

    return build_symbolic(bounds, bug, depth, capacity)


__all__ = ["BUGS", "SPEC_INFO", "Params", "ProtocolModel"]
