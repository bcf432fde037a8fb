"""Ghost variables: what actions record only so that invariants can read it.

ZkV3_7_0.tla's verifyVars (epochLeader, proposalMsgsLog, violatedInvariants) and
MSPEC_2.tla's committedLog. A check made inside an action that fails adds a
:class:`Breach` instead of being skipped.
"""

from __future__ import annotations

from spec.system.constants import MAX_EPOCHS_RECORDED, NULL
from spec.system.log import insert, search
from spec.system.state import Breach, History, ProposalRecord, SystemState, ghost_with, state_with

# Kinds of breach. The first five are ZkV3_7_0.tla's violatedInvariants.
MESSAGE_ILLEGAL = 0  # a message that is impossible in the receiver's state
STATE_INCONSISTENT = 1  # a step found its own phase at odds with the message
PROPOSAL_INCONSISTENT = 2  # a proposal or truncation out of order
COMMIT_INCONSISTENT = 3  # a commit of a txn not next, or not seen
ACK_INCONSISTENT = 4  # an ACK of a txn not proposed, or out of order
COMMITTED_TRUNCATED = 5  # a learner dropped a committed entry from its log
ELECTION_UNSOUND = 6  # a server decided for a leader without a quorum at least as good
QUORUM_ABANDONED = 7  # a leader gave up while a quorum had taken its NEWLEADER
BREACH_NAMES = (
    "messageIllegal",
    "stateInconsistent",
    "proposalInconsistent",
    "commitInconsistent",
    "ackInconsistent",
    "committedTruncated",
    "electionUnsound",
    "quorumAbandoned",
)
#: The breaches ShouldNotBeTriggered covers; the last three have invariants of their own.
DURING_ACTION = frozenset(
    {
        MESSAGE_ILLEGAL,
        STATE_INCONSISTENT,
        PROPOSAL_INCONSISTENT,
        COMMIT_INCONSISTENT,
        ACK_INCONSISTENT,
    }
)


def breach(
    s: SystemState, kind: int, server: int, peer: int, zxid: int = 0, message: int = NULL
) -> SystemState:
    """Record that a check inside the step by ``server`` failed."""
    g = s.ghost
    found = Breach(kind, server, peer, zxid, message)
    return state_with(s, ghost=ghost_with(g, breaches=(*g.breaches, found)))


def record_proposals(s: SystemState, source: int, epoch: int, txns: History) -> SystemState:
    """``proposalMsgsLog \\union ...``: ``source`` broadcast ``txns`` in ``epoch``."""
    if not txns:
        return s
    g = s.ghost
    proposals = g.proposals  # a set, kept sorted: each record goes in its place
    for t in txns:
        r = ProposalRecord(epoch, source, t.zxid, t.value)
        k = search(proposals, r)
        if k == len(proposals) or proposals[k] != r:
            proposals = insert(proposals, k, r)
    if proposals is g.proposals:
        return s
    return state_with(s, ghost=ghost_with(g, proposals=proposals))


def record_commit(s: SystemState, committed: History) -> SystemState:
    """A leader has committed the prefix ``committed`` of its log.

    The ghost committed log grows to it when it extends what was committed before.
    A prefix that disagrees leaves the ghost as it was, so that the invariants
    comparing leaders with it see the disagreement.
    """
    g = s.ghost
    if len(committed) <= len(g.committed) or committed[: len(g.committed)] != g.committed:
        return s
    return state_with(s, ghost=ghost_with(g, committed=committed))


def record_established(s: SystemState, epoch: int, leader: int) -> SystemState:
    """``epochLeader[epoch] \\union {leader}``: ``leader`` established ``epoch``."""
    if not 1 <= epoch <= MAX_EPOCHS_RECORDED:
        return s
    g = s.ghost
    masks = list(g.epoch_leader)
    masks[epoch - 1] |= 1 << leader
    return state_with(s, ghost=ghost_with(g, epoch_leader=tuple(masks)))
