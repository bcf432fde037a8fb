"""The committed traces: each follows the format, shows what traces/README.md lists it for,
and (for the simulator's) is exactly what the generator makes again."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from .schema import check_file

TRACES = Path(__file__).resolve().parents[2] / "traces"
Event = dict[str, Any]


def load(name: str) -> tuple[dict[str, Any], list[Event]]:
    return check_file(TRACES / name)


def generator() -> Any:
    spec = importlib.util.spec_from_file_location("trace_generate", TRACES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def listed() -> list[str]:
    """The traces the README's table lists."""
    text = (TRACES / "README.md").read_text()
    return re.findall(r"^\| `([^`]+(?:\.jsonl|/))` \|", text, flags=re.M)


def all_files() -> list[Path]:
    return sorted(p for p in TRACES.rglob("*.jsonl"))


def test_every_trace_file_follows_the_format_and_is_listed() -> None:
    names = listed()
    assert len(names) >= 10
    for path in all_files():
        check_file(path)
        rel = path.relative_to(TRACES)
        folder = f"{rel.parent}/" if rel.parent.name.startswith("process-") else None
        assert str(rel) in names or folder in names, f"{rel} is not in traces/README.md"
    for name in names:
        assert (TRACES / name).exists(), name


def taken(events: list[Event], action: str, kind: str | None = None) -> list[Event]:
    return [
        e
        for e in events
        if e["action"] == action and (kind is None or (e["msg"] or {}).get("type") == kind)
    ]


def test_clean_election_elects_one_leader_and_commits() -> None:
    _, events = load("clean-election.jsonl")
    assert not taken(events, "NodeCrash") and not taken(events, "PartitionStart")
    leaders = {e["server"] for e in events if e["state"]["role"] == "LEADING"}
    assert len(leaders) == 1
    assert any(
        e["state"]["lastCommitted"] >= [1, 2] for e in taken(events, "FollowerProcessCOMMIT")
    )


def test_leader_crash_elects_a_new_leader_in_a_new_epoch() -> None:
    _, events = load("leader-crash.jsonl")
    (crash,) = taken(events, "NodeCrash")
    assert crash["state"]["role"] == "LEADING"
    after = events[events.index(crash) + 1 :]
    new = {e["server"] for e in after if e["state"]["role"] == "LEADING"}
    assert new and crash["server"] not in new
    assert max(e["state"]["currentEpoch"] for e in after) > crash["state"]["currentEpoch"]
    restarted = [
        e for e in taken(after, "FollowerProcessUPTODATE") if e["server"] == crash["server"]
    ]
    assert restarted


def sync_of_restarted(events: list[Event], kind: str) -> Event:
    """The sync message of ``kind`` taken by a server after it restarted."""
    restarted = {e["server"] for e in taken(events, "NodeCrash")}
    syncs = [
        e for e in taken(events, "FollowerProcessSyncMessage", kind) if e["server"] in restarted
    ]
    starts = {e["server"]: events.index(e) for e in taken(events, "NodeStart")}
    syncs = [e for e in syncs if events.index(e) > starts[e["server"]]]
    assert syncs, f"no restarted server took {kind}"
    return syncs[0]


def test_follower_diff_syncs_the_missed_proposals() -> None:
    _, events = load("follower-diff.jsonl")
    diff = sync_of_restarted(events, "DIFF")
    after = events[events.index(diff) :]
    in_sync = [
        e for e in taken(after, "FollowerProcessPROPOSALInSync") if e["server"] == diff["server"]
    ]
    assert len(in_sync) == 3


def test_follower_trunc_drops_the_skipped_proposal() -> None:
    _, events = load("follower-trunc.jsonl")
    trunc = sync_of_restarted(events, "TRUNC")
    before = max(
        (e for e in events[: events.index(trunc)] if e["server"] == trunc["server"]),
        key=events.index,
    )
    assert before["state"]["lastZxid"] > trunc["msg"]["zxid"]
    assert trunc["state"]["lastZxid"] == trunc["msg"]["zxid"]


def test_follower_snap_installs_a_snapshot() -> None:
    _, events = load("follower-snap.jsonl")
    snap = sync_of_restarted(events, "SNAP")
    assert snap["state"]["lastCommitted"] == snap["msg"]["zxid"]


def test_partitioned_leader_steps_down() -> None:
    _, events = load("partitioned-leader.jsonl")
    cut = taken(events, "PartitionStart")
    leader = cut[0]["server"]
    assert cut[0]["state"]["role"] == "LEADING"
    steps_down = [e for e in taken(events, "ZabTimeout") if e["server"] == leader]
    assert steps_down and events.index(steps_down[0]) > events.index(cut[0])
    assert taken(events, "PartitionRecover")
    assert not taken(events, "NodeCrash")


def test_observer_learns_by_inform() -> None:
    head, events = load("observer.jsonl")
    assert head["observers"] == [4]
    informs = taken(events, "ObserverProcessINFORM", "INFORM")
    assert informs and all(e["server"] == 4 and e["state"]["role"] == "OBSERVING" for e in informs)


def test_restart_drops_an_uncommitted_proposal() -> None:
    _, events = load("restart-drops-proposal.jsonl")
    (crash,) = taken(events, "NodeCrash")
    start = next(e for e in taken(events, "NodeStart") if events.index(e) > events.index(crash))
    lost = [z for z in crash["state"]["history"] if z not in start["state"]["history"]]
    assert lost and all(z > crash["state"]["lastCommitted"] for z in lost)
    committed = max(e["state"]["lastCommitted"] for e in events)
    assert all(z not in e["state"]["history"] for z in lost for e in events[-3:])
    assert committed > crash["state"]["lastCommitted"]


@pytest.mark.parametrize("run", ["process-follower-restart", "process-leader-restart"])
def test_real_process_runs_have_one_file_per_server_and_a_recorded_kill(run: str) -> None:
    files = sorted((TRACES / run).glob("server*.jsonl"))
    heads = [check_file(f)[0] for f in files]
    assert [h["server"] for h in heads] == [1, 2, 3]
    assert {h["run"] for h in heads} == {run} and {h["source"] for h in heads} == {"process"}
    crashes = [e for f in files for e in check_file(f)[1] if e["action"] == "NodeCrash"]
    assert len(crashes) == 1
    role = "LEADING" if "leader" in run else "FOLLOWING"
    assert crashes[0]["state"]["role"] == role


def test_simulator_traces_regenerate_byte_for_byte(tmp_path: Path) -> None:
    gen = generator()
    for trace in gen.SIM_TRACES:
        gen.generate_sim(trace, tmp_path)
        assert (tmp_path / f"{trace.name}.jsonl").read_bytes() == (
            TRACES / f"{trace.name}.jsonl"
        ).read_bytes(), trace.name
