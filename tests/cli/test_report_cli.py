"""``zabmc check --report``, ``zabmc report`` and ``zabmc simulate`` as a user runs them."""

from __future__ import annotations

import json
import re

import pytest

from tests.catalog_cases import bug_flags
from tests.cli.test_check_cli import run

BUG = bug_flags("protocol", "strict-propose")
# The full search: its counterexample is the shortest (17 steps), which the tests read.
CHECK = ["check", *BUG, "--no-deadlock", "--no-progress", "--no-reduction"]


def test_check_report_round_trips_through_zabmc_report(capsys, tmp_path):
    cex = tmp_path / "cex.json"
    code, out, _ = run(capsys, *CHECK, "--report", str(cex))
    assert code == 1
    doc = json.loads(cex.read_text())
    assert f"Report written to {cex} (trace id {doc['trace_id']})." in out
    assert doc["search"] == {
        "strategy": "bfs",
        "depth": None,
        "symmetry": False,
        "deadlock_check": False,
        "reduction": False,  # --no-reduction
    }
    code, text, err = run(capsys, "report", str(cex))
    assert (code, err) == (0, "")
    assert text.splitlines()[-1] == doc["explanation"]
    code, md, _ = run(capsys, "report", str(cex), "--format", "md")
    assert code == 0 and md.startswith("## ShouldNotBeTriggered is violated after 17 steps")
    out_file = tmp_path / "cex.html"
    assert run(capsys, "report", str(cex), "--format", "html", "-o", str(out_file))[0] == 0
    assert out_file.read_text().startswith("<!doctype html>")
    code, again, _ = run(capsys, "report", str(cex), "--format", "json")
    assert code == 0 and json.loads(again) == doc


@pytest.mark.parametrize(("name", "start"), [("c.md", "## "), ("c.txt", "Shoul"), ("c.htm", "<!")])
def test_check_report_format_follows_the_extension(capsys, tmp_path, name, start):
    assert run(capsys, *CHECK, "--report", str(tmp_path / name))[0] == 1
    assert (tmp_path / name).read_text().startswith(start)


def test_check_json_names_the_report_and_its_trace_id(capsys, tmp_path):
    cex = tmp_path / "c.out"
    code, out, _ = run(capsys, *CHECK, "--json", "--report", str(cex), "--report-format", "json")
    data = json.loads(out)
    assert code == 1 and data["report"] == str(cex)
    assert data["trace_id"] == json.loads(cex.read_text())["trace_id"]


def test_no_violation_writes_no_report(capsys, tmp_path):
    cex = tmp_path / "none.json"
    code, _, err = run(
        capsys, "check", "--spec", "protocol", "--depth", "3", "--no-progress",
        "--report", str(cex),
    )  # fmt: skip
    assert code == 0 and not cex.exists() and "no report was written" in err


def tamper(path, edit):
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["steps"][6]["state"]["acceptedEpoch"].update(s1=2),
            "step 6 (LeaderProcessCEPOCH(s1, s2)): acceptedEpoch[s1] is 2 in the file but 1",
        ),
        (lambda d: d["steps"][2].update(args=[0]), "step 2: FollowLeader(s2) (FollowLeader [0])"),
        (lambda d: d.update(version=2), "format version 2 is not supported"),
    ],
)
def test_report_refuses_a_tampered_file_with_one_line_and_exit_2(capsys, tmp_path, edit, message):
    cex = tmp_path / "cex.json"
    run(capsys, *CHECK, "--report", str(cex))
    tamper(cex, edit)
    code, out, err = run(capsys, "report", str(cex), "--format", "html")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"zabmc: error: {cex}")
    assert message in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*CHECK, "--report", "cex.pdf"], "cannot tell the report format from 'cex.pdf'"),
        ([*CHECK, "--report-format", "md"], "--report-format needs --report FILE"),
        ([*CHECK, "--report", "/no/such/dir/c.json"], "cannot write /no/such/dir/c.json"),
        (["report", "/no/such/file.json"], "cannot read /no/such/file.json"),
        (["report", "x.json", "--format", "pdf"], "'pdf' is not one of"),
        (["simulate", "--runs", "0"], "--runs must be at least 1, got 0"),
        (["simulate", "--steps", "-1"], "--steps must be at least 1, got -1"),
        (["simulate", "--spec", "protocol", "--bug", "nope"], "unknown bug 'nope'"),
        (["simulate", "--invariant", "Nope"], "unknown invariant 'Nope'"),
        (["simulate", "--seed", "x"], "'x' is not a valid integer"),
        (["simulate", "--report", "x.doc"], "cannot tell the report format"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("zabmc: error: ")
    assert message in err


def test_report_refuses_binary_and_non_json_files(capsys, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_bytes(b'{"a": 1}\n\xff\xfe')
    code, _, err = run(capsys, "report", str(junk))
    assert code == 2 and f"{junk}: byte 9: not UTF-8 text" in err
    junk.write_text('{"format": "zabmc-counterexample",\n  "version": 1\n  "x": 2}')
    code, _, err = run(capsys, "report", str(junk))
    assert code == 2 and f"{junk}:3:3: not JSON" in err


SIM = ["simulate", *BUG, "--runs", "500", "--steps", "100", "--no-progress"]


def test_simulate_finds_shrinks_reports_and_prints_its_seed(capsys, tmp_path):
    cex = tmp_path / "sim.json"
    code, out, _ = run(capsys, *SIM, "--seed", "5", "--report", str(cex))
    assert code == 1
    found = re.search(r"violated in walk (\d+) after (\d+) steps; shrunk to (\d+) steps", out)
    assert found and int(found[3]) <= int(found[2])
    assert "seed              5" in out and "actions fired:" in out
    doc = json.loads(cex.read_text())
    assert doc["seed"] == 5 and doc["length"] == int(found[3])
    assert doc["search"]["original_length"] == int(found[2])
    assert run(capsys, "report", str(cex))[0] == 0


def test_simulate_same_seed_same_output(capsys):
    outputs = []
    for _ in range(2):
        code, out, _ = run(capsys, *SIM, "--seed", "9", "--json")
        data = json.loads(out)
        del data["elapsed_s"]
        outputs.append(data)
    assert code == 1 and outputs[0] == outputs[1]
    assert outputs[0]["violation"]["trace_id"] and outputs[0]["seed"] == 9


def test_simulate_chooses_and_prints_a_seed_when_none_is_given(capsys):
    code, out, _ = run(capsys, "simulate", "--runs", "3", "--steps", "5", "--no-progress")
    assert code == 0
    seed = re.search(r"seed (\d+)\n", out.splitlines()[0] + "\n")
    assert seed and f"seed              {seed[1]}" in out
    assert "No violation in 3 walks." in out


def test_a_deadlock_round_trips_and_must_stay_one(capsys, tmp_path):
    cex = tmp_path / "deadlock.json"
    assert run(capsys, "check", "--spec", "protocol", "--no-progress", "--report", str(cex))[0] == 1
    code, text, _ = run(capsys, "report", str(cex))
    assert code == 0 and text.startswith("Deadlock: no action is enabled after 3 steps")
    tamper(cex, lambda d: d["steps"].pop() and d.update(length=2))
    code, _, err = run(capsys, "report", str(cex))
    assert code == 2 and "step 2: not a deadlock (an action is enabled)" in err
