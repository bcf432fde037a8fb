"""``--zk``: the ZooKeeper version whose NEWLEADER handling the spec follows.

3.7.0's Learner.syncWithLeader persists currentEpoch, hands the txns of the sync to the
SyncRequestProcessor and acks NEWLEADER (ZK-4643, ZK-4646 and ZK-4685 are in it); 3.9.3
and later log the committed txns first and ack only then. Each bug fixed in 3.9 is found in
3.7 mode without a bug variant, and 3.9 mode (the default) is clean at the same bounds
(tests/system/test_bugs.py checks every state of the default there).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from spec.system import bug_params
from spec.system.bugs import ZK_4646, ZK_4685
from spec.system.params import ZK_37, ZK_39, Params
from spec.system.scenarios import from_established, replay
from zabmc.engine import CheckOptions, check_bfs


@pytest.mark.parametrize(
    ("bug", "invariant", "length", "states"),
    [
        # ZK-4643 and ZK-4646 share these bounds: the follower crashes before its log
        # holds the txns it acked, and then leads without them
        (ZK_4646, "LeaderLogCompleteness", 21, 60_247),
        (ZK_4685, "LeaderStaysWithSyncedQuorum", 13, 1_653),
    ],
)
def test_version_37_has_the_bug_without_a_variant(bug, invariant, length, states):
    p = replace(bug_params(bug, fixed=True), zk=ZK_37)
    assert p.bug is None and p.split_newleader and p.queued_logging
    only = CheckOptions(check_deadlock=False, invariants=[invariant])
    result = check_bfs(from_established(p), only)
    v = result.violation
    assert v is not None and v.property == invariant
    assert (v.length, result.distinct_states) == (length, states)


def test_version_39_is_clean_at_zk_4685s_bounds():
    p = bug_params(ZK_4685, fixed=True)
    assert p.zk == ZK_39 and not (p.split_newleader or p.queued_logging)
    result = check_bfs(from_established(p), CheckOptions())
    assert result.ok and result.complete and result.distinct_states == 3_317


def test_39_logs_only_the_committed_txns_of_the_sync_at_newleader():
    """From the established cluster, s3 crashes; s1 leads epoch 2 and syncs s2, which lacks
    1:2: the DIFF carries 1:2 committed. In 3.9 s2 logs it at NEWLEADER and acks NEWLEADER
    only; in ZkV3_7_0.tla's NEWLEADER it also acks 1:2."""
    acks = {}
    for zk in (ZK_39, "ZkV3_7_0.tla"):
        p = Params(max_txns=2, max_epoch=3, max_crashes=1, max_timeouts=0, coarse_election=True)
        model = from_established(replace(p, zk=zk))
        s = model.init_states()[0]
        s = replay(
            model,
            [
                ("FollowerProcessPROPOSAL", 0, 2),
                ("NodeCrash", 2),
                ("ElectLeader", 0, 0b011),
                ("ConnectAndFollowerSendFOLLOWERINFO", 0, 1),
                ("LeaderProcessFOLLOWERINFO", 0, 1),
                ("FollowerProcessLEADERINFO", 1, 0),
                ("LeaderProcessACKEPOCH", 0, 1),
                ("LeaderSyncFollower", 0, 1),
                ("FollowerProcessSyncMessage", 1, 0),
                ("FollowerProcessPROPOSALInSync", 1, 0),
                ("FollowerProcessCOMMITInSync", 1, 0),
                ("FollowerProcessNEWLEADER", 1, 0),
            ],
            s,
        )
        assert [t.zxid & 0xFFFF for t in s.servers[1].history] == [1, 2]
        acks[zk] = [msg.zxid & 0xFFFF for msg in s.network.msgs[1 * p.n + 0]]
    assert acks == {ZK_39: [0], "ZkV3_7_0.tla": [0, 2]}


def test_an_unknown_version_is_refused():
    with pytest.raises(ValueError, match=r"unknown ZooKeeper version '3\.8'"):
        Params(zk="3.8")
