"""Malformed traces: each kind of problem is one line naming file:line, exit code 2, and no
traceback; the reader's checks are those of traces/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zabmc.cli.main import main
from zabmc.replay.reader import _event_line, read_trace_file

HEADER = {
    "format": "zabmc-trace",
    "version": 1,
    "level": "system",
    "voters": [1, 2, 3],
    "observers": [],
    "bounds": None,
    "impl": "test",
    "source": "simulator",
    "seed": 1,
    "server": None,
    "run": "r",
    "mutations": [],
}
STATE = {
    "role": "LOOKING",
    "phase": "ELECTION",
    "acceptedEpoch": 0,
    "currentEpoch": 0,
    "lastZxid": [0, 0],
    "lastCommitted": [0, 0],
    "vote": {"leader": 1, "zxid": [0, 0], "epoch": 0, "round": 1},
    "history": [],
}


def event(seq: int, server: int = 1, **changes: object) -> dict:
    e = {
        "seq": seq,
        "server": server,
        "action": "NodeStart",
        "args": [server],
        "msg": None,
        "state": {**STATE, "vote": {**STATE["vote"], "leader": server}},
        "clock": None,
    }
    e.update(changes)
    return e


def write(path: Path, *lines: object) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    )
    return path


def replay_error(capsys: pytest.CaptureFixture[str], *paths: Path) -> str:
    code = main(["replay", *map(str, paths)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zabmc: error: "), err
    return lines[0].removeprefix("zabmc: error: ")


def test_a_well_formed_trace_is_read(tmp_path, capsys):
    path = write(tmp_path / "t.jsonl", HEADER, event(1, 1), event(2, 2), event(3, 3))
    assert main(["replay", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: conforms (3 events)"


@pytest.mark.parametrize(
    ("lines", "where", "says"),
    [
        ([HEADER, event(1), "{not json"], 3, "bad JSON"),
        ([HEADER, event(1, action="NodeReboot")], 2, 'unknown action "NodeReboot"'),
        ([HEADER, {k: v for k, v in event(1).items() if k != "clock"}], 2, "missing clock"),
        ([HEADER, {**event(1), "colour": "red"}], 2, "unknown colour"),
        ([{**HEADER, "version": 3}, event(1)], 1, "reads version 1, 2"),
        ([HEADER, event(1), event(3, 2)], 3, "out of order: seq 3, expected 2"),
        ([HEADER, event(1, 7)], 2, "unknown server 7"),
        ([HEADER, event(1, args=[1, 9])], 2, "NodeStart takes 1 server"),
        ([HEADER, event(1, action="FLEReceiveNotmsg", args=[1, 9])], 2, "unknown server 9"),
        ([HEADER, event(1), ""], 3, "blank line"),
        ([HEADER, event(1, msg={"type": "VOTE"})], 2, 'msg type "VOTE"'),
        ([HEADER, event(1, state={**STATE, "role": "KING"})], 2, "state.role"),
        ([HEADER, event(1, state={**STATE, "lastZxid": 5})], 2, "zxid [epoch, counter]"),
        ([{**HEADER, "voters": [1, 3]}, event(1)], 1, "myids 1..N"),
        ([{**HEADER, "format": "other"}, event(1)], 1, "not a zabmc trace"),
        ([HEADER, event(1, clock=4)], 2, "clock must be null"),
    ],
    ids=[
        "bad-json",
        "unknown-action",
        "missing-field",
        "extra-field",
        "wrong-version",
        "out-of-order",
        "unknown-server",
        "wrong-arity",
        "unknown-server-in-args",
        "blank-line",
        "unknown-message",
        "bad-role",
        "bad-zxid",
        "bad-servers",
        "not-a-trace",
        "clock-in-simulator-trace",
    ],
)
def test_each_malformed_trace_is_one_line_naming_the_place(tmp_path, capsys, lines, where, says):
    path = write(tmp_path / "bad.jsonl", *lines)
    error = replay_error(capsys, path)
    assert error.startswith(f"{path}:{where}: "), error
    assert says in error


def test_unreadable_files(tmp_path, capsys):
    assert "cannot read" in replay_error(capsys, tmp_path / "absent.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert replay_error(capsys, empty).startswith(f"{empty}:1: empty file")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(json.dumps(HEADER).encode() + b"\n\xff\xfe\n")
    assert replay_error(capsys, binary).startswith(f"{binary}:2: not UTF-8")
    (tmp_path / "empty-dir").mkdir()
    assert "no *.jsonl" in replay_error(capsys, tmp_path / "empty-dir")


def process_header(server: int) -> dict:
    return {**HEADER, "source": "process", "seed": None, "server": server, "run": "p"}


def test_process_files_need_increasing_clocks(tmp_path, capsys):
    one = write(tmp_path / "s1.jsonl", process_header(1), event(1, clock=3), event(2, clock=3))
    two = write(tmp_path / "s2.jsonl", process_header(2), event(1, 2, clock=1))
    assert replay_error(capsys, one, two) == f"{one}:3: clock 3 does not increase (previous 3)"


def test_process_file_holds_only_its_server(tmp_path, capsys):
    one = write(tmp_path / "s1.jsonl", process_header(1), event(1, 2, clock=1))
    assert "an event of server 2 in the file of server 1" in replay_error(capsys, one)


def test_one_file_per_server_and_run(tmp_path, capsys):
    one = write(tmp_path / "a.jsonl", process_header(1), event(1, clock=1))
    again = write(tmp_path / "b.jsonl", process_header(1), event(1, clock=1))
    assert "a second file for server 1" in replay_error(capsys, one, again)


def test_any_key_order_reads_the_same(tmp_path, capsys):
    """Key order is free: the typed decoder and the plain way read any order the same."""
    events = [event(1, 1), event(2, 2), event(3, 3)]
    shuffled = [
        {k: e[k] for k in ("state", "clock", "msg", "args", "action", "server", "seq")}
        for e in events
    ]
    path = write(tmp_path / "t.jsonl", HEADER, *shuffled)
    assert main(["replay", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: conforms (3 events)"
    bad = write(tmp_path / "bad.jsonl", HEADER, {**shuffled[0], "state": {**STATE, "phase": 7}})
    assert replay_error(capsys, bad) == f"{bad}:2: state.phase must be one of " + (
        "ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST"
    )


def test_what_one_file_taught_the_reader_holds_only_where_it_applies(tmp_path, capsys):
    """Pieces of event text are checked once per reading (several files); a piece that is
    valid in one file's run is still checked against another run's header."""
    five = {**HEADER, "voters": [1, 2, 3, 4, 5], "run": "five"}
    good = write(tmp_path / "a.jsonl", five, *(event(k, k) for k in range(1, 6)))
    bad = write(tmp_path / "b.jsonl", HEADER, event(1, 1), event(2, 4))
    assert replay_error(capsys, good, bad).startswith(f"{bad}:3: unknown server 4")
    process = write(tmp_path / "c.jsonl", process_header(1), event(1, 1))
    error = replay_error(capsys, good, process)
    assert error == f"{process}:2: clock must be a non-negative integer, got null"


# --- version 2: each event's history as the change since its server's previous event ---------

HEADER2 = {**HEADER, "version": 2}


def event2(seq: int, server: int = 1, keep: int = 0, append: list | None = None, **changes):
    """A version 2 event: ``keep`` zxids of the server's previous history, then ``append``."""
    append = append or []
    e = event(seq, server, **changes)
    e["state"] = {
        **e["state"],
        "lastZxid": append[-1] if append else e["state"]["lastZxid"],
        "history": {"keep": keep, "append": append},
    }
    return e


