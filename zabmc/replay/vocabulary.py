"""The shared vocabulary of ZAB steps (``/work/ref/zab-vocabulary.md``), as the trace format
uses it: every action name with the number of servers it takes.

This is the contract's own list, kept apart from any spec: a trace naming a step outside it
is malformed, whatever spec it is replayed against.
"""

from __future__ import annotations

#: Action name -> number of arguments (myids).
ACTIONS: dict[str, int] = {
    # Fast Leader Election
    "ZabTimeout": 1,
    "FLEReceiveNotmsg": 2,
    "FLENotmsgTimeout": 1,
    "FLEHandleNotmsg": 1,
    "FLEWaitNewNotmsg": 1,
    # Faults
    "NodeCrash": 1,
    "NodeStart": 1,
    "PartitionStart": 2,
    "PartitionRecover": 2,
    # Discovery
    "ConnectAndFollowerSendFOLLOWERINFO": 2,
    "LeaderProcessFOLLOWERINFO": 2,
    "FollowerProcessLEADERINFO": 2,
    "LeaderProcessACKEPOCH": 2,
    # Synchronization
    "LeaderSyncFollower": 2,
    "FollowerProcessSyncMessage": 2,
    "FollowerProcessPROPOSALInSync": 2,
    "FollowerProcessCOMMITInSync": 2,
    "FollowerProcessNEWLEADER": 2,
    "FollowerProcessNEWLEADERAfterCurrentEpochUpdated": 2,
    "LeaderProcessACKLD": 2,
    "FollowerProcessUPTODATE": 2,
    # Broadcast
    "LeaderProcessRequest": 1,
    "FollowerProcessPROPOSAL": 2,
    "FollowerSyncProcessorLogRequest": 1,
    "LeaderProcessACK": 2,
    "FollowerProcessCOMMIT": 2,
    "ObserverProcessINFORM": 2,
}

#: Message type -> its fields besides ``type``, and whether each is a zxid.
ZXID = "zxid"
INT = "int"
STATE_NAME = "state"
MESSAGES: dict[str, dict[str, str]] = {
    "NOTIFICATION": {"leader": INT, "zxid": ZXID, "epoch": INT, "round": INT, "state": STATE_NAME},
    "FOLLOWERINFO": {"acceptedEpoch": INT},
    "LEADERINFO": {"epoch": INT},
    "ACKEPOCH": {"currentEpoch": INT, "lastZxid": ZXID},
    "DIFF": {"zxid": ZXID},
    "TRUNC": {"zxid": ZXID},
    "SNAP": {"zxid": ZXID},
    "PROPOSAL": {"zxid": ZXID},
    "COMMIT": {"zxid": ZXID},
    "ACK": {"zxid": ZXID},
    "INFORM": {"zxid": ZXID},
    "NEWLEADER": {"epoch": INT},
    "ACKLD": {"epoch": INT},
    "UPTODATE": {"epoch": INT},
}

ROLES = ("LOOKING", "FOLLOWING", "LEADING", "OBSERVING")
PHASES = ("ELECTION", "DISCOVERY", "SYNCHRONIZATION", "BROADCAST")
