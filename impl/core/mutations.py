"""Bug switches: each plants one known way to break ZAB in the core, for testing the checkers
(a replay of a run with a switch on must diverge from the spec). All are off by default; a
server takes them from its configuration, the simulator from its options, and a recorded
trace names those that were on in its header (``mutations``).
"""

from __future__ import annotations

ACK_BEFORE_FSYNC = "ack-before-fsync"
COMMIT_WITHOUT_QUORUM = "commit-without-quorum"
SKIP_TRUNC = "skip-trunc"
ZK_3911 = "ZK-3911"
STALE_EPOCH = "stale-epoch"
ANSWER_BEFORE_COMMIT = "answer-before-commit"
STALE_LEADER_READS = "stale-leader-reads"

MUTATIONS: dict[str, str] = {
    ACK_BEFORE_FSYNC: "a follower ACKs a PROPOSAL as soon as it takes it, before the txn is "
    "on disk: a crash can lose a txn the leader counted",
    COMMIT_WITHOUT_QUORUM: "the leader commits a proposal once any one voter (itself "
    "included) has acked it, not a quorum",
    SKIP_TRUNC: "a learner takes TRUNC without dropping its entries past the truncation "
    "point, keeping txns the new leader does not have",
    ZK_3911: "ZOOKEEPER-3911: on NEWLEADER a learner persists currentEpoch and ACKs at once; "
    "the proposals of the sync reach its log only at UPTODATE",
    STALE_EPOCH: "a learner accepts proposals from a stale epoch: it follows a leader whose "
    "LEADERINFO proposes an epoch below its acceptedEpoch (a leader keeps a late joiner whose "
    "acceptedEpoch is above its new epoch), and takes a PROPOSAL of another epoch than its "
    "leader's",
}

CLIENT_VISIBLE_MUTATIONS: dict[str, str] = {
    # bugs whose sign is in what clients see: planted for the linearizability checker (fault
    # runs of real servers under kazoo clients, tests/lincheck), not for replay
    ANSWER_BEFORE_COMMIT: "the leader applies a write it proposes at once and answers its "
    "client before any quorum has the txn (it still commits it once a quorum acks)",
    STALE_LEADER_READS: "(the ZooKeeper service) a server that leads, or led last, answers "
    "sync at once from its own state, and after it lost its quorum keeps its clients as a "
    "read-only server would (reads served, writes refused with NOTREADONLY): a stale leader "
    "answers sync as though a leader lease made its state current",
}


def check_mutations(names: frozenset[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    """The switches named, or ``ValueError`` naming the first unknown one."""
    known = MUTATIONS | CLIENT_VISIBLE_MUTATIONS
    for name in sorted(names):
        if name not in known:
            raise ValueError(f"unknown mutation {name!r}; choose from: {', '.join(known)}")
    return frozenset(names)
