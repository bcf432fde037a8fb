"""The system spec's account of each step, for sequence charts and reports."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from spec.system.chart import vote_label
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.render import message_text
from spec.system.scenarios import StartingFrom, established_epoch_one
from zabmc.engine import Action, CheckOptions, check_bfs


def replay_channels(model: SystemModel, steps) -> Counter:
    """Replay the step events along a path; every channel must match the state's."""
    n = model.params.n
    first = steps[0].state.network
    zab = {divmod(c, n): [message_text(m) for m in ch] for c, ch in enumerate(first.msgs)}
    notes = {divmod(c, n): [vote_label(x) for x in ch] for c, ch in enumerate(first.notes)}
    kinds: Counter = Counter()
    for before, step in pairwise(steps):
        events = model.step_events(before.state, step.action, step.state)
        for m in events.received:
            channels = notes if m.label.startswith("vote ") else zab
            assert channels[(m.src, m.dst)].pop(0) == m.label
            kinds["received"] += 1
        for src, dst, count in events.lost:
            for channels in (zab, notes):
                del channels.setdefault((src, dst), [])[:count]
        for m in events.sent:
            channels = notes if m.label.startswith("vote ") else zab
            channels.setdefault((m.src, m.dst), []).append(m.label)
            kinds["sent"] += 1
        kinds.update(text for _, text in events.markers)
        for c in range(n * n):
            pair = divmod(c, n)
            assert len(zab.get(pair, [])) == len(step.state.network.msgs[c])
            assert len(notes.get(pair, [])) == len(step.state.network.notes[c])
    return kinds


def test_events_reproduce_every_channel_along_an_election():
    model = SystemModel(Params(max_timeouts=0))
    result = check_bfs(model, CheckOptions(max_depth=16, check_deadlock=False))
    path = result.examples["LeaderEstablished"].steps
    kinds = replay_channels(model, path)
    assert kinds["sent"] >= kinds["received"] > 5
    assert kinds["LEADING"] == 1 and kinds["FOLLOWING"] >= 1
    assert "LEADING/BROADCAST" in model.server_status(path[-1].state)
    assert model.server_names() == ["s1", "s2", "s3"]


def test_events_show_crashes_and_lost_messages():
    model = SystemModel(
        Params(
            max_timeouts=0,
            max_crashes=2,
            max_txns=2,
            max_epoch=3,
            coarse_election=True,
            bug="ZK-4646",
        )
    )
    start = established_epoch_one(model)
    v = check_bfs(StartingFrom(model.params, start), CheckOptions(check_deadlock=False)).violation
    kinds = replay_channels(model, v.steps)
    assert kinds["crash"] == 2 and kinds["restart"] == 2  # the leader, then the follower
    assert "OFFLINE" in model.server_status(v.steps[1].state)
    rendered = model.format_state(v.steps[-1].state)
    assert rendered["committedLog"] == ["1:1=v1", "1:2=v2"]
    assert model.format_action(v.steps[3].action).startswith("ElectLeader(s3, quorum {")


def test_apply_takes_a_step_by_name_as_a_trace_would_give_it():
    model = SystemModel(Params(max_timeouts=0, max_partitions=1))
    s = model.init_states()[0]
    assert model.apply(s, Action("FLEHandleNotmsg", (0,))) is None  # nothing received yet
    t = model.apply(s, Action("FLEReceiveNotmsg", (0, 2)))
    assert t is not None and t.elections[0].queue
    cut = model.apply(s, Action("PartitionStart", (2, 0)))  # either order names the link
    assert cut == model.apply(s, Action("PartitionStart", (0, 2))) != s
    with pytest.raises(KeyError):
        model.apply(s, Action("Nope", (0,)))
    with pytest.raises(ValueError, match="takes 2 server"):
        model.apply(s, Action("FLEReceiveNotmsg", (0,)))