@pytest.mark.parametrize(
    ("lines", "where", "says"),
    [
        ([HEADER2, event2(1), "{not json"], 3, "bad JSON"),
        ([HEADER2, event2(1, keep=1)], 2, "keeps 1 zxids, but the server's history at its"),
        ([HEADER2, event2(1, 1, 0, [[1, 1]]), event2(2, 1, 2)], 3, "keeps 2 zxids"),
        # a history is the file's server's own: server 2's change does not build on server 1's
        ([HEADER2, event2(1, 1, 0, [[1, 1]]), event2(2, 2, 1)], 3, "keeps 1 zxids"),
        ([HEADER2, event(1)], 2, "state.history must be a JSON object"),
        ([HEADER2, event(1, state={**STATE, "history": {"keep": 0}})], 2, "missing append"),
        (
            [HEADER2, event(1, state={**STATE, "history": {"keep": -1, "append": []}})],
            2,
            "state.history.keep must be a non-negative integer",
        ),
        (
            [HEADER2, event(1, state={**STATE, "history": {"keep": 0, "append": [5]}})],
            2,
            "state.history.append entry must be a zxid",
        ),
        ([HEADER, event2(1)], 2, "state.history must be a list of zxids"),
    ],
    ids=[
        "bad-json",
        "keeps-more-than-there-was",
        "keeps-more-than-the-previous-event",
        "keeps-another-servers-history",
        "a-version-1-history",
        "change-missing-append",
        "negative-keep",
        "bad-zxid-appended",
        "a-version-2-history-in-version-1",
    ],
)
def test_each_malformed_version_2_trace_is_one_line_naming_the_place(
    tmp_path, capsys, lines, where, says
):
    path = write(tmp_path / "bad.jsonl", *lines)
    error = replay_error(capsys, path)
    assert error.startswith(f"{path}:{where}: "), error
    assert says in error


def test_version_2_builds_each_history_from_the_changes(tmp_path):
    """The same run in both versions reads as the same events, by both ways of reading (the
    typed decoder, and the plain way it falls back to for a line it refuses)."""
    histories = [[], [[1, 1]], [[1, 1], [1, 2]], [[1, 1], [2, 1]], [[1, 1], [2, 1]], []]
    servers = [1, 2, 1, 1, 2, 1]
    v1, v2, before = [HEADER], [HEADER2], {}
    for seq, (server, history) in enumerate(zip(servers, histories, strict=True), start=1):
        e = event(seq, server)
        e["state"] = {**e["state"], "history": history}
        v1.append(e)
        old = before.get(server, [])
        keep = next((k for k, (a, b) in enumerate(zip(old, history, strict=False)) if a != b), None)
        keep = min(len(old), len(history)) if keep is None else keep
        v2.append(
            {**e, "state": {**e["state"], "history": {"keep": keep, "append": history[keep:]}}}
        )
        before[server] = history
    one = read_trace_file(write(tmp_path / "v1.jsonl", *v1))[1]
    two = read_trace_file(write(tmp_path / "v2.jsonl", *v2))[1]
    assert [e.state.history for e in two] == [tuple(map(tuple, h)) for h in histories]
    assert [e[:7] for e in one] == [e[:7] for e in two]
    # the plain way, which reads a line the typed decoder refuses, builds the same histories
    header = read_trace_file(tmp_path / "v2.jsonl")[0]
    built: dict = {}
    plain = [
        _event_line(json.dumps(e), header, seq, "v2.jsonl", seq + 1, built)
        for seq, e in enumerate(v2[1:], start=1)
    ]
    assert [e[:7] for e in plain] == [e[:7] for e in two]
