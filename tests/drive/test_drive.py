"""``zabmc drive``: each ZooKeeper bug of the system spec driven through impl, both ways.

The counterexample is made here by running the checker with the catalogue's quick exposure
(so the test follows the spec as it changes). With the bug's switch impl must follow every
step and so reproduce the violation; without it impl must depart at the step where
ZooKeeper's fix acts, and the report must name that step and the difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.catalog_cases import bug_flags
from tests.cli.test_check_cli import run
from zabmc.cli.report import read_verified
from zabmc.drive.run import plan

CHECK = ["check", "--no-deadlock", "--no-progress"]

_MADE: dict[str, Path] = {}


def counterexample(capsys: pytest.CaptureFixture[str], tmp_path: Path, bug: str) -> Path:
    """The checker's counterexample for ``bug`` (made once per test session)."""
    if bug not in _MADE:
        cex = tmp_path / f"{bug}.json"
        code, _, err = run(capsys, *CHECK, *bug_flags("system", bug), "--report", str(cex))
        assert code == 1, err
        _MADE[bug] = cex
    return _MADE[bug]


def drive(capsys: pytest.CaptureFixture[str], cex: Path, *flags: str) -> tuple[int, dict]:
    code, out, err = run(capsys, "drive", str(cex), "--json", *flags)
    assert err == ""
    return code, json.loads(out)


def both_ways(capsys: pytest.CaptureFixture[str], cex: Path) -> dict:
    """impl with the bug's switch follows every step; as released it departs: where."""
    code, with_bug = drive(capsys, cex)
    assert code == 0, with_bug["departure"]
    assert with_bug["steps_followed"] == with_bug["steps"]
    code, fixed = drive(capsys, cex, "--fixed")
    assert code == 1 and fixed["steps_followed"] < fixed["steps"]
    return fixed["departure"]


def step_label(cex: Path, index: int) -> str:
    return json.loads(cex.read_text())["steps"][index]["label"]


def test_zk_2845_the_retained_database_elects_the_short_log(capsys, tmp_path):
    cex = counterexample(capsys, tmp_path, "ZK-2845")
    code, with_bug = drive(capsys, cex)
    assert code == 0, with_bug["departure"]
    assert with_bug["verdict"] == "followed" and with_bug["switches"] == ["ZK-2845"]
    assert with_bug["steps_followed"] == with_bug["steps"]
    assert with_bug["violation"] == json.loads(cex.read_text())["invariant"]["name"]
    code, fixed = drive(capsys, cex, "--fixed")
    assert code == 1 and fixed["switches"] == [] and fixed["seed"] == 0
    assert drive(capsys, cex, "--fixed") == (code, fixed)  # the same run every time
    d = fixed["departure"]
    # the fix reloads the database: the server with the uncommitted txn votes with it, so
    # the server whose log is shorter is not elected and it leads itself (the bug votes with
    # the stale zxid); the reduced search's path has that server time out and s3 elected
    assert step_label(cex, d["index"]).startswith("ElectLeader")
    assert d["action"] == "ElectLeader"
    assert d["recorded_state"]["role"] == "LEADING" and d["expected_state"]["role"] == "FOLLOWING"
    assert d["recorded_state"]["vote"].startswith("leader 2 zxid 1:1")
    assert d["recorded_state"]["history"] == d["expected_state"]["history"]


def test_zk_3911_newleader_without_the_sync_txns(capsys, tmp_path):
    cex = counterexample(capsys, tmp_path, "ZK-3911")
    d = both_ways(capsys, cex)
    # the fix logs the sync's proposals at NEWLEADER: the learner's log is longer there
    assert (
        d["action"]
        == "FollowerProcessNEWLEADER"
        == json.loads(cex.read_text())["steps"][d["index"]]["action"]
    )
    assert {f["name"] for f in d["fields"]} == {"lastZxid", "history"}
    assert len(d["recorded_state"]["history"]) > len(d["expected_state"]["history"])


