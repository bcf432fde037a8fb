"""``zabmc prove --bmc K --no-shortest``: one SAT query for any path of at most K steps.

Breadth-first search is the oracle of a found path's length: it finds a shortest
violation, so a path BMC finds within K steps is at least that long, and exactly
that long when K is BFS's depth.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.test_prove_cli import SMALL, bfs_depth, channel_bound, no_sync_leader, run


def test_one_query_finds_a_path_of_breadth_first_search_s_length_and_says_what_it_excluded(
    capsys, tmp_path
):
    lemmas = str(no_sync_leader(tmp_path))
    shortest = bfs_depth(capsys, *SMALL, "--property", lemmas)
    report = tmp_path / "cex.md"
    args = ["--invariant", "NoSyncLeader", "--lemmas", lemmas, "--no-shortest"]
    code, out, err = run(
        capsys, "prove", *SMALL, *args, "--bmc", str(shortest), "--report", str(report)
    )
    assert code == 1, out + err
    assert f"violated, {shortest} steps from an initial state" in out
    assert "Shorter counterexamples were not excluded (--no-shortest)" in out
    assert "not necessarily a shortest one" in out
    # one query, no refutation of the depths below
    assert "progress: a violation within" in err and "progress: depth" not in err
    assert "one query for a path of at most that many steps; shorter ones not excluded" in (
        report.read_text()
    )
    # one step fewer: no path breaks it and none fills a channel, so the bound is proved
    code, out, err = run(capsys, "prove", *SMALL, *args, "--bmc", str(shortest - 1), "--json")
    assert code == 0, out + err
    payload = json.loads(out)
    assert payload["verdict"] == "proved" and payload["shortest"] is False
    assert [c["check"] for c in payload["checks"]] == [
        f"a violation within {shortest - 1} steps",
        f"a full channel within {shortest - 1} steps",
    ]


def test_proved_within_a_bound_says_every_path_of_at_most_k_steps(capsys):
    code, out, err = run(
        capsys, "prove", *SMALL, "--invariant", "Leadership1", "--bmc", "2", "--no-shortest"
    )
    assert code == 0, out + err
    assert "Proved: Leadership1 holds on every path of at most 2 steps" in out


@pytest.mark.slow
def test_a_channel_too_small_for_the_violation_grows_and_the_path_is_found(capsys, tmp_path):
    """ChannelsHold2 breaks when a channel holds 3 messages: with room for 2 (the first
    capacity) no path of the encoding breaks it, but one fills a channel, so the channels
    grow to 3 and the query is asked again."""
    lemmas = channel_bound(tmp_path, 2)
    shortest = bfs_depth(capsys, *SMALL, "--property", lemmas)
    code, out, err = run(
        capsys,
        "prove",
        *SMALL,
        "--invariant",
        "ChannelsHold2",
        "--lemmas",
        lemmas,
        "--bmc",
        str(shortest),
        "--no-shortest",
        "--json",
    )
    assert code == 1, out + err
    payload = json.loads(out)
    assert payload["channel_capacity"] == 3
    assert payload["counterexample"]["length"] == shortest
    within = f"within {shortest} steps"
    assert [c["check"] for c in payload["checks"]] == [
        f"a violation {within}",
        f"a full channel {within}",
        f"a violation {within}",
    ]
    assert "fills a channel; channels of 3, asked again" in err


@pytest.mark.parametrize(
    "extra",
    [["--induction"], ["--bmc", "3", "--encoding", "int"], ["--bmc", "3", "--unrolling", "fresh"]],
)
def test_no_shortest_outside_bit_vector_bmc_is_a_usage_error(capsys, extra):
    code, out, err = run(
        capsys, "prove", *SMALL, "--invariant", "Leadership1", *extra, "--no-shortest"
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--no-shortest needs --bmc K over bit-vectors" in err


@pytest.mark.slow
def test_strict_propose_is_found_at_breadth_first_search_s_depth_by_one_query(capsys, tmp_path):
    """BFS finds strict-propose 17 steps deep (bench/prove.py; docs/prove.md): within 17
    steps one query finds a path, which therefore has 17 steps, and ``zabmc report``
    re-validates it."""
    report = tmp_path / "cex.json"
    code, out, err = run(
        capsys,
        "prove",
        *SMALL,
        "--bug",
        "strict-propose",
        "--invariant",
        "ShouldNotBeTriggered",
        "--bmc",
        "17",
        "--no-shortest",
        "--report",
        str(report),
    )
    assert code == 1, out + err
    doc = json.loads(report.read_text())
    assert doc["length"] == 17
    assert doc["search"] == {"strategy": "bmc", "depth": 17, "shortest": False}
    code, out, err = run(capsys, "report", str(report), "--format", "md")
    assert code == 0, err
    assert "shorter ones not excluded" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--no-shortest", "--frames"], "--frames needs --persistent"),
        (["--symmetry"], "--symmetry needs --no-shortest"),
        (["--no-shortest", "--symmetry", "--lemmas", "LEMMAS"], "--symmetry needs one of the"),
    ],
)
def test_frames_and_symmetry_outside_their_use_are_usage_errors(capsys, tmp_path, extra, message):
    lemmas = str(no_sync_leader(tmp_path))
    extra = [lemmas if x == "LEMMAS" else x for x in extra]
    code, _, err = run(capsys, "prove", *SMALL, "--invariant", "Leadership1", "--bmc", "2", *extra)
    assert code == 2 and message in err and err.count("\n") == 1


def test_proved_within_k_frames_says_so_and_the_json_names_the_rules(capsys):
    flags = ["--no-shortest", "--persistent", "--frames", "--symmetry"]
    code, out, _ = run(capsys, "prove", *SMALL, "--invariant", "Leadership1", "--bmc", "2", *flags)
    assert code == 0 and "holds on every reduced path of at most 2 frames" in out
    code, out, _ = run(
        capsys, "prove", *SMALL, "--invariant", "Leadership1", "--bmc", "2", *flags, "--json"
    )
    payload = json.loads(out)
    assert payload["verdict"] == "proved"
    assert (payload["persistent"], payload["frames"], payload["symmetry"]) == (True, True, True)


def test_a_report_of_a_path_found_by_frames_says_the_depth_counts_frames():
    from zabmc.report.summary import found_by

    search = {"strategy": "bmc", "depth": 25, "shortest": False, "frames": True}
    text = found_by({"search": search})
    assert "at most that many frames" in text and text.endswith("depth <= 25")
    assert "frames" not in found_by({"search": {**search, "frames": False}})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--receipt-frames", "2"], "--receipt-frames needs --no-shortest"),
        (
            ["--no-shortest", "--persistent", "--receipt-frames", "2"],
            "--receipt-frames takes a receipt optionally: not with --persistent or --frames",
        ),
        (["--no-shortest", "--receipt-frames", "3"], "--receipt-frames must be 1 to K (--bmc 2)"),
        (["--no-shortest", "--receipt-frames", "0"], "--receipt-frames must be 1 to K"),
    ],
)
def test_receipt_frames_outside_their_use_are_usage_errors(capsys, extra, message):
    code, out, err = run(
        capsys, "prove", *SMALL, "--invariant", "Leadership1", "--bmc", "2", *extra
    )
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_receipt_frames_find_a_path_of_breadth_first_search_s_length_in_fewer_frames(
    capsys, tmp_path
):
    """NoSyncLeader breaks 6 steps from Init (BFS); a follower's NEWEPOCH receipt is on the
    way, so 5 frames of a step and optionally a receipt hold the path: found, 6 steps long,
    replayed and re-validated, and the report says how it was searched. In 4 frames no path
    of at most 6 steps breaks it, and "proved" says it covers those frames only."""
    lemmas = str(no_sync_leader(tmp_path))
    shortest = bfs_depth(capsys, *SMALL, "--property", lemmas)
    assert shortest == 6
    base = [*SMALL, "--invariant", "NoSyncLeader", "--lemmas", lemmas, "--no-shortest"]
    args = [*base, "--bmc", "6"]
    report = tmp_path / "cex.md"
    code, out, err = run(
        capsys, "prove", *args, "--receipt-frames", "5", "--json", "--report", str(report)
    )
    assert code == 1, out + err
    payload = json.loads(out)
    assert payload["verdict"] == "counterexample" and payload["shortest"] is False
    assert payload["receipt_frames"] == 5
    doc = payload["counterexample"]
    assert doc["length"] == 6
    assert "FollowerProcessNEWEPOCH" in [s.get("action") for s in doc["steps"]]
    assert doc["search"] == {"strategy": "bmc", "depth": 6, "shortest": False, "receipt_frames": 5}
    assert [c["check"] for c in payload["checks"]] == ["a violation within 6 steps in 5 frames"]
    assert "laid out in 5 frames" in report.read_text()
    code, out, err = run(capsys, "prove", *args, "--receipt-frames", "4")
    assert code == 0, out + err
    assert "holds on every path of at most 6 steps that fits in 4 frames" in out
    # as many frames as steps: every path, so "proved" is the plain one
    code, out, err = run(capsys, "prove", *base, "--bmc", "5", "--receipt-frames", "5")
    assert code == 0, out + err
    assert "Proved: NoSyncLeader holds on every path of at most 5 steps (" in out


def test_a_report_of_a_path_found_in_receipt_frames_says_so():
    from zabmc.report.summary import found_by

    search = {"strategy": "bmc", "depth": 25, "shortest": False, "receipt_frames": 19}
    text = found_by({"search": search})
    assert "at most that many steps laid out in 19 frames" in text
    assert text.endswith("depth <= 25")


@pytest.mark.slow
def test_commitld_ackld_zxid_is_found_with_breadth_first_search_s_25_steps(capsys, tmp_path):
    """BFS finds commitld-ackld-zxid 25 steps deep; --persistent's paths to it have 26 at
    least. In 19 receipt frames (the frame search's fewest for 25 steps:
    tests/protocol/symbolic/test_rules.py) one query finds a path of exactly 25 steps,
    which replays on the explicit spec and ``zabmc report`` re-validates. Minutes of z3."""
    report = tmp_path / "cex.json"
    code, out, err = run(
        capsys,
        "prove",
        *SMALL,
        "--bug",
        "commitld-ackld-zxid",
        "--invariant",
        "ShouldNotBeTriggered",
        "--bmc",
        "25",
        "--no-shortest",
        "--receipt-frames",
        "19",
        "--report",
        str(report),
    )
    assert code == 1, out + err
    assert "violated, 25 steps from an initial state" in out
    doc = json.loads(report.read_text())
    assert doc["length"] == 25
    assert doc["search"]["receipt_frames"] == 19
    code, out, err = run(capsys, "report", str(report), "--format", "md")
    assert code == 0, err
    assert "laid out in 19 frames" in out
