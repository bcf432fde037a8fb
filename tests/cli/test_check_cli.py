"""``zabmc check`` and ``zabmc specs`` as a user runs them: exit codes, output, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.catalog_cases import bug_flags
from zabmc.cli.main import main

PROTOCOL = ["--spec", "protocol"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_run_exits_0_with_counts(capsys):
    # TLC's counts (shared/tlc/README.md): the full search, as TLC explores every order
    code, out, _ = run(capsys, "check", *PROTOCOL, "--no-deadlock", "--no-reduction")
    assert code == 0
    assert "5,170" in out and "8,608" in out
    assert "No violation" in out


def test_violation_exits_1_with_numbered_steps(capsys):
    # 17 is the BFS depth of the shortest counterexample: the full search finds it
    code, out, _ = run(
        capsys, "check", *bug_flags("protocol", "strict-propose"), "--no-deadlock", "--no-reduction"
    )
    assert code == 1
    assert "Invariant ShouldNotBeTriggered is violated, 17 steps" in out
    assert " 17. FollowerProcessPROPOSE(" in out
    assert 'violatedInvariants: [] -> ["proposalInconsistent"]' in out


def test_deadlock_is_reported_by_default(capsys):
    code, out, _ = run(capsys, "check", *PROTOCOL)
    assert code == 1
    assert out.count("UpdateLeader(") == 3 and "Deadlock" in out


def test_json_output_has_the_documented_keys(capsys):
    code, out, _ = run(capsys, "check", *PROTOCOL, "--no-deadlock", "--depth", "6", "--json")
    assert code == 0
    data = json.loads(out)
    for key in (
        "spec",
        "params",
        "distinct_states",
        "states_generated",
        "max_depth",
        "complete",
        "elapsed_s",
        "actions",
        "violation",
    ):
        assert key in data
    assert data["spec"] == "protocol" and data["violation"] is None
    assert data["complete"] is False and data["max_depth"] == 6
    assert data["params"]["nodes"] == 3


def test_json_violation_lists_the_steps(capsys):
    code, out, _ = run(capsys, "check", *PROTOCOL, "--json")
    assert code == 1
    v = json.loads(out)["violation"]
    assert v["kind"] == "deadlock" and len(v["steps"]) == 4
    assert v["steps"][1]["action"] == "UpdateLeader" and v["steps"][1]["args"] == [0]


def test_tlc_compat_reproduces_tlc_symmetry_counts(capsys):
    code, out, _ = run(
        capsys,
        "check",
        *PROTOCOL,
        "--max-timeouts",
        "0",
        "--max-txns",
        "2",
        "--max-epoch",
        "2",
        "--symmetry",
        "--tlc-compat",
        "--no-deadlock",
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and (data["distinct_states"], data["states_generated"]) == (1944, 4740)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spec", "nope"], "unknown spec 'nope'; choose from: system, protocol"),
        ([*PROTOCOL, "--bug", "nope"], "unknown bug 'nope' for spec 'protocol'; choose from:"),
        ([*PROTOCOL, "--invariant", "Nope"], "unknown invariant 'Nope'; choose from:"),
        ([*PROTOCOL, "--nodes", "0"], "--nodes must be at least 1, got 0"),
        ([*PROTOCOL, "--max-txns", "-1"], "--max-txns must be at least 0, got -1"),
        ([*PROTOCOL, "--depth", "-3"], "--depth must not be negative"),
        ([*PROTOCOL, "--nodes", "7"], "at most 5 servers"),
        ([*PROTOCOL, "--nodes", "three"], "'three' is not a valid integer"),
        ([*PROTOCOL, "--frobnicate"], "--frobnicate"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    code, out, err = run(capsys, "check", *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("zabmc: error: ")
    assert message in err


def test_specs_lists_actions_invariants_bounds_and_bugs(capsys):
    code, out, _ = run(capsys, "specs")
    assert code == 0
    for word in (
        "LeaderProcessCEPOCH",
        "FilterNonexistentMessage",
        "PrimaryIntegrity",
        "--max-restarts",
        "propose-to-ackld",
        "commitld-ackld-zxid",
    ):
        assert word in out


def test_console_script_never_shows_a_traceback():
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from zabmc.cli.main import entry_point; entry_point()",
            "check",
            "--spec",
            "protocol",
            "--bug",
            "nope",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("zabmc: error:")


def test_the_protocol_search_is_reduced_by_default_with_the_full_verdict(capsys):
    """Reduction is on by default for the protocol spec too: the same verdict and
    witnesses as ``--no-reduction``, with steps taken alone (no reduced count pinned; at
    these bounds every state is still reached, by other orders)."""
    args = ["check", *PROTOCOL, "--no-deadlock", "--no-progress"]
    code, out, _ = run(capsys, *args)
    assert code == 0 and "reduction on (persistent steps taken alone" in out.splitlines()[0]
    reduced = json.loads(run(capsys, *args, "--json")[1])
    full = json.loads(run(capsys, *args, "--json", "--no-reduction")[1])
    assert reduced["violation"] is full["violation"] is None
    assert reduced["examples"] == full["examples"] and all(full["examples"].values())
    assert reduced["reduction"]["persistent_steps"]["states_expanded_by_one_step"] > 0
    assert reduced["distinct_states"] <= full["distinct_states"] == 5_170
    assert reduced["states_generated"] < full["states_generated"] == 8_608


def test_tlc_compat_is_never_reduced(capsys):
    """``--tlc-compat`` counts as TLC does, so the reduction is off even by default."""
    code, out, _ = run(capsys, "check", *PROTOCOL, "--no-deadlock", "--tlc-compat", "--no-progress")
    assert code == 0 and "reduction off" in out.splitlines()[0]
    assert "5,170" in out and "8,608" in out  # TLC's figures (shared/tlc/README.md, row 1)


def test_a_reduced_counterexample_may_be_longer_than_the_shortest(capsys):
    """A persistent step counts no level of depth, so the reduced search may report a
    longer path than the full search's shortest (25 steps for this variant)."""
    flags = [*bug_flags("protocol", "commitld-ackld-zxid"), "--no-deadlock", "--json"]
    full = json.loads(run(capsys, "check", *flags, "--no-reduction")[1])["violation"]
    reduced = json.loads(run(capsys, "check", *flags)[1])["violation"]
    assert full["invariant"] == reduced["invariant"] == "ShouldNotBeTriggered"
    assert full["length"] == 25 and reduced["length"] >= full["length"]


def test_prefix_consistency_alone_fails_where_a_commit_outruns_the_history(capsys):
    """In propose-to-ackld a server commits an entry its history does not hold; Zab.tla's
    PrefixConsistency cannot be evaluated there (TLC stops with an error), and zabmc
    reports it violated, explained, at the full search's shortest depth."""
    flags = [*PROTOCOL, "--bug", "propose-to-ackld", "--max-timeouts", "0", "--max-txns", "2"]
    flags += ["--max-epoch", "2", "--no-deadlock", "--no-reduction", "--no-progress"]
    code, out, _ = run(capsys, "check", *flags, "--invariant", "PrefixConsistency")
    assert code == 1 and "Invariant PrefixConsistency is violated, 21 steps" in out
    assert "has committed 1 entries but its history holds 0" in out
    assert "Counterexample (shortest):" in out
    reduced = [f for f in flags if f != "--no-reduction"]
    code, out, _ = run(capsys, "check", *reduced, "--invariant", "PrefixConsistency")
    assert code == 1 and "Counterexample (shortest):" not in out
    assert "--no-reduction finds a shortest" in out  # a reduced path is not claimed shortest
