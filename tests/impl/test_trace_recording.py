"""Recording traces: the simulator's and real servers' files follow the documented format, a
kill -9 leaves only whole lines and the restarted server continues its file, Lamport clocks
order every message after its sending, and each bug switch really plants its bug."""

from __future__ import annotations

import itertools
import json
import logging
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from impl.core.discovery import follower_process_leaderinfo, leader_process_followerinfo
from impl.core.effects import Send
from impl.core.messages import FollowerInfo, LeaderInfo
from impl.core.peer import ZabPeer
from impl.core.quorum import Cluster
from impl.core.roles import Phase, Role
from impl.core.state import LeaderState, LearnerState
from impl.core.switches import STALE_EPOCH
from impl.server.config import ConfigError, parse_config
from impl.server.local import FAST_TUNING, ClusterLayout, LocalCluster, wait_for
from impl.server.recorded_runs import record_process_run
from impl.server.runtime import ServerRuntime
from impl.sim.faults import draw_schedule
from impl.sim.mutation_runs import MUTANT_RUNS, find_run
from impl.sim.record import record_schedule
from impl.storage.store import Store
from impl.trace.recorder import TraceError, TraceFile, append_crash
from impl.trace.writer import header
from tests.traces.schema import check_file

Event = dict[str, Any]


@pytest.mark.parametrize("seed", range(6))
def test_random_simulated_runs_record_valid_traces(tmp_path: Path, seed: int) -> None:
    schedule = draw_schedule(random.Random(seed).randint, max_ops=12, horizon_ms=1500)
    path = tmp_path / "run.jsonl"
    recorded = record_schedule(schedule, path, settle_ms=20_000)
    assert recorded.violation is None
    head, events = check_file(path)
    assert head["seed"] == schedule.seed and head["source"] == "simulator"
    assert len(events) == recorded.events > 0
    assert {e["action"] for e in events} >= {"NodeStart", "LeaderProcessRequest"}


# --- bug switches ---------------------------------------------------------------------------


@pytest.mark.parametrize("mutation", sorted(MUTANT_RUNS))  # the others: tests/drive
def test_each_switch_plants_its_bug_and_only_the_switch_does(tmp_path: Path, mutation: str) -> None:
    """The sign of the bug shows in a run with the switch on, and in none of 20 runs of the
    same schedules without it."""
    found = find_run(mutation, tmp_path / "on.jsonl", range(1, 21))
    assert found is not None, f"{mutation}: no run in 20 seeds showed the bug"
    head, _ = check_file(tmp_path / "on.jsonl")
    assert head["mutations"] == [mutation]
    assert find_run(mutation, tmp_path / "off.jsonl", range(1, 21), with_switch=False) is None


def test_the_stale_epoch_switch_lets_a_learner_follow_a_lower_epoch() -> None:
    """Driven on the core directly: with the switch the learner follows a LEADERINFO below
    its acceptedEpoch (without it, it goes back to the election, as ZooKeeper's
    registerWithLeader refuses it). Either way the leader, its epoch fixed, keeps a late
    joiner whose acceptedEpoch is above that epoch and sends it LEADERINFO with the fixed
    epoch (ZooKeeper's getEpochToPropose): the learner is the one that refuses."""
    for mutations, kept in ((frozenset(), False), (frozenset({STALE_EPOCH}), True)):
        learner = ZabPeer(2, Cluster((1, 2, 3)), switches=mutations)
        learner.start()
        learner.ctx.accepted_epoch = 5
        learner.ctx.role, learner.ctx.phase = Role.FOLLOWING, Phase.DISCOVERY
        learner.ctx.learner = LearnerState(leader=1, sent_info=True)
        follower_process_leaderinfo(learner.ctx, 1, LeaderInfo(3))
        assert (learner.role == Role.FOLLOWING) is kept
        assert (learner.accepted_epoch == 3) is kept

        leader = ZabPeer(1, Cluster((1, 2, 3)), switches=mutations)
        leader.start()
        leader.ctx.role, leader.ctx.phase = Role.LEADING, Phase.DISCOVERY
        leader.ctx.leader_state = LeaderState(connecting={1, 3}, electing={1}, new_epoch=2)
        leader_process_followerinfo(leader.ctx, 2, FollowerInfo(5))
        assert leader.role == Role.LEADING
        assert Send(2, LeaderInfo(2)) in leader.ctx.out