def test_the_text_report_names_the_step_and_the_difference(capsys, tmp_path):
    cex = counterexample(capsys, tmp_path, "ZK-3911")
    code, out, _ = run(capsys, "drive", str(cex), "--fixed")
    assert code == 1
    first, *rest = out.splitlines()
    assert "departs at step" in first and "FollowerProcessNEWLEADER" in first
    assert any(line.startswith("  ! history") for line in rest)
    assert rest[-1].startswith("  enabled in the spec here: FollowerProcessNEWLEADER(")
    code, out, _ = run(capsys, "drive", str(cex))
    assert code == 0 and "followed all" in out and "LeaderLogCompleteness" in out


def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "zabmc-counterexample",\n  "version": }')
    code, out, err = run(capsys, "drive", str(bad))
    assert (code, out) == (2, "") and err.count("\n") == 1 and f"{bad}:2:" in err
    code, _, err = run(capsys, "drive", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err


def test_zk_4646_acks_newleader_before_the_sync_txns_are_on_disk(capsys, tmp_path):
    """The switch itself: when the leader has taken the learner's ACK of NEWLEADER, the
    sync's txns are still off the learner's disk (impl as released waits for them: below)."""
    cex = counterexample(capsys, tmp_path, "ZK-4646")
    doc, model, path = read_verified(str(cex))
    ackld = next(k for k, step in enumerate(doc["steps"]) if step["action"] == "LeaderProcessACKLD")
    learner = doc["steps"][ackld]["args"][1] + 1
    walk = plan(doc, model, path, str(cex))
    last = next(n for n, s in enumerate(walk.steps) if s.index == ackld)
    walk.steps = walk.steps[: last + 1]  # up to the leader taking the ACK of NEWLEADER
    assert walk.run() == (ackld, None)
    disk = walk.world.servers[learner].disk
    assert [t.zxid for _, txns in disk.unsynced for t in txns] != []


def test_zk_4685_a_proposal_ack_before_the_newleader_ack(capsys, tmp_path):
    cex = counterexample(capsys, tmp_path, "ZK-4685")
    doc = json.loads(cex.read_text())
    code, with_bug = drive(capsys, cex)
    assert code == 0, with_bug["departure"]
    # the leader reads the proposal's ACK as the ACK of NEWLEADER and gives up
    assert with_bug["violation"] == "LeaderStaysWithSyncedQuorum" == doc["invariant"]["name"]
    assert with_bug["steps_followed"] == with_bug["steps"]
    assert doc["steps"][-1]["action"] == "LeaderProcessACKLD"
    code, fixed = drive(capsys, cex, "--fixed")
    assert code == 1 and fixed["steps_followed"] < fixed["steps"]
    d = fixed["departure"]
    # impl as released takes NEWLEADER in one step, writing and acking before anything else
    assert d["action"] == "FollowerProcessNEWLEADER" == doc["steps"][d["index"]]["action"]
    assert "waits for its log to reach disk" in d["summary"]


@pytest.mark.parametrize("bug", ["ZK-4643", "ZK-4646"])
def test_newleader_before_the_sync_txns_are_on_disk(capsys, tmp_path, bug):
    """With the switch impl follows to the violation; without it, ZooKeeper's fix: a learner
    writes currentEpoch and ACKs NEWLEADER only once the sync's txns are on disk; the spec's
    buggy step leaves them off disk, which impl refuses."""
    cex = counterexample(capsys, tmp_path, bug)
    doc = json.loads(cex.read_text())
    code, with_bug = drive(capsys, cex)
    assert code == 0, with_bug["departure"]
    assert with_bug["steps_followed"] == with_bug["steps"]
    assert with_bug["violation"] == doc["invariant"]["name"]
    code, fixed = drive(capsys, cex, "--fixed")
    assert code == 1
    d = fixed["departure"]
    assert d["action"] == "FollowerProcessNEWLEADER" == doc["steps"][d["index"]]["action"]
    assert "waits for its log to reach disk" in d["summary"]
