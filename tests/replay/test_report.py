"""What ``zabmc replay`` prints: a verdict line per run, and for a divergence the recorded
event, the states field by field, what the spec had enabled, which guard failed; ``--json``
one object per run; exit codes 0 / 1."""

from __future__ import annotations

import json
from pathlib import Path

from zabmc.cli.main import main

TRACES = Path(__file__).resolve().parents[2] / "traces"
CLEAN = TRACES / "clean-election.jsonl"
NO_QUORUM = TRACES / "mutants" / "commit-without-quorum.jsonl"
EARLY_ACK = TRACES / "mutants" / "ack-before-fsync.jsonl"


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["replay", *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out


def events(path: Path) -> int:
    """The events a trace file holds (its lines after the header)."""
    return len(path.read_text().splitlines()) - 1


def test_conforming_runs_exit_0_with_one_line_each(capsys):
    code, out = run(capsys, str(CLEAN), str(TRACES / "process-follower-restart"))
    assert code == 0
    assert out.splitlines() == [
        f"{CLEAN}: conforms ({events(CLEAN)} events)",
        "process-follower-restart (3 files): conforms (117 events)",
    ]


def test_a_state_divergence_shows_the_fields_side_by_side(capsys):
    code, out = run(capsys, str(CLEAN), str(NO_QUORUM))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith(f"conforms ({events(CLEAN)} events)")
    verdict = lines[1]
    assert verdict.startswith(f"{NO_QUORUM}: diverges at event 52 ({NO_QUORUM}:53): ")
    assert "after LeaderProcessACK(3, 3) server 3 differs in lastCommitted" in verdict
    assert f"  recorded event 52 at {NO_QUORUM}:53: LeaderProcessACK(3, 3) by server 3" in out
    assert "the events before it:" in out
    (mark,) = [line for line in lines if line.startswith("  ! ")]
    assert mark.split() == ["!", "lastCommitted", "1:1", "|", "0:0"]
    assert "enabled in the spec here: " in out and "LeaderProcessRequest(3)" in out


def test_a_field_the_spec_leaves_open_at_that_step_is_shown_apart(capsys):
    """After TRUNC, before UPTODATE, what a learner knows committed is bookkeeping: the
    skip-trunc run differs there too, but only its history is the divergence."""
    skip_trunc = TRACES / "mutants" / "skip-trunc.jsonl"
    code, out = run(capsys, str(skip_trunc))
    assert code == 1
    lines = out.splitlines()
    (mark,) = [line for line in lines if line.startswith("  ! ")]
    assert mark.split()[:2] == ["!", "history"]
    (open_field,) = [line for line in lines if line.startswith("  ~ ")]
    assert open_field.split() == ["~", "lastCommitted", "0:0", "|", "2:2"]
    assert "(~: differs, but the spec does not determine it at this step;" in out


def test_a_disabled_step_names_the_guard_that_fails(capsys):
    code, out = run(capsys, str(EARLY_ACK))
    assert code == 1
    assert "LeaderProcessACK(3, 1) is not enabled in the spec here" in out
    assert 'the guard fails at "an ACK from the peer is next on the channel"' in out
    assert "    taking ACK zxid=1:" in out


def test_json_is_one_object_per_run(capsys):
    code, out = run(capsys, "--json", str(CLEAN), str(NO_QUORUM))
    assert code == 1
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["verdict"] == "conforms"
    assert first["events_checked"] == first["events"] == events(CLEAN)
    assert first["divergence"] is None and first["seconds"] >= 0
    assert second["verdict"] == "diverges" and second["events_checked"] == 51
    d = second["divergence"]
    assert (d["index"], d["where"], d["kind"]) == (52, f"{NO_QUORUM}:53", "state")
    assert d["fields"] == [{"name": "lastCommitted", "recorded": "1:1", "expected": "0:0"}]
    assert d["recorded_state"]["role"] == d["expected_state"]["role"] == "LEADING"
    assert "LeaderProcessRequest(3)" in d["enabled"]
