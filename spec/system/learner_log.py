"""What a learner in SYNCHRONIZATION knows of its log (ZkV3_7_0.tla's LastQueued,
LastCommitted, CommittedTxns for a follower in sync; Learner.syncWithLeader).

During sync a learner holds, besides its log on disk, the proposals received since
the sync began (packetsNotCommitted), the zxids committed since (packetsCommitted)
and, in the bug variants that hand logging to the SyncRequestProcessor, the
transactions queued for disk. Positions are 1-based, as in the tla.
"""

from __future__ import annotations

from spec.system.constants import (
    BROADCAST,
    FOLLOWING,
    LEADING,
    OBSERVING,
    SYNC_SNAP,
    SYNCHRONIZATION,
)
from spec.system.params import ZK_TLA, Params
from spec.system.state import History, Learner, Server, index_of_zxid


def pending_log(srv: Server, lrn: Learner) -> History:
    """The log as it will be: on disk, then queued for disk, then received in sync."""
    return srv.history + lrn.queued + lrn.not_committed


def last_queued(srv: Server, lrn: Learner) -> tuple[int, int]:
    """``LastQueued(i)``: position and zxid of the last transaction received (of
    :func:`pending_log`, without building it: a step in sync reads it per proposal)."""
    h = srv.history
    if srv.zab_state != SYNCHRONIZATION:
        return len(h), (h[-1].zxid if h else 0)
    n = len(h) + len(lrn.queued) + len(lrn.not_committed)
    last = lrn.not_committed or lrn.queued or h
    return n, (last[-1].zxid if last else 0)


def last_committed(srv: Server, lrn: Learner) -> int:
    """``LastCommitted(i)``: the position up to which the server knows its log committed.

    A leader not yet broadcasting counts its whole initial log; a learner in sync
    with no COMMIT yet counts its log as it was when sync began, the last one
    ZkV3_7_0.tla's case analysis settles on.
    """
    if srv.zab_state == BROADCAST:
        return srv.last_committed
    if srv.state == LEADING:
        return srv.initial_len
    if srv.state not in (FOLLOWING, OBSERVING):
        return srv.last_committed
    if lrn.committed:
        return index_of_zxid(pending_log(srv, lrn), lrn.committed[-1])
    if len(srv.history) == srv.initial_len:
        return len(srv.history)
    if srv.initial_len < srv.last_committed:
        return srv.last_committed
    return srv.initial_len


def committed_txns(srv: Server, lrn: Learner) -> History:
    """``CommittedTxns(i)`` for a learner in sync: what it will deliver at UPTODATE."""
    if not lrn.committed:
        return srv.history
    return pending_log(srv, lrn)[: last_committed(srv, lrn)]


def txns_match_commits(txns: History, commits: tuple[int, ...]) -> bool:
    """``TxnsAndCommittedMatch``: the last ``len(commits)`` txns have exactly those zxids."""
    if len(txns) < len(commits):
        return False
    tail = txns[len(txns) - len(commits) :]
    return all(t.zxid == z for t, z in zip(tail, commits, strict=True))


def snapshot_only_in_memory(p: Params, lrn: Learner) -> bool:
    """Learner ``lrn`` took SNAP and not yet NEWLEADER: the leader's snapshot is in its
    memory only, and its log on disk is ``lrn.disk_log``.

    Learner.syncWithLeader's SNAP case reads the snapshot into the in-memory database
    (ZKDatabase.deserializeSnapshot) and sets the sync mode to SNAP; only its NEWLEADER
    case writes a snapshot (takeSnapshot(syncSnapshot)) and sets the mode back to NONE.
    ZkV3_7_0.tla (``zk == ZK_TLA``) makes the snapshot the log at once, and so does this
    spec in that mode.
    """
    return p.zk != ZK_TLA and lrn.sync_mode == SYNC_SNAP and not lrn.nl_received