# --- real processes -------------------------------------------------------------------------


def events_of(files: list[Path]) -> list[Event]:
    return [e for f in files for e in check_file(f)[1]]


def vote(v: dict[str, Any]) -> tuple[Any, ...]:
    return (v["leader"], v["zxid"], v["epoch"], v["round"])


def sent_by(e: Event, w: Event) -> bool:
    """Whether ``w``, a step of the sender, shows that the message ``e`` took was sent."""
    m, i, s = e["msg"], e["server"], w["state"]
    kind, action = m["type"], w["action"]
    if kind == "NOTIFICATION":
        return vote(s["vote"]) == vote(m)
    if kind == "FOLLOWERINFO":
        return action == "ConnectAndFollowerSendFOLLOWERINFO" and w["args"] == [i, e["args"][1]]
    if kind == "LEADERINFO":
        return s["role"] == "LEADING" and s["acceptedEpoch"] >= m["epoch"]
    if kind == "ACKEPOCH":
        return action == "FollowerProcessLEADERINFO"
    if kind in ("DIFF", "TRUNC", "SNAP", "NEWLEADER"):
        return action == "LeaderSyncFollower" and w["args"][1] == i
    if kind in ("PROPOSAL", "ACK"):
        return m["zxid"] in s["history"]
    if kind in ("COMMIT", "INFORM"):
        return s["role"] == "LEADING" and s["lastCommitted"] >= m["zxid"]
    if kind == "ACKLD":
        return action == "FollowerProcessNEWLEADER"
    assert kind == "UPTODATE"
    return s["role"] == "LEADING" and s["phase"] == "BROADCAST"


def check_lamport(events: list[Event]) -> int:
    """Every step that takes a message from j comes, by clock, after a step of j that shows
    the message sent; returns how many were checked."""
    checked = 0
    for e in events:
        if e["msg"] is None:
            continue
        j = e["args"][1]
        earlier = [w for w in events if w["server"] == j and w["clock"] < e["clock"]]
        assert any(sent_by(e, w) for w in earlier), f"{e['action']}{e['args']} clock {e['clock']}"
        checked += 1
    return checked


def check_process_file(path: Path) -> list[Event]:
    """Clocks strictly increase within a file; a NodeCrash is followed by NodeStart."""
    _, events = check_file(path)
    clocks = [e["clock"] for e in events]
    assert clocks == sorted(set(clocks)), path
    for before, after in itertools.pairwise(events):
        if before["action"] == "NodeCrash":
            assert after["action"] == "NodeStart" and after["clock"] == before["clock"] + 1
    return events


def test_a_recorded_cluster_run_with_a_kill_9_and_a_restart(tmp_path: Path) -> None:
    files = record_process_run("follower-restart", tmp_path, run="t")
    events = [e for f in files for e in check_process_file(f)]
    crashes = [e for e in events if e["action"] == "NodeCrash"]
    assert len(crashes) == 1 and crashes[0]["state"]["role"] == "FOLLOWING"
    assert check_lamport(events) > 20


def recorded_start(path: Path) -> bool:
    """Whether the server of ``path`` has recorded its latest (re)start."""
    if not path.exists():
        return False
    text = path.read_text()
    return text.count('"NodeStart"') > text.count('"NodeCrash"')


def test_a_server_killed_mid_election_leaves_whole_lines_and_continues_its_file(
    tmp_path: Path,
) -> None:
    layout = ClusterLayout.on_free_ports(
        3, tuning=dict(FAST_TUNING), application="txnlist", trace_run="kill"
    )
    cluster = LocalCluster(layout, tmp_path)
    try:
        cluster.start_all()
        # the first and last kill come after server 2 recorded its start (a slow machine may
        # take longer than the delay to boot it), the middle one may come before
        for delay, after_start in ((0.3, True), (0.05, False), (0.4, True)):
            if after_start:
                wait_for(lambda: recorded_start(cluster.trace_path(2)), 20, "server 2 started")
            time.sleep(delay)
            cluster.kill(2, signal.SIGKILL)  # appends NodeCrash after its last whole line
            check_process_file(cluster.trace_path(2))
            cluster.start(2)
        wait_for(cluster.leader, 20, "a leader")
        cluster.write(cluster.leader() or 1, "x")
    finally:
        cluster.stop_all()
    events = check_process_file(cluster.trace_path(2))
    actions = [e["action"] for e in events]
    # a restart killed before it recorded its NodeStart took no step and gets no NodeCrash
    assert actions.count("NodeStart") == actions.count("NodeCrash") + 1 >= 3
    everything = events_of([cluster.trace_path(s) for s in (1, 2, 3)])
    check_lamport(everything)


