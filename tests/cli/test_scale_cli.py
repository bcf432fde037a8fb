"""``zabmc check`` on several cores, with a memory bound, killed and resumed, and on Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zabmc.cli.main import main

# 3 servers, T1 X2 E2 with TLC's symmetry, cut at depth 18: 40 s of search at most.
ROW = [
    "--spec", "protocol", "--max-txns", "2", "--max-epoch", "2", "--symmetry", "--tlc-compat",
    "--no-deadlock", "--depth", "18",
]  # fmt: skip
# The same bounds with a bug: a violation 10+ steps deep.
BUGGY = ["--spec", "protocol", "--bug", "strict-propose", "--max-timeouts", "0",
         "--max-txns", "2", "--max-epoch", "2", "--no-deadlock"]  # fmt: skip
COUNTS = ("distinct_states", "states_generated", "states_per_depth", "max_depth", "actions")


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--json", "--no-progress"])
    return code, json.loads(capsys.readouterr().out)


def counts(data: dict) -> dict:
    return {k: data[k] for k in COUNTS}


def test_counts_and_counterexample_do_not_depend_on_the_number_of_cores(capsys):
    one = run_json(capsys, *BUGGY, "-j", "1")
    two = run_json(capsys, *BUGGY, "-j", "2")
    assert one[0] == two[0] == 1
    assert counts(one[1]) == counts(two[1])
    assert one[1]["violation"] == two[1]["violation"]
    assert one[1]["violation"]["length"] >= 8


def test_the_summary_prints_bytes_a_state_and_collision_chances(capsys):
    code = main(["check", "--spec", "protocol", "--no-deadlock", "-j", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "16.0 bytes a state" in out
    assert "(optimistic)" in out and "(from the fingerprints)" in out


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from zabmc.cli.main import entry_point; entry_point()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def checkpointed_level(folder: Path) -> int:
    try:
        return int((folder / "CURRENT").read_text().strip().removeprefix("level-"))
    except (OSError, ValueError):
        return -1


def kill_after_checkpoint(args: list[str], folder: Path, level: int) -> None:
    """Run the search and SIGKILL it, with its workers, once it checkpointed ``level``."""
    proc = start(["check", *args, "-j", "2", "--checkpoint", str(folder),
                  "--checkpoint-every", "0", "--json", "--no-progress"])  # fmt: skip
    deadline = time.monotonic() + 120
    while checkpointed_level(folder) < level:
        assert proc.poll() is None, "the search ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.2)  # the workers see their pipe close and end


@pytest.mark.parametrize(("args", "level"), [(ROW, 6), (BUGGY, 5)])
def test_a_killed_search_resumes_to_the_uninterrupted_result(capsys, tmp_path, args, level):
    folder = tmp_path / "ckpt"
    kill_after_checkpoint(args, folder, level)
    assert checkpointed_level(folder) >= level
    # The seen set is split by fingerprint and the frontier by rank: the checkpoint of two
    # partitions resumes with one, or two
    whole = run_json(capsys, *args, "-j", "2")
    for jobs in ("1", "2"):
        resumed = run_json(capsys, *args, "-j", jobs, "--resume", str(folder))
        assert resumed[0] == whole[0]
        assert counts(resumed[1]) == counts(whole[1])
        assert resumed[1]["violation"] == whole[1]["violation"]


def test_resume_refuses_a_checkpoint_of_another_search(capsys, tmp_path):
    folder = tmp_path / "ckpt"
    code = main(["check", "--spec", "protocol", "--no-deadlock", "-j", "1", "--no-progress",
                 "--checkpoint", str(folder), "--checkpoint-every", "0"])  # fmt: skip
    assert code == 0 and (folder / "CURRENT").is_file()
    capsys.readouterr()
    code = main(["check", "--spec", "protocol", "--max-txns", "2", "--no-deadlock",
                 "--resume", str(folder)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "made for another search" in err and "max_txns" in err


def test_resume_refuses_a_checkpoint_of_an_older_format(capsys, tmp_path):
    folder = tmp_path / "ckpt"
    args = ["check", "--spec", "protocol", "--no-deadlock", "--no-progress"]
    assert main([*args, "-j", "1", "--checkpoint", str(folder), "--checkpoint-every", "0"]) == 0
    meta = folder / (folder / "CURRENT").read_text().strip() / "meta.json"
    document = json.loads(meta.read_text())
    document["format"] = 1  # written before sequence values had a tag of their own
    meta.write_text(json.dumps(document))
    capsys.readouterr()
    code = main([*args, "--resume", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "checkpoint format 1, this zabmc reads 2" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-j", "-1"], "-j/--jobs must not be negative, got -1"),
        (["--memory", "lots"], "--memory takes a size such as 512M or 2G, got 'lots'"),
        (["--resume", "/nonexistent/ckpt"], "--resume /nonexistent/ckpt: no such directory"),
        (["--address", "auto"], "--address needs --backend ray"),
        (["--checkpoint-every", "-1"], "--checkpoint-every must not be negative"),
    ],
)
def test_bad_scale_options_are_one_line_and_exit_2(capsys, args, message):
    code = main(["check", "--spec", "protocol", *args])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_a_memory_bound_gives_the_same_counts(capsys):
    bounded = run_json(capsys, *ROW, "-j", "2", "--memory", "64K")
    free = run_json(capsys, *ROW, "-j", "2")
    assert counts(bounded[1]) == counts(free[1])


# The system spec, two servers: the plain command's reduced search (persistent steps), and
# the same bounds with ZK-2845, whose counterexample the reduced search finds.
SYSTEM_ROWS = [
    ["--nodes", "2", "--max-txns", "1", "--max-timeouts", "1", "--max-crashes", "1"],
    ["--nodes", "2", "--max-txns", "0", "--max-timeouts", "1", "--max-partitions", "1"],
]
SYSTEM_BUG = [*SYSTEM_ROWS[0], "--bug", "ZK-2845", "--no-deadlock"]


@pytest.mark.parametrize("row", SYSTEM_ROWS, ids=["crash", "partition"])
def test_the_partitioned_search_reduces_as_the_one_core_search_does(capsys, row):
    """-j 1 and -j 2 give the plain command's counts: the same persistent steps, taken
    in the same levels, and the same witnesses."""
    code, plain = run_json(capsys, *row, "--no-deadlock")
    assert code == 0 and plain["reduction"]["persistent_steps"]["states_expanded_by_one_step"]
    for jobs in ("1", "2"):
        code, many = run_json(capsys, *row, "--no-deadlock", "-j", jobs)
        assert code == 0
        assert counts(many) == counts(plain)
        assert many["examples"] == plain["examples"]
        assert many["reduction"] == plain["reduction"]


def test_the_partitioned_search_finds_the_one_core_counterexample(capsys):
    code, plain = run_json(capsys, *SYSTEM_BUG)
    assert code == 1 and plain["violation"]["length"] >= 8
    for jobs in ("1", "2"):
        code, many = run_json(capsys, *SYSTEM_BUG, "-j", jobs)
        assert code == 1
        assert many["violation"] == plain["violation"]
        assert many["examples"] == plain["examples"]
        assert counts(many) == counts(plain)  # as far as the plain search got
