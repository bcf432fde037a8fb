"""ZooKeeper's known bugs, as selectable variants of the system spec.

Each variant makes the spec behave as ZooKeeper did before the fix; the default is
the fixed behaviour (ZooKeeper 3.9 with the fixes, which is what ZkV3_7_0.tla
models for the steps it has). The reproductions follow the mixed-grained specs of
Disalg-ICS-NJU/zookeeper-tla-spec (``test-spec/zk_test_v1, v3, v4, v5``) and
Remix's ``MSPEC_2.tla``.
"""

from __future__ import annotations

#: ZOOKEEPER-2845. A server that leaves FOLLOWING or LEADING without restarting keeps
#: its in-memory database, whose last processed zxid can be older than its log. Its
#: votes and its ACKEPOCH then report that stale zxid, so a leader sends DIFF where
#: TRUNC was due and the follower keeps a transaction the leader never had.
ZK_2845 = "ZK-2845"
#: ZOOKEEPER-3911. On NEWLEADER the follower only sets currentEpoch and acknowledges;
#: the proposals it received during a DIFF sync reach its log only at UPTODATE. A
#: crash in between loses transactions that the leader counted as stored.
ZK_3911 = "ZK-3911"
#: ZOOKEEPER-4643. The follower persists currentEpoch before the transactions of
#: the sync (FollowerProcessNEWLEADER, then
#: FollowerProcessNEWLEADERAfterCurrentEpochUpdated); a crash between the two
#: leaves a server with the new epoch and a short log, which can win an election.
ZK_4643 = "ZK-4643"
#: ZOOKEEPER-4646. The follower hands the transactions of the sync to its
#: SyncRequestProcessor and acknowledges NEWLEADER before they reach disk
#: (FollowerSyncProcessorLogRequest); a crash in between loses them.
ZK_4646 = "ZK-4646"
#: ZOOKEEPER-4685. As ZK-4646, and the ACK of NEWLEADER is sent last
#: (FollowerProcessNEWLEADERAfterCurrentEpochUpdated), so the sync processor can
#: acknowledge a proposal first. ZooKeeper has one ACK type: the leader reads that ACK as
#: the ACK of NEWLEADER, of a "different epoch", and does not count it. Once the first
#: quorum has formed nothing comes of it; while it forms, a leader that needed that ACK
#: gives up and goes back to election (LeaderStaysWithSyncedQuorum).
ZK_4685 = "ZK-4685"

BUGS: dict[str, str] = {
    ZK_2845: "a database retained across leader election leaves logs inconsistent",
    ZK_3911: "a DIFF sync of an uncommitted log loses committed entries",
    ZK_4643: "a crash after updating currentEpoch, before persisting the txns, truncates commits",
    ZK_4646: "a crash after acking NEWLEADER, before the txns reach disk, loses commits",
    ZK_4685: "an ACK of a PROPOSAL, read as the ACK of NEWLEADER, makes a leader quit",
}

#: Variants in which NEWLEADER is handled in two steps, with a crash possible between.
SPLIT_NEWLEADER = frozenset({ZK_4643, ZK_4685})
#: Variants in which the sync's transactions reach disk through the SyncRequestProcessor
#: queue, after NEWLEADER was handled.
QUEUED_LOGGING = frozenset({ZK_4646, ZK_4685})