# --- the trace file -------------------------------------------------------------------------


def process_head(run: str = "r") -> dict[str, Any]:
    return header(Cluster((1, 2, 3)), source="process", run=run, server=2)


def test_a_torn_last_line_is_cut_when_the_file_is_continued(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    trace = TraceFile(path, process_head())
    trace.close()
    crash = {"seq": 1, "server": 2, "action": "NodeStart", "args": [2], "msg": None}
    with open(path, "a") as f:
        state = {"history": {"keep": 0, "append": [[1, 1], [1, 2], [2, 1]]}}
        f.write(json.dumps({**crash, "state": state, "clock": 7}) + "\n" + '{"seq": 2, "ser')
    trace = TraceFile(path, process_head(), resume=True)
    assert (trace.seq, trace.clock) == (1, 7)
    assert trace.histories == {2: ((1, 2), (2, 1))}  # the next event records changes to it
    trace.close()
    assert path.read_text().endswith("}\n")
    with pytest.raises(TraceError, match="run is 'r'"):
        TraceFile(path, process_head("other"), resume=True)
    empty = tmp_path / "empty.jsonl"
    assert append_crash(empty) is None  # killed before it opened its trace: nothing ran
    TraceFile(empty, process_head()).close()
    assert append_crash(empty) is None and len(empty.read_text().splitlines()) == 1


def test_recording_options_in_the_server_configuration(tmp_path: Path) -> None:
    base = {"id": 1, "data_dir": "d", "servers": {"1": {"peer": "h:1", "client": "h:2"}}}
    config = parse_config(
        {**base, "trace": {"file": "t/1.jsonl", "run": "x"}, "mutations": ["ZK-3911"]},
        "c.toml",
        tmp_path,
    )
    assert config.trace_file == tmp_path / "t/1.jsonl" and config.trace_run == "x"
    assert config.switches == {"ZK-3911"}
    for bad, message in (
        ({"mutations": ["nope"]}, "unknown mutation 'nope'"),
        ({"trace": {"file": "f", "color": 1}}, r"\[trace\] takes"),
        ({"trace": {"run": "x"}}, "trace.file"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_config({**base, **bad}, "c.toml", tmp_path)


def test_the_record_command_rejects_a_bad_operation_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    command = [sys.executable, "-m", "impl.sim", "record", "--seed", "1", "--out", str(out)]
    run = subprocess.run(
        [*command, "--op", "100,explode,1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and not out.exists()
    assert run.stderr.count("\n") == 1 and "unknown kind 'explode'" in run.stderr


def test_a_message_without_a_clock_ends_the_recording_of_the_server_that_takes_it(
    tmp_path: Path,
) -> None:
    """Only a server whose recording ended sends unstamped messages in a recorded run: the
    step that takes one is not recorded (no trace holds its sending), nor any after it."""
    servers = {str(s): {"peer": f"127.0.0.1:{s}", "client": f"127.0.0.1:{s + 10}"} for s in (1, 2)}
    raw = {"id": 1, "data_dir": "d", "servers": servers, "trace": {"file": "t/1.jsonl"}}
    config = parse_config(raw, "c.toml", tmp_path)
    store = Store.open(config.data_dir)
    runtime = ServerRuntime(config, store, logging.getLogger("test"))
    assert runtime.net.on_clock is not None and runtime.trace is not None
    runtime.net.on_clock(41)
    assert runtime.clock.value == 41 and runtime.trace is not None
    runtime.net.on_clock(None)
    assert runtime.trace is None
    store.close()
