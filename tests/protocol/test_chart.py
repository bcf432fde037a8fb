"""The protocol spec's account of each step for sequence charts: sends, receives, losses."""

from __future__ import annotations

from collections import Counter

from spec.protocol import Params, ProtocolModel
from spec.protocol.bugs import COMMITLD_ACKLD_ZXID, STRICT_PROPOSE
from zabmc.engine import Action, CheckOptions, check_bfs


def test_every_sent_message_is_received_or_lost_in_fifo_order():
    """Along a long counterexample, replaying the events reproduces every channel exactly."""
    model = ProtocolModel(Params(3, 0, 2, 2, 0, bug=STRICT_PROPOSE))
    v = check_bfs(model, CheckOptions(check_deadlock=False)).violation
    assert v is not None and v.length == 17
    channels: dict[tuple[int, int], list[str]] = {}
    kinds: Counter = Counter()
    for before, step in zip(v.steps, v.steps[1:], strict=False):
        events = model.step_events(before.state, step.action, step.state)
        for m in events.received:
            assert channels[(m.src, m.dst)].pop(0) == m.label
            kinds["received"] += 1
        for src, dst, count in events.lost:
            del channels[(src, dst)][:count]
        for m in events.sent:
            channels.setdefault((m.src, m.dst), []).append(m.label)
            kinds["sent"] += 1
        n = len(step.state.state)
        for src in range(n):
            for dst in range(n):
                assert len(channels.get((src, dst), [])) == len(step.state.msgs[src][dst])
    assert kinds["sent"] >= kinds["received"] > 5
    assert model.server_status(v.steps[-1].state)[0] == "LEADING/BROADCAST"
    assert model.server_names() == ["s1", "s2", "s3"]


def test_server_logs_mark_the_committed_prefix():
    model = ProtocolModel(Params(3, 0, 2, 2, 0, bug=COMMITLD_ACKLD_ZXID))
    v = check_bfs(model, CheckOptions(check_deadlock=False)).violation
    logs = model.server_logs(v.steps[-1].state)
    assert len(logs) == 3
    for log, history, last in zip(
        logs, v.steps[-1].state.history, v.steps[-1].state.last_committed, strict=True
    ):
        assert log.entries == tuple(f"{t.zxid[0]}:{t.zxid[1]}" for t in history)
        assert log.committed == max(last.index, 0)
    assert [log.committed for log in logs] == [1, 0, 1]
    assert model.is_fault(Action("Restart", (0,))) and model.is_fault(Action("Timeout", (0, 1)))
    assert not model.is_fault(Action("LeaderProcessACK", (0, 1)))
