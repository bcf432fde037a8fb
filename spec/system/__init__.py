"""The system-level spec: Fast Leader Election and Zab 1.0 as ZooKeeper runs them.

Crashes, partitions and observers included; ZooKeeper's known bugs as variants.
See :mod:`spec.system.model` for Init and Next, the modules named after each phase
for its steps, and :mod:`spec.system.invariants` for the properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spec.system.bugs import BUGS, ZK_2845, ZK_3911, ZK_4643, ZK_4646, ZK_4685
from spec.system.invariants import INVARIANTS
from spec.system.model import ACTION_NAMES, SystemModel
from spec.system.params import MAX_SERVERS, ZK_37, ZK_39, Params
from spec.system.vocabulary import vocabulary
from zabmc.cli.catalog import Bound, Exposure, SpecInfo
from zabmc.engine import Model


def statement(fn: object) -> str:
    """The first paragraph of a docstring, on one line: the property as it is stated."""
    doc = (getattr(fn, "__doc__", None) or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in doc.splitlines())


def make_params(
    bounds: Mapping[str, int], bug: str | None, coarse_election: bool, zk: str | None = None
) -> Params:
    """Params from the bounds by name (as the command line gives them)."""
    if bounds["nodes"] + bounds["observers"] > MAX_SERVERS:
        raise ValueError(
            f"the system spec supports at most {MAX_SERVERS} servers, voters and observers"
        )
    return Params(
        voters=bounds["nodes"],
        observers=bounds["observers"],
        max_txns=bounds["max_txns"],
        max_epoch=bounds["max_epoch"],
        max_crashes=bounds["max_crashes"],
        max_partitions=bounds["max_partitions"],
        max_timeouts=bounds["max_timeouts"],
        bug=bug,
        coarse_election=coarse_election,
        zk=zk or ZK_39,
    )


def build(bounds: Mapping[str, int], bug: str | None, options: Mapping[str, Any]) -> Model:
    """The system model for the given bounds.

    ``coarse_election`` makes each election one step; ``from_established`` starts
    from ZooKeeper's authors' initial state instead of Init (see scenarios.py).
    """
    params = make_params(bounds, bug, bool(options.get("coarse_election")), options.get("zk"))
    if not options.get("from_established"):
        return SystemModel(params)
    from spec.system.scenarios import from_established

    if not params.coarse_election or params.voters != 3 or params.observers:
        raise ValueError("--from-established needs --coarse-election and 3 voters, no observers")
    try:
        return from_established(params)
    except ValueError as exc:
        raise ValueError(
            f"--from-established cannot reach the established cluster within these bounds "
            f"({exc}); it needs --max-txns 2 or more"
        ) from None


#: For each bug, the smallest bounds found to expose it from the initial state (see
#: bench/system_bugs.py), with the coarse election each needs: two or three elections at
#: FLE's granularity are beyond exhaustive search, as they were for ZooKeeper's authors.
#: The three that need two crashes take minutes from Init; from the authors' established
#: cluster (``quick``) they take seconds.
_THREE_EPOCHS = {"max_txns": 2, "max_epoch": 3, "max_crashes": 2, "max_timeouts": 0}
_COARSE = {"coarse_election": True}
_ESTABLISHED = {"from_established": True}
EXPOSURES: dict[str, Exposure] = {
    ZK_2845: Exposure({"max_timeouts": 1}, _COARSE),
    ZK_3911: Exposure(_THREE_EPOCHS, _COARSE, _ESTABLISHED),
    ZK_4643: Exposure(_THREE_EPOCHS, _COARSE, _ESTABLISHED),
    ZK_4646: Exposure(_THREE_EPOCHS, _COARSE, _ESTABLISHED),
    # the first quorum: a follower of a re-elected leader acks a proposal of the sync first
    ZK_4685: Exposure({"max_txns": 2, "max_timeouts": 1}, _COARSE, _ESTABLISHED),
}

#: Which ZooKeeper releases each bug is in (ZooKeeper's JIRA and Learner.syncWithLeader).
_IN_37 = "in 3.7 (--zk 3.7 finds it without --bug), fixed in 3.9.3 (--zk 3.9 is clean)"
BUG_VERSIONS: dict[str, str] = {
    ZK_2845: "fixed before 3.6.0: in neither --zk 3.7 nor --zk 3.9",
    ZK_3911: "fixed by 3.7.0 (its Learner carries the fix): in neither --zk 3.7 nor --zk 3.9",
    ZK_4643: _IN_37,
    ZK_4646: _IN_37,
    ZK_4685: _IN_37,
}

SPEC_INFO = SpecInfo(
    name="system",
    summary="Fast Leader Election and Zab 1.0 as ZooKeeper runs them, "
    "with crashes, partitions and observers",
    bounds=(
        Bound("nodes", "--nodes", 3, "voting servers (1-5, with the observers)", minimum=1),
        Bound("observers", "--observers", 0, "observers: they neither vote nor ack"),
        Bound("max_txns", "--max-txns", 1, "client requests in the whole run"),
        Bound("max_epoch", "--max-epoch", 2, "largest epoch a leader may propose"),
        Bound("max_crashes", "--max-crashes", 0, "NodeCrash steps"),
        Bound("max_partitions", "--max-partitions", 0, "PartitionStart steps"),
        Bound("max_timeouts", "--max-timeouts", 1, "FLE notification timeouts and Zab timeouts"),
    ),
    bugs=BUGS,
    actions=ACTION_NAMES,
    invariants=tuple((name, statement(fn)) for name, fn in INVARIANTS),
    build=build,
    symmetric=False,
    asymmetry_reason=SystemModel.asymmetry_reason,
    options={
        "coarse_election": "make each election one step (ElectLeader, FollowLeader) instead of "
        "Fast Leader Election's, to reach bugs that need several elections",
        "from_established": "start from ZooKeeper's authors' initial state (an established "
        "3-server cluster, 1:1 committed, 1:2 proposed) instead of fresh servers; "
        "needs --coarse-election",
        "zk": "the ZooKeeper version whose NEWLEADER handling (Learner.syncWithLeader) the spec "
        "follows, where no --bug replaces it: 3.9 (release-3.9.3 on) or 3.7 (3.7.0)",
    },
    exposures=EXPOSURES,
    vocabulary=vocabulary,
    symbolic=lambda bounds, bug, options: _symbolic(bounds, bug, options),
    choices={"zk": (ZK_39, ZK_37)},
    bug_versions=BUG_VERSIONS,
)


def _symbolic(bounds: Mapping[str, int], bug: str | None, options: Mapping[str, Any]) -> Any:
    """The z3 encoding (one configuration: see spec.system.symbolic), imported only when
    ``zabmc prove`` asks for it."""
    from spec.system.symbolic import build as build_symbolic

    return build_symbolic(bounds, bug, options)


def bug_params(bug: str, *, fixed: bool = False, **overrides: int) -> Params:
    """The bounds that expose ``bug`` (the others at their defaults), with or without it."""
    bounds, options = SPEC_INFO.bug_setup(bug)
    bounds.update(overrides)
    return make_params(bounds, None if fixed else bug, bool(options.get("coarse_election")))


__all__ = ["BUGS", "SPEC_INFO", "Params", "SystemModel", "bug_params", "make_params"]
