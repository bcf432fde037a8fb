"""The system spec as z3 formulas, for ``zabmc prove --spec system --bmc K``.

The encoding covers one configuration (:func:`supported` refuses the others, naming the
option): the coarse election (``--coarse-election``), Zab 1.0's discovery,
synchronization and broadcast as ZooKeeper 3.9 runs them (``--zk 3.9``), ZabTimeout
(``--max-timeouts``), client requests (``--max-txns``), with or without the ZK-2845
variant; voters only, every server up, no partition. It mirrors ``spec/system`` module by
module: :mod:`.election` (ElectLeader, FollowLeader), :mod:`.discovery`,
:mod:`.synchronization`, :mod:`.broadcast`, :mod:`.faults` (ZabTimeout) and
:mod:`.role_changes`, one function per action, guard first and then the update, over the
layout of :mod:`.state`; :mod:`.relation` makes Init and Next of them.
``tests/system/symbolic`` ties it to the explicit spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spec.system.bugs import ZK_2845
from spec.system.constants import MAX_EPOCHS_RECORDED
from spec.system.params import ZK_39, Params
from zabmc.symbolic.setup import SymbolicSetup

#: The system spec's invariants written in the property language.
INVARIANTS_FILE = Path(__file__).parents[1] / "invariants.zprop"

#: The bug variants the encoding has.
BUGS = (ZK_2845,)


def supported(p: Params, options: Mapping[str, Any]) -> None:
    """Raise ValueError, naming the option, for a configuration the encoding lacks."""
    if not p.coarse_election:
        raise ValueError(
            "zabmc prove --spec system encodes the coarse election only: add --coarse-election "
            "(Fast Leader Election has no z3 encoding)"
        )
    if options.get("from_established"):
        raise ValueError("zabmc prove --spec system does not support --from-established")
    if p.observers:
        raise ValueError("zabmc prove --spec system does not support --observers (use 0)")
    if p.max_crashes:
        raise ValueError("zabmc prove --spec system does not support --max-crashes (use 0)")
    if p.max_partitions:
        raise ValueError("zabmc prove --spec system does not support --max-partitions (use 0)")
    if p.zk != ZK_39:
        raise ValueError(f"zabmc prove --spec system supports --zk {ZK_39} only, not {p.zk}")
    if p.max_epoch > MAX_EPOCHS_RECORDED:
        raise ValueError(
            f"zabmc prove --spec system supports --max-epoch up to {MAX_EPOCHS_RECORDED} "
            "(the epochs the ghost epochLeader records)"
        )
    if p.bug is not None and p.bug not in BUGS:
        raise ValueError(
            f"zabmc prove --spec system has no encoding of --bug {p.bug}; "
            f"it has {', '.join(BUGS)} (or none)"
        )


def build(bounds: Mapping[str, int], bug: str | None, options: Mapping[str, Any]) -> SymbolicSetup:
    """The symbolic system spec for ``bounds``, or ValueError for an unsupported option."""
    from spec.system import make_params
    from spec.system.symbolic.relation import SymbolicSystem
    from spec.system.symbolic.vocabulary import binding

    p = make_params(bounds, bug, bool(options.get("coarse_election")), options.get("zk"))
    supported(p, options)
    spec = SymbolicSystem(p)
    # fresh variables per depth: the growth per depth was 1.6-fold against 2-fold substituted
    return SymbolicSetup(
        spec, binding(bounds, spec.layout), INVARIANTS_FILE, induction=False, unrolling="fresh"
    )
