"""Bug switches: the registry. Every switch is declared here once, with what it stands for
and the one place it acts, so a reader finds every switch from this file.

A switch plants one known way to break ZAB, for testing the checkers (a replay of a run with a
switch on must diverge from the spec). All are off by default. A switch either is a *spec
variant* (one of ZooKeeper's known bugs that ``spec/system`` can select under the same name)
or a *planted fault* (a bug no release had, which the spec has no variant for).

A server takes its switches from its configuration (``mutations = [...]``), the simulator from
its options, and a recorded trace names those that were on in its header (``mutations``); each
of them passes the names through :func:`check_switches`, and the code asks
:meth:`Switches.on` where the switch acts.

Adding a switch is one entry in :data:`SWITCHES` below (a :func:`declare` call that names the
switch, what it stands for, where it acts and what it does), plus the branch where it acts::

    if c.switches.on(MY_SWITCH):
        ...  # the planted behaviour

``tests/impl/test_switches.py`` holds each entry to its ``acts_in`` (each function there asks
for the switch, and no other asks for it) and each spec variant to ``spec/system``'s list.
A planted service fault acts in ``impl.service`` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["spec variant", "planted fault"]


@dataclass(frozen=True, slots=True)
class Switch:
    name: str
    kind: Kind
    """A spec variant has the name ``spec/system`` selects it by (``--bug NAME``)."""
    acts_in: tuple[str, ...]
    """The functions (``module.function``) whose branch the switch turns."""
    effect: str


SWITCHES: dict[str, Switch] = {}
"""Every bug switch, by name, in the order declared."""


def declare(name: str, kind: Kind, acts_in: str | tuple[str, ...], effect: str) -> str:
    """Register a switch and return its name, for the constant the code asks about."""
    if name in SWITCHES:
        raise ValueError(f"bug switch {name!r} declared twice")
    where = (acts_in,) if isinstance(acts_in, str) else acts_in
    SWITCHES[name] = Switch(name, kind, where, effect)
    return name


ACK_BEFORE_FSYNC = declare(
    "ack-before-fsync",
    "planted fault",
    "impl.core.broadcast.follower_process_proposal",
    "a follower ACKs a PROPOSAL as soon as it takes it, before the txn is on disk: a crash "
    "can lose a txn the leader counted",
)
COMMIT_WITHOUT_QUORUM = declare(
    "commit-without-quorum",
    "planted fault",
    "impl.core.broadcast.try_to_commit",
    "the leader commits a proposal once any one voter (itself included) has acked it, not a quorum",
)
SKIP_TRUNC = declare(
    "skip-trunc",
    "planted fault",
    "impl.core.sync.follower_process_sync_message",
    "a learner takes TRUNC without dropping its entries past the truncation point, keeping "
    "txns the new leader does not have",
)
ZK_2845 = declare(
    "ZK-2845",
    "spec variant",
    "impl.core.election.processed_zxid",
    "ZOOKEEPER-2845: a server that leaves FOLLOWING or LEADING without restarting keeps its "
    "in-memory database, and votes and ACKs LEADERINFO with the last zxid it applied, older "
    "than its log's: a leader sends DIFF where TRUNC was due",
)
ZK_3911 = declare(
    "ZK-3911",
    "spec variant",
    "impl.core.sync.follower_process_newleader",
    "ZOOKEEPER-3911: on NEWLEADER a learner persists currentEpoch and ACKs at once; the "
    "proposals of the sync reach its log only at UPTODATE",
)
ZK_4643 = declare(
    "ZK-4643",
    "spec variant",
    ("impl.core.sync.follower_process_newleader", "impl.core.sync.complete_newleader_if_durable"),
    "ZOOKEEPER-4643: on NEWLEADER a learner persists currentEpoch at once, before the "
    "proposals of the sync reach disk (it ACKs once they do): a crash in between leaves a "
    "server with the new epoch and a short log, which can win an election",
)
ZK_4646 = declare(
    "ZK-4646",
    "spec variant",
    "impl.core.sync.follower_process_newleader",
    "ZOOKEEPER-4646: on NEWLEADER a learner hands the proposals of the sync to its log and "
    "persists currentEpoch and ACKs at once, before they reach disk (it ACKs them once they "
    "do): a crash in between loses txns the leader counted",
)
ZK_4685 = declare(
    "ZK-4685",
    "spec variant",
    ("impl.core.sync.follower_process_newleader", "impl.core.sync.complete_newleader_if_durable"),
    "ZOOKEEPER-4685: on NEWLEADER a learner persists currentEpoch, hands the proposals of the "
    "sync to its log, whose sync processor ACKs each once on disk, and sends the ACK of "
    "NEWLEADER only after that: the leader takes a PROPOSAL's ACK from a learner that has "
    "not acked NEWLEADER",
)
STALE_EPOCH = declare(
    "stale-epoch",
    "planted fault",
    (
        "impl.core.discovery.follower_process_leaderinfo",
        "impl.core.peer.ZabPeer._check_from_leader",
    ),
    "a learner accepts proposals from a stale epoch: it follows a leader whose LEADERINFO "
    "proposes an epoch below its acceptedEpoch (as a late joiner whose acceptedEpoch is above "
    "the leader's new epoch does), and takes a PROPOSAL of another epoch than its leader's",
)

ANSWER_BEFORE_COMMIT = declare(
    "answer-before-commit",
    "planted fault",
    "impl.core.broadcast.leader_process_request",
    "the leader applies a write it proposes at once and answers its client before any quorum "
    "has the txn (it still commits it once a quorum acks); its sign is in what clients see "
    "(the linearizability checker's fault runs, tests/lincheck)",
)
STALE_LEADER_READS = declare(
    "stale-leader-reads",
    "planted fault",
    (
        "impl.service.zookeeper.ZooKeeperServer._on_request",
        "impl.service.zookeeper.ZooKeeperServer._on_write_done",
        "impl.service.zookeeper.ZooKeeperServer._on_mode",
    ),
    "(the ZooKeeper service) a server that leads, or led last, answers sync at once from its "
    "own state, and after it lost its quorum keeps its clients as a read-only server would "
    "(reads served, writes refused with NOTREADONLY): a stale leader answers sync as though a "
    "leader lease made its state current",
)

MUTATIONS: dict[str, str] = {s.name: s.effect for s in SWITCHES.values()}
"""Each switch's name and what it does (the choices of ``python -m impl.sim --mutation``)."""


class Switches(frozenset[str]):
    """The switches one server runs with: a set of registered names."""

    __slots__ = ()

    def on(self, name: str) -> bool:
        """Is the switch ``name`` (a constant of this module) on?"""
        return name in self


NONE = Switches()


def check_switches(names: frozenset[str] | set[str] | tuple[str, ...] | list[str]) -> Switches:
    """The switches named, or ``ValueError`` naming the first unknown one."""
    for name in sorted(names):
        if name not in SWITCHES:
            raise ValueError(f"unknown mutation {name!r}; choose from: {', '.join(SWITCHES)}")
    return Switches(names)
