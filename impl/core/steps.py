"""The observable steps, named as in the shared vocabulary of ZAB steps (the system-level spec
uses the same names), with their arguments and when this implementation takes each.

Each step reaches the adapters as one :class:`impl.core.effects.Observed` effect carrying the
state of the server that took it, after the step. The first argument is the server taking the
step and the second the peer whose message it takes, except where noted.
"""

from __future__ import annotations

STEPS: dict[str, str] = {
    # Faults (the harness reports these: a process cannot record its own kill -9)
    "NodeCrash": "(i) the simulator crashed i; only what i had on disk survives",
    "NodeStart": "(i) i booted from disk: LOOKING, in election round 1, voting for itself",
    "PartitionStart": "(i, j) the simulator cut or froze the link between i and j",
    "PartitionRecover": "(i, j) the link between i and j healed",
    # Fast Leader Election
    "ZabTimeout": "(i) i left FOLLOWING/LEADING/OBSERVING for a new round: its leader fell "
    "silent or its connection dropped, it lost its quorum, or its leader broke the protocol",
    "FLEReceiveNotmsg": "(i, j) i took j's notification off the wire; a server that is not "
    "LOOKING answers a LOOKING sender with its vote (and so does a LOOKING one, to an older "
    "round or a non-voter). A LOOKING i handles it next, in FLEHandleNotmsg or FLEWaitNewNotmsg",
    "FLENotmsgTimeout": "(i) LOOKING i heard nothing for a while and sent its vote again",
    "FLEHandleNotmsg": "(i) LOOKING i processed the notification it just received: a newer round "
    "or a better vote (epoch, zxid, id) replaces its vote and is re-sent; a quorum for its vote "
    "starts the final wait; votes of a quorum following one leader make i follow it at once",
    "FLEWaitNewNotmsg": "(i) in the final wait: a notification that is no better is dropped, a "
    "better one ends the wait (FLEHandleNotmsg follows); when the wait is over i decides",
    # Discovery
    "ConnectAndFollowerSendFOLLOWERINFO": "(leader, learner) the learner, connected to the "
    "leader it elected, sent FOLLOWERINFO; the state reported is the learner's",
    "LeaderProcessFOLLOWERINFO": "(i, j) leader i took j's FOLLOWERINFO; the first time a quorum "
    "of voters has joined, the new epoch is fixed and LEADERINFO goes to every joined learner",
    "FollowerProcessLEADERINFO": "(i, j) learner i accepted the new epoch and sent ACKEPOCH, or "
    "(epoch below its acceptedEpoch) went back to LOOKING",
    "LeaderProcessACKEPOCH": "(i, j) leader i took j's ACKEPOCH; a quorum establishes the epoch "
    "(currentEpoch written); a learner ahead of the leader makes it step down",
    # Synchronization
    "LeaderSyncFollower": "(i, j) leader i sent j DIFF, TRUNC or SNAP, the proposals j lacks "
    "(with COMMITs for the committed ones) and NEWLEADER",
    "FollowerProcessSyncMessage": "(i, j) learner i took DIFF / TRUNC / SNAP",
    "FollowerProcessPROPOSALInSync": "(i, j) learner i queued a proposal during sync",
    "FollowerProcessCOMMITInSync": "(i, j) learner i noted a commit during sync",
    "FollowerProcessNEWLEADER": "(i, j) the txns synced before NEWLEADER are on disk, then "
    "currentEpoch was written and NEWLEADER acked (with the ACKs of those txns); taken when "
    "NEWLEADER arrives if they already were, else at the LogSynced that put them there",
    "FollowerProcessNEWLEADERAfterCurrentEpochUpdated": "(i, j) with the ZK-4643 switch only, "
    "where FollowerProcessNEWLEADER wrote currentEpoch when NEWLEADER arrived: the txns synced "
    "before it are on disk, and NEWLEADER was acked (with their ACKs)",
    "LeaderProcessACKLD": "(i, j) leader i took j's first ACK after NEWLEADER as its ACK of "
    "NEWLEADER (a proposal's counts for nothing, and a leader no quorum can ack any more gives "
    "up); with a quorum it commits its initial history and sends UPTODATE; (i, i): the "
    "leader's own log reaching disk completed that quorum",
    "FollowerProcessUPTODATE": "(i, j) learner i logged what came after NEWLEADER, applied "
    "every committed txn, and entered broadcast",
    # Broadcast
    "LeaderProcessRequest": "(i) leader i gave a client write the next zxid, logged it and sent "
    "PROPOSAL to its synced followers",
    "FollowerProcessPROPOSAL": "(i, j) follower i logged j's proposal; its ACK goes out once it "
    "is on disk (FollowerSyncProcessorLogRequest)",
    "FollowerSyncProcessorLogRequest": "(i) follower i's logged proposals reached disk and it "
    "sent their ACKs",
    "LeaderProcessACK": "(i, j) leader i counted j's ACK and committed, in zxid order, what a "
    "quorum has acked; (i, i): its own log reached disk for that proposal",
    "FollowerProcessCOMMIT": "(i, j) follower i applied the next committed txn",
    "ObserverProcessINFORM": "(i, j) observer i logged and applied a txn j committed",
}

#: Steps only a bug switch takes (``impl.core.switches``): a run without one never shows them.
SWITCH_ONLY = frozenset({"FollowerProcessNEWLEADERAfterCurrentEpochUpdated"})
