"""The constants of Zab.tla, as small ints so states hash the same in every run."""

from __future__ import annotations

from typing import Final

# Server states (Zab.tla: LOOKING, FOLLOWING, LEADING).
LOOKING: Final = 0
FOLLOWING: Final = 1
LEADING: Final = 2
SERVER_STATE_NAMES: Final = ("LOOKING", "FOLLOWING", "LEADING")

# Zab phases (Zab.tla: ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST).
ELECTION: Final = 0
DISCOVERY: Final = 1
SYNCHRONIZATION: Final = 2
BROADCAST: Final = 3
ZAB_STATE_NAMES: Final = ("ELECTION", "DISCOVERY", "SYNCHRONIZATION", "BROADCAST")

# Message types, in the order Zab.tla declares them. The paper's names are
# FOLLOWERINFO/LEADERINFO for CEPOCH/NEWEPOCH, and ACK-LD/COMMIT-LD for ACKLD/COMMITLD.
CEPOCH: Final = 0
NEWEPOCH: Final = 1
ACKEPOCH: Final = 2
NEWLEADER: Final = 3
ACKLD: Final = 4
COMMITLD: Final = 5
PROPOSE: Final = 6
ACK: Final = 7
COMMIT: Final = 8
MESSAGE_TYPE_NAMES: Final = (
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
NULL_POINT: Final = -1

#: Zab.tla's MAXEPOCH: the length of epochLeader.
MAXEPOCH: Final = 10

#: The zxid <<0, 0>>: "nothing".
ZERO_ZXID: Final = (0, 0)
