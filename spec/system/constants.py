"""The constants of the system-level spec, as small ints so states hash the same in every run."""

from __future__ import annotations

# Server states (ZooKeeper's QuorumPeer.ServerState).
LOOKING = 0
FOLLOWING = 1
LEADING = 2
OBSERVING = 3
SERVER_STATE_NAMES = ("LOOKING", "FOLLOWING", "LEADING", "OBSERVING")

# Zab phases (QuorumPeer.ZabState).
ELECTION = 0
DISCOVERY = 1
SYNCHRONIZATION = 2
BROADCAST = 3
ZAB_STATE_NAMES = ("ELECTION", "DISCOVERY", "SYNCHRONIZATION", "BROADCAST")

# Zab messages on the quorum port (Leader.java's packet types). As in ZooKeeper there is
# one ACK type (Leader.ACK): the ACK of NEWLEADER is an ACK with NEWLEADER's zxid (counter
# 0), and a LearnerHandler takes the first ACK it reads after NEWLEADER for it, whatever it
# acknowledges (ZkV3_7_0.tla names an ACKLD type apart; ZOOKEEPER-4685 is that difference).
# Observers send OBSERVERINFO, which the leader treats as FOLLOWERINFO.
FOLLOWERINFO = 0
LEADERINFO = 1
ACKEPOCH = 2
DIFF = 3
TRUNC = 4
SNAP = 5
PROPOSAL = 6
COMMIT = 7
NEWLEADER = 8
UPTODATE = 9
ACK = 10
INFORM = 11
MESSAGE_TYPE_NAMES = (
    "FOLLOWERINFO",
    "LEADERINFO",
    "ACKEPOCH",
    "DIFF",
    "TRUNC",
    "SNAP",
    "PROPOSAL",
    "COMMIT",
    "NEWLEADER",
    "UPTODATE",
    "ACK",
    "INFORM",
)

# How a learner is being synchronized (Learner.syncWithLeader's snapshotNeeded/writeToTxnLog).
NO_SYNC = 0
SYNC_DIFF = 1
SYNC_TRUNC = 2
SYNC_SNAP = 3
SYNC_MODE_NAMES = ("NONE", "DIFF", "TRUNC", "SNAP")

#: "No server" (ZkV3_7_0.tla's NullPoint). Negative so it never collides with an id; the
#: spec never uses -2 next to it (CPython hashes -1 and -2 alike).
NULL = -1

#: A zxid that means "already synchronized" in the leader's record of ACKEPOCHs
#: (ZkV3_7_0.tla's peerLastZxid <<-1, -1>>).
SYNCED = -1

#: The number of epochs the ghost record of leaders covers (ZkV3_7_0.tla's MAXEPOCH).
MAX_EPOCHS_RECORDED = 10
