"""The constants of Zab.tla, as small ints so states hash the same in every run."""

from __future__ import annotations

# Server states (Zab.tla: LOOKING, FOLLOWING, LEADING).
LOOKING = 0
FOLLOWING = 1
LEADING = 2
SERVER_STATE_NAMES = ("LOOKING", "FOLLOWING", "LEADING")

# Zab phases (Zab.tla: ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST).
ELECTION = 0
DISCOVERY = 1
SYNCHRONIZATION = 2
BROADCAST = 3
ZAB_STATE_NAMES = ("ELECTION", "DISCOVERY", "SYNCHRONIZATION", "BROADCAST")

# Message types, in the order Zab.tla declares them. The paper's names are
# FOLLOWERINFO/LEADERINFO for CEPOCH/NEWEPOCH, and ACK-LD/COMMIT-LD for ACKLD/COMMITLD.
CEPOCH = 0
NEWEPOCH = 1
ACKEPOCH = 2
NEWLEADER = 3
ACKLD = 4
COMMITLD = 5
PROPOSE = 6
ACK = 7
COMMIT = 8
MESSAGE_TYPE_NAMES = (
    "CEPOCH",
    "NEWEPOCH",
    "ACKEPOCH",
    "NEWLEADER",
    "ACKLD",
    "COMMITLD",
    "PROPOSE",
    "ACK",
    "COMMIT",
)

#: Zab.tla's NullPoint: "no server". Negative so it never collides with an id.
NULL_POINT = -1

#: Zab.tla's MAXEPOCH: the length of epochLeader.
MAXEPOCH = 10

#: The zxid <<0, 0>>: "nothing".
ZERO_ZXID = (0, 0)
