"""Messages that no legal run delivers: consuming one flags a violation."""

from __future__ import annotations

from typing import Final

from spec.protocol.channels import discard
from spec.protocol.constants import (
    ACK,
    ACKEPOCH,
    ACKLD,
    CEPOCH,
    COMMIT,
    COMMITLD,
    FOLLOWING,
    LEADING,
    LOOKING,
    NEWEPOCH,
    NEWLEADER,
    PROPOSE,
)
from spec.protocol.params import Params
from spec.protocol.state import ZabState, has, replace

#: What a leader sends; a leader never receives these.
LEADER_TO_FOLLOWER: Final = frozenset({NEWEPOCH, NEWLEADER, COMMITLD, PROPOSE, COMMIT})
#: What a follower sends; a follower never receives these.
FOLLOWER_TO_LEADER: Final = frozenset({CEPOCH, ACKEPOCH, ACKLD, ACK})


def is_nonexistent_message(s: ZabState, i: int, j: int, mtype: int) -> bool:
    """The message of type ``mtype`` from j cannot be taken by i in its current role."""
    if s.state[i] == LEADING:
        return mtype in LEADER_TO_FOLLOWER or (
            not has(s.learners[i], j) and mtype in FOLLOWER_TO_LEADER
        )
    if s.state[i] == FOLLOWING:
        return mtype in FOLLOWER_TO_LEADER or (
            s.connect_info[i] != j and mtype in LEADER_TO_FOLLOWER
        )
    return s.state[i] == LOOKING


def filter_nonexistent_message(s: ZabState, p: Params, i: int, j: int) -> ZabState | None:
    """``FilterNonexistentMessage(i)``, for the witness j of its ``\\E j``.

    Drops the head of j's channel to i when i cannot take it, and flags
    messageIllegal: this action should never be enabled.
    """
    if i == j or not s.msgs[j][i]:
        return None
    if not is_nonexistent_message(s, i, j, s.msgs[j][i][0][0]):
        return None
    return replace(
        s,
        msgs=discard(s.msgs, j, i),
        violated_invariants=s.violated_invariants._replace(message_illegal=True),
    )
