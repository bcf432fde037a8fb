"""``zabmc lincheck``: verdicts and exit codes, evidence as text and HTML, bad input as one
line naming file:line."""

from __future__ import annotations

from pathlib import Path

from tests.lincheck.histories import H
from zabmc.cli.main import main


def write(tmp_path: Path, h: H) -> Path:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(h.lines()) + "\n")
    return path


def base() -> H:
    h = H().call("s0", 0, 1, "create", "/r", {}, value="v0")
    return h.call("a", 2_000_000, 3_000_000, "set", result={"version": 1}, value="v1")


def test_a_linearizable_history_exits_0(tmp_path: Path, capsys) -> None:
    h = base().call("b", 4_000_000, 5_000_000, "get", result={"value": "v0", "version": 0})
    assert main(["lincheck", str(write(tmp_path, h))]) == 0
    assert ": linearizable (3 operations" in capsys.readouterr().out


def test_a_violation_exits_1_with_the_failing_sub_history(tmp_path: Path, capsys) -> None:
    h = base().call("b", 10_000_000, 11_000_000, "sync", "/r", {})
    h.call("b", 12_000_000, 13_000_000, "get", result={"value": "v0", "version": 0})
    html = tmp_path / "v.html"
    assert main(["lincheck", str(write(tmp_path, h)), "--html", str(html)]) == 1
    out = capsys.readouterr().out
    assert ": violation" in out
    assert "get /r -> value=v0 version=0  (line" in out
    assert "sync /r -> ok" in out
    page = html.read_text()
    assert page.startswith("<!doctype html>") and '<svg class="timeline"' in page
    assert "get /r -&gt; value=v0 version=0" in page


def test_out_of_budget_exits_3_not_0(tmp_path: Path, capsys) -> None:
    h = base()
    for i in range(12):
        h.call(f"w{i}", 4_000_000 + i, None, "set", value=f"x{i}")
    h.call("r", 90_000_000, 91_000_000, "get", result={"value": "ghost", "version": 3})
    assert main(["lincheck", str(write(tmp_path, h)), "--budget", "20"]) == 3
    assert "unknown: the search of keys /r ran out of its budget" in capsys.readouterr().out


def test_bad_input_is_one_line_naming_file_and_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.jsonl"
    lines = base().lines()
    lines.insert(2, '{"type": "ok", "process": 99, "time": 5}')
    path.write_text("\n".join(lines) + "\n")
    assert main(["lincheck", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"zabmc: error: {path}:3: a completion for process 99, which has none\n"
    path.write_text('{"type": "invoke", "process": 1, "session": "s", "time": 0, "op": "put"}\n')
    assert main(["lincheck", str(path)]) == 2
    assert ":1: unknown op 'put'" in capsys.readouterr().err
    path.write_text("not json\n")
    assert main(["lincheck", str(path)]) == 2
    assert f"{path}:1: not JSON" in capsys.readouterr().err
