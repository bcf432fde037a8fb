"""``pytest --zabmc-traces DIR`` (zabmc.replay.pytest_plugin, a pytest11 entry point): each run
in DIR is a test item; a divergence or an unreadable trace fails it with the report."""

from __future__ import annotations

import shutil
from pathlib import Path

TRACES = Path(__file__).resolve().parents[2] / "traces"


def test_each_run_is_an_item_that_passes_when_it_conforms(pytester):
    runs = pytester.mkdir("runs")
    shutil.copy(TRACES / "clean-election.jsonl", runs)
    shutil.copy(TRACES / "mutants" / "commit-without-quorum.jsonl", runs)
    shutil.copytree(TRACES / "process-leader-restart", runs / "process-leader-restart")
    (runs / "broken.jsonl").write_text('{"format": "zabmc-trace", "version": 9}\n')
    (runs / "notes.txt").write_text("not a trace")
    result = pytester.runpytest("--zabmc-traces", str(runs), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert "commit-without-quorum.jsonl: diverges at event" in out
    assert "! lastCommitted" in out and "enabled in the spec here:" in out
    assert f"unreadable trace: {runs / 'broken.jsonl'}:1: trace format version 9" in out
    assert "Traceback" not in out


def test_without_the_option_nothing_is_added(pytester):
    pytester.makepyfile("def test_one():\n    pass\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
