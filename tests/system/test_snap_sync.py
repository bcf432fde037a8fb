"""A SNAP sync is in the learner's memory only until NEWLEADER (ZOOKEEPER-3642).

Learner.syncWithLeader reads a SNAP into the in-memory database (ZKDatabase.deserializeSnapshot)
and writes a snapshot only at NEWLEADER (takeSnapshot(syncSnapshot)). A learner that leaves
its leader in between fully shuts its ZooKeeperServer down (Learner.shutdown passes
``syncMode == SNAP``: ZKDatabase.clear, no fastForwardDataBase) and reloads its database from
disk before it votes (QuorumPeer.getLastLoggedZxid); a crash loses the memory too. Either way
it is back at the log it had before SNAP. ZkV3_7_0.tla makes the snapshot the log at once.

The path is the one the ZK-3911 bounds' row (``--coarse-election --max-txns 2 --max-epoch 3
--max-crashes 2``) reported as a ShouldNotBeTriggered violation: s2 leads epoch 2 holding 1:1
uncommitted and syncs s3 by SNAP; s2 crashes before s3 takes NEWLEADER; kept, the snapshot made
s3 vote 1:1 with 1:1 "committed", and the next leader s1 (epoch 1, no 1:1) TRUNCated it below that.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.system.constants import DIFF, LOOKING, SNAP, TRUNC
from spec.system.election.votes import self_vote
from spec.system.ghost import PROPOSAL_INCONSISTENT
from spec.system.model import SystemModel
from spec.system.params import ZK_37, ZK_39, ZK_TLA, Params
from spec.system.scenarios import replay
from spec.system.state import SystemState, Txn, put
from spec.system.zxid import make_zxid
from tests.system.symbolic.test_agreement import agree

S1, S2, S3 = 0, 1, 2
BOUNDS = Params(
    max_txns=2, max_epoch=3, max_crashes=2, max_partitions=0, max_timeouts=0, coarse_election=True
)

#: s2 leads epoch 1 with s1, proposes 1:1; s1 crashes before it has it.
EPOCH_1 = [
    ("ElectLeader", S2, 0b011),
    ("ConnectAndFollowerSendFOLLOWERINFO", S2, S1),
    ("LeaderProcessFOLLOWERINFO", S2, S1),
    ("FollowerProcessLEADERINFO", S1, S2),
    ("LeaderProcessACKEPOCH", S2, S1),
    ("LeaderSyncFollower", S2, S1),
    ("FollowerProcessSyncMessage", S1, S2),
    ("FollowerProcessNEWLEADER", S1, S2),
    ("LeaderProcessACKLD", S2, S1),
    ("FollowerProcessUPTODATE", S1, S2),
    ("LeaderProcessRequest", S2),
    ("NodeCrash", S1),
]
#: s2 leads epoch 2 with s3 (a fresh server) and syncs it by SNAP of [1:1]; s1 is back up.
SNAP_TO_S3 = [
    ("ElectLeader", S2, 0b110),
    ("NodeStart", S1),
    ("ConnectAndFollowerSendFOLLOWERINFO", S2, S3),
    ("LeaderProcessFOLLOWERINFO", S2, S3),
    ("FollowerProcessLEADERINFO", S3, S2),
    ("LeaderProcessACKEPOCH", S2, S3),
    ("LeaderSyncFollower", S2, S3),
    ("FollowerProcessSyncMessage", S3, S2),
]
#: s1 (epoch 1) wins over s3 (epoch 0) and syncs it.
S1_SYNCS_S3 = [
    ("ElectLeader", S1, 0b101),
    ("ConnectAndFollowerSendFOLLOWERINFO", S1, S3),
    ("LeaderProcessFOLLOWERINFO", S1, S3),
    ("FollowerProcessLEADERINFO", S3, S1),
    ("LeaderProcessACKEPOCH", S1, S3),
    ("LeaderSyncFollower", S1, S3),
]


def zxids(s: SystemState, i: int) -> list[tuple[int, int]]:
    return [(t.zxid >> 32, t.zxid & 0xFFFFFFFF) for t in s.servers[i].history]


def after_snap(p: Params = BOUNDS) -> tuple[SystemModel, SystemState]:
    model = SystemModel(p)
    epoch_1 = list(EPOCH_1)
    if p.split_newleader:  # 3.7: NEWLEADER's second half, then s1's ACK of it
        epoch_1.insert(8, ("FollowerProcessNEWLEADERAfterCurrentEpochUpdated", S1, S2))
    s = replay(model, epoch_1 + SNAP_TO_S3)
    assert s.network.msgs[S2 * p.n + S3][0][0] != SNAP  # taken; NEWLEADER waits
    assert zxids(s, S3) == [(1, 1)] and s.servers[S3].last_committed == 1
    return model, s


@pytest.mark.parametrize("zk", [ZK_39, ZK_37])
def test_a_learner_that_loses_its_leader_before_newleader_reloads_its_log(zk):
    model, s = after_snap(replace(BOUNDS, zk=zk))
    s = replay(model, [("NodeCrash", S2)], s)
    srv = s.servers[S3]
    assert srv.state == LOOKING
    assert zxids(s, S3) == [] and (srv.last_committed, srv.last_processed) == (0, 0)
    # the vote it would look with (the coarse election keeps no zxid in s3's record)
    assert self_vote(model.params, srv, S3).zxid == 0


def test_the_next_leader_syncs_it_by_diff_and_nothing_breaks():
    """On the spec before the fix s3 voted 1:1, s1 sent TRUNC 0:0 below s3's lastCommitted 1
    and FollowerProcessSyncMessage recorded proposalInconsistent."""
    model, s = after_snap()
    s = replay(model, [("NodeCrash", S2), *S1_SYNCS_S3], s)
    assert s.network.msgs[S1 * BOUNDS.n + S3][0][0] == DIFF
    s = replay(model, [("FollowerProcessSyncMessage", S3, S1)], s)
    assert s.ghost.breaches == ()


def test_a_crash_before_newleader_loses_the_snapshot():
    model, s = after_snap()
    s = replay(model, [("NodeCrash", S3), ("NodeStart", S3)], s)
    assert zxids(s, S3) == [] and s.servers[S3].last_committed == 0


def test_newleader_writes_the_snapshot_and_a_crash_keeps_it():
    model, s = after_snap()
    s = replay(model, [("FollowerProcessNEWLEADER", S3, S2)], s)
    assert s.learners[S3].disk_log == ()  # nothing kept once the snapshot is on disk
    s = replay(model, [("NodeCrash", S3), ("NodeStart", S3)], s)
    assert zxids(s, S3) == [(1, 1)] and s.servers[S3].last_snapshot == 1


def test_zkv3_7_0_tla_keeps_the_snapshot_as_the_log():
    """The TLA+ oracle's mode keeps ZkV3_7_0.tla's SNAP (history set at once, lastCommitted
    unchanged by ZabTimeout), where the old path still ends in proposalInconsistent: the
    TLA+ has the same gap (it does not model ZOOKEEPER-3642's full shutdown)."""
    p = replace(BOUNDS, zk=ZK_TLA)
    model, s = after_snap(p)
    s = replay(model, [("NodeCrash", S2)], s)
    assert zxids(s, S3) == [(1, 1)] and s.servers[S3].last_committed == 1
    s = replay(model, S1_SYNCS_S3, s)
    assert s.network.msgs[S1 * p.n + S3][0][0] == TRUNC
    s = replay(model, [("FollowerProcessSyncMessage", S3, S1)], s)
    assert [b.kind for b in s.ghost.breaches] == [PROPOSAL_INCONSISTENT]


def test_the_z3_encoding_reloads_the_log_at_a_timeout_too():
    """Without crashes (the encoding's configuration): s2 leads epoch 1 and proposes 1:1, times
    out; s2 leads epoch 2 with s3 and syncs it by SNAP; s3 times out before NEWLEADER. The
    explicit and z3 successors of that state agree, and s3 is back at its empty log."""
    p = Params(max_txns=1, max_epoch=2, max_timeouts=2, coarse_election=True)
    model = SystemModel(p)
    s = replay(
        model,
        [
            *EPOCH_1[:-1],
            ("ZabTimeout", S2),
            ("ElectLeader", S2, 0b110),
            *SNAP_TO_S3[2:],
        ],
    )
    assert zxids(s, S3) == [(1, 1)] and s.learners[S3].disk_log == ()
    assert agree(p, [s]) > 0
    t = replay(model, [("ZabTimeout", S3)], s)
    assert zxids(t, S3) == [] and t.servers[S3].last_committed == 0


def test_the_log_reloaded_is_the_one_on_disk_at_snap():
    """s3's log before SNAP, set by hand to one entry of its own: leaving its leader before
    NEWLEADER brings back that entry, applied, with only its snapshot (none) committed."""
    model, s = after_snap()
    own = Txn(make_zxid(1, 1), 9)
    s = s._replace(learners=put(s.learners, S3, s.learners[S3]._replace(disk_log=(own,))))
    s = replay(model, [("NodeCrash", S2)], s)
    srv = s.servers[S3]
    assert tuple(srv.history) == (own,) and (srv.last_processed, srv.last_committed) == (1, 0)
    assert self_vote(model.params, srv, S3).zxid == make_zxid(1, 1)
