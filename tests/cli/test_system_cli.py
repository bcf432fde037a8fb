"""``zabmc check`` and ``zabmc specs`` with the system spec, the default."""

from __future__ import annotations

import json

import pytest

from zabmc.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_system_spec_is_the_default(capsys):
    code, out, _ = run(capsys, "check", "--depth", "3", "--no-progress")
    assert code == 0
    assert out.startswith("zabmc check: spec system, nodes 3, observers 0,")
    assert "No violation within depth 3" in out and "FLEReceiveNotmsg" in out


def test_the_readme_command_finishes_clean_and_reaches_a_sync(capsys):
    """With the reduction (on by default) persistent steps and Zab receipts count no level
    of depth, so depth 12 reaches the first sync and an established leader, which the
    unreduced search first meets at 14 and 16."""
    code, out, _ = run(capsys, "check", "--nodes", "3", "--depth", "12", "--no-progress")
    assert code == 0
    assert "No violation within depth 12" in out
    assert (
        "reduction on (persistent steps taken alone, no level of depth unless the spec counts "
        "one; steps the spec names free count none)" in out
    )
    assert "witness SyncByDIFF: first reached by a path of 14 steps" in out
    assert "witness LeaderEstablished: first reached by a path of 16 steps" in out
    code, out, _ = run(
        capsys, "check", "--nodes", "3", "--depth", "12", "--no-progress", "--no-reduction"
    )
    assert code == 0 and "distinct states   41,983" in out
    assert "witness SyncByDIFF: never reached" in out


def test_observers_learn_commits_through_inform(capsys):
    code, out, _ = run(
        capsys,
        "check",
        *("--nodes", "2", "--observers", "1", "--coarse-election", "--max-timeouts", "0"),
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["complete"] and data["violation"] is None
    assert data["params"]["observers"] == 1 and data["params"]["coarse_election"]
    # the reduction takes learners' receipts alone (no count pinned); the spec's own count:
    assert data["distinct_states"] < 145
    code, out, _ = run(
        capsys,
        "check",
        *("--nodes", "2", "--observers", "1", "--coarse-election", "--max-timeouts", "0"),
        *("--json", "--no-reduction"),
    )
    assert code == 0 and json.loads(out)["distinct_states"] == 145
    assert data["examples"]["ObserverDelivers"]
    assert data["actions"]["ObserverProcessINFORM"]["generated"] == 6


def test_symmetry_is_refused_because_election_compares_ids(capsys):
    code, out, err = run(capsys, "check", "--symmetry", "--depth", "1")
    assert code == 2 and out == ""
    assert err == (
        "zabmc: error: --symmetry is refused for spec 'system': Fast Leader Election compares "
        "server ids (a vote for a higher id wins a tie), so merging permuted states would be "
        "unsound\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-restarts", "1"], "--max-restarts does not apply to spec 'system'"),
        (["--tlc-compat"], "--tlc-compat does not apply to spec 'system'"),
        (
            ["--spec", "protocol", "--observers", "1"],
            "--observers does not apply to spec 'protocol'",
        ),
        (["--spec", "protocol", "--max-crashes", "1"], "--max-crashes does not apply to spec"),
        (["--spec", "protocol", "--coarse-election"], "--coarse-election does not apply to spec"),
        (["--nodes", "4", "--observers", "2"], "at most 5 servers, voters and observers"),
        (["--observers", "-1"], "--observers must be at least 0, got -1"),
        (["--bug", "ZK-9999"], "unknown bug 'ZK-9999' for spec 'system'; choose from: ZK-2845"),
        (["--from-established"], "--from-established needs --coarse-election and 3 voters"),
        (
            ["--from-established", "--coarse-election", "--max-txns", "1"],
            "cannot reach the established cluster within these bounds",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    code, out, err = run(capsys, "check", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("zabmc: error: ") and message in err


def test_a_bug_variant_prints_its_counterexample(capsys):
    code, out, _ = run(
        capsys,
        "check",
        "--bug",
        "ZK-2845",
        "--coarse-election",
        "--max-timeouts",
        "1",
        "--no-progress",
    )
    assert code == 1
    assert "Invariant ProcessConsistency is violated, 21 steps from an initial state." in out
    assert " 21. FollowerProcessNEWLEADER(s2, s3)" in out  # as --no-reduction's path ends
    assert "currentEpoch[s2]: 1 -> 2" in out
    assert out.rstrip().endswith("which is not a prefix of its leader's []")


def test_the_quick_way_to_a_bug_starts_from_the_established_cluster(capsys):
    code, out, _ = run(
        capsys,
        "check",
        *("--bug", "ZK-3911", "--max-txns", "2", "--max-epoch", "3", "--max-crashes", "2"),
        *("--max-timeouts", "0", "--coarse-election", "--from-established", "--no-progress"),
    )
    assert code == 1
    assert "Invariant LeaderLogCompleteness is violated, 19 steps from an initial state." in out
    assert "without the committed entry #2 1:2=v2" in out


def test_specs_lists_the_system_spec_first_with_its_bugs(capsys):
    code, out, _ = run(capsys, "specs")
    assert code == 0
    assert out.startswith("system (default): Fast Leader Election and Zab 1.0")
    assert "found with: --bug ZK-4685 --max-txns 2 --max-timeouts 1 --coarse-election" in out
    assert "symmetry: no, Fast Leader Election compares server ids" in out
    for word in ("FLEHandleNotmsg", "ObserverProcessINFORM", "LeaderLogCompleteness", "ZK-4646"):
        assert word in out


def test_zk_picks_the_version_and_refuses_an_unknown_one(capsys):
    quick = [
        *("--max-txns", "2", "--max-timeouts", "1", "--coarse-election", "--from-established"),
        "--no-progress",
    ]
    code, out, _ = run(capsys, "check", "--zk", "3.7", *quick)
    assert code == 1 and "Invariant LeaderStaysWithSyncedQuorum is violated" in out
    code, out, _ = run(capsys, "check", "--zk", "3.9", *quick)
    assert code == 0
    code, _, err = run(capsys, "check", "--zk", "3.8", *quick)
    assert code == 2 and "3.8" in err
