"""A long recorded run (trace format version 2: each event records its server's history as
the change since its previous event) replays whole; and replay compares every history
whole, though it looks only at what changed: a zxid changed anywhere in a server's
history, in the middle of a long one included, is a divergence at the very event that
records it, named by its index, file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from impl.sim.record import record_schedule, steady_writes_schedule
from zabmc.cli.main import main
from zabmc.replay.check import replay
from zabmc.replay.merge import load

WRITES = 600


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "long.jsonl"
    recorded = record_schedule(steady_writes_schedule(WRITES), path)
    assert recorded.violation is None, recorded.violation
    return path


def histories(lines: list[str]) -> list[list[list[int]]]:
    """Each event line's whole history, built from the version 2 changes as the format says."""
    before: dict[int, list[list[int]]] = {}
    out = []
    for line in lines[1:]:
        e = json.loads(line)
        change = e["state"]["history"]
        h = before.get(e["server"], [])[: change["keep"]] + change["append"]
        before[e["server"]] = h
        out.append(h)
    return out


def test_a_long_run_conforms(long_run: Path) -> None:
    lines = long_run.read_text().splitlines()
    assert json.loads(lines[0])["version"] == 2
    assert max(len(h) for h in histories(lines)) >= WRITES  # the run is long
    (trace,) = load([str(long_run)])
    verdict = replay(trace)
    assert verdict.conforms, verdict.line()
    assert verdict.events == len(lines) - 1


def plant(lines: list[str], position: str) -> tuple[list[str], int, int]:
    """The run with one zxid of one server's history changed at one event late in the run,
    an event in BROADCAST that leaves that history as it was: the zxid's counter is moved
    on. ``position`` says which zxid: the first, one in the middle, the one before the
    last (the last is lastZxid too, which would also differ). Returns the lines, the
    event's index and the changed zxid's index in the history."""
    whole = histories(lines)
    for seq in range(len(whole) * 3 // 4, len(whole) + 1):
        e = json.loads(lines[seq])
        change, h = e["state"]["history"], whole[seq - 1]
        if e["state"]["phase"] == "BROADCAST" and len(h) >= 200 and change["append"] == []:
            break
    else:
        raise AssertionError("no event to plant in")
    at = {"first": 0, "middle": len(h) // 2, "before-last": len(h) - 2}[position]
    changed = [list(z) for z in h]
    changed[at][1] += 1_000
    e["state"]["history"] = {"keep": at, "append": changed[at:]}
    planted = list(lines)
    planted[seq] = json.dumps(e)
    return planted, seq, at


@pytest.mark.parametrize("position", ["first", "middle", "before-last"])
def test_a_zxid_changed_anywhere_in_a_long_history_is_caught_at_its_event(
    long_run: Path, tmp_path: Path, position: str, capsys: pytest.CaptureFixture[str]
) -> None:
    planted, seq, at = plant(long_run.read_text().splitlines(), position)
    path = tmp_path / "planted.jsonl"
    path.write_text("\n".join(planted) + "\n")
    (trace,) = load([str(path)])
    verdict = replay(trace)
    d = verdict.divergence
    assert d is not None, f"the zxid changed at history[{at}] of event {seq} went unseen"
    assert (d.index, d.where, verdict.events) == (seq, f"{path}:{seq + 1}", seq - 1)
    assert d.mismatch.kind == "state"
    assert [f.name for f in d.mismatch.fields] == ["history"]  # only the changed zxid differs
    (diff,) = d.mismatch.fields
    recorded, expected = diff.recorded.strip("[]").split(), diff.expected.strip("[]").split()
    assert [k for k, (r, x) in enumerate(zip(recorded, expected, strict=True)) if r != x] == [at]
    # and the command says so: exit 1, the event's index, file and line
    assert main(["replay", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: diverges at event {seq} ({path}:{seq + 1}): ")


def test_a_long_runs_spec_state_is_checked_as_its_tuple_form(long_run: Path) -> None:
    """Its logs are chunked (spec/system/log.py), and the invariants, the report and the
    engine's encoding take the state as the same state with tuples."""
    from spec.system.invariants import INVARIANTS
    from spec.system.log import Log
    from spec.system.model import SystemModel
    from zabmc.engine.encoding import StateCodec, fingerprint
    from zabmc.replay.bindings.system import SystemReplay, params_for

    (trace,) = load([str(long_run)])
    r = SystemReplay(trace.header, trace.events)
    for e in trace.events:
        assert r.step(e) is None
    s = r.state
    assert any(type(srv.history) is Log for srv in s.servers)
    assert type(s.ghost.committed) is Log and type(s.ghost.proposals) is Log
    tuples = s._replace(
        servers=tuple(srv._replace(history=tuple(srv.history)) for srv in s.servers),
        leaders=tuple(ld._replace(acks=tuple(ld.acks)) for ld in s.leaders),
        ghost=s.ghost._replace(
            committed=tuple(s.ghost.committed), proposals=tuple(s.ghost.proposals)
        ),
    )
    assert tuples == s and fingerprint(tuples) == fingerprint(s)
    for name, holds in INVARIANTS:
        assert holds(s) and holds(tuples), name
    model = SystemModel(params_for(trace.header))
    assert model.format_state(s) == model.format_state(tuples)
    assert model.server_logs(s) == model.server_logs(tuples)
    back = StateCodec().unpack(StateCodec().pack(s))
    assert back == s and type(back.servers[0].history) is type(s.servers[0].history)
