"""Histories generated from a sequential execution of the model pass the checker, whatever
their real-time bounds and lost replies; perturbed ones that no order explains fail."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from zabmc.lincheck.check import check
from zabmc.lincheck.history import FORMAT, History, parse_history
from zabmc.lincheck.model import ZnodeModel
from zabmc.lincheck.search import wgl_search

KEYS = ("/a", "/b", "/q")
SESSIONS = ("s1", "s2", "s3")


class Store:
    """An independent executor of the workload's operations (the oracle of their results)."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}

    def run(self, op: str, key: str | None, args: dict) -> dict:
        if op == "multi":
            saved = {k: dict(v) for k, v in self.nodes.items()}
            for sub in args["ops"]:
                result = self.run(sub["op"], sub["key"], sub)
                if "error" in result:
                    self.nodes = saved
                    return result
            return {}
        if op == "sync":
            return {}
        node = self.nodes.get(key)
        if op == "create":
            if node is not None:
                return {"error": "node-exists"}
            self.nodes[key] = {"value": args["value"], "version": 0, "seq": 0}
            return {}
        if node is None:
            return {"error": "no-node"}
        if op in ("cas", "check") and node["version"] != args["version"]:
            return {"error": "bad-version"}
        if op == "get":
            return {"value": node["value"], "version": node["version"]}
        if op == "children":
            return {"seqs": list(range(node["seq"]))}
        if op == "create_seq":
            node["seq"] += 1
            return {"seq": node["seq"] - 1}
        if op == "check":
            return {}
        node["value"], node["version"] = args["value"], node["version"] + 1
        return {"version": node["version"]}


@st.composite
def executions(draw: st.DrawFn) -> list[dict]:
    """Operations run one after the other, each with the session that issued it and its
    result."""
    calls: list[dict] = [
        {"session": "s0", "op": "create", "key": k, "args": {"value": "0"}} for k in KEYS
    ]
    for i in range(draw(st.integers(3, 25))):
        session = draw(st.sampled_from(SESSIONS))
        kind = draw(st.sampled_from(["get", "set", "cas", "create_seq", "children", "sync"]))
        key = "/q" if kind in ("create_seq", "children") else draw(st.sampled_from(KEYS[:2]))
        args: dict = {}
        if kind in ("set", "cas", "create_seq"):
            args["value"] = f"{session}-{i}"
        if kind == "cas":
            args["version"] = draw(st.integers(0, 3))
        calls.append({"session": session, "op": kind, "key": key, "args": args})
        if draw(st.integers(0, 9)) == 0:
            ops = [{"op": "set", "key": "/a", "value": f"m{i}"}]
            ops.append({"op": "check", "key": "/b", "version": draw(st.integers(0, 2))})
            calls.append({"session": session, "op": "multi", "key": None, "args": {"ops": ops}})
    store = Store()
    for call in calls:
        call["result"] = store.run(call["op"], call["key"], call["args"])
    return calls


def history_of(calls: list[dict], draw_gap, lose: set[int]) -> list[str]:
    """A history where each call takes effect at time 100*i, inside its bounds; a session's
    calls do not overlap; the replies of ``lose`` are lost."""
    lines = [json.dumps({"type": "header", "format": FORMAT})]
    events = []
    free_from: dict[str, int] = {}
    point = {i: 100 * (i + 1) for i in range(len(calls))}
    nxt: dict[int, int] = {}
    last: dict[str, int] = {}
    for i, c in enumerate(calls):
        if c["session"] in last:
            nxt[last[c["session"]]] = i
        last[c["session"]] = i
    for i, c in enumerate(calls):
        inv = max(free_from.get(c["session"], 0), point[i] - draw_gap())
        limit = point[nxt[i]] if i in nxt else point[i] + 1000
        ret = min(point[i] + draw_gap(), limit)
        free_from[c["session"]] = ret
        call = {"type": "invoke", "process": i, "session": c["session"], "time": inv}
        events.append((inv, 0, call | {"op": c["op"], "key": c["key"], "args": c["args"]}))
        if i not in lose:
            events.append(
                (ret, 1, {"type": "ok", "process": i, "time": ret, "result": c["result"]})
            )
    lines += [json.dumps(e) for _, _, e in sorted(events, key=lambda t: (t[0], t[1]))]
    return lines


@settings(max_examples=150, deadline=None)
@given(executions(), st.data())
def test_a_sequential_execution_is_linearizable(calls: list[dict], data: st.DataObject) -> None:
    gap = lambda: data.draw(st.integers(0, 250))  # noqa: E731
    lose = data.draw(st.sets(st.integers(len(KEYS), len(calls) - 1), max_size=3))
    history = parse_history(history_of(calls, gap, lose))
    assert check(history).outcome == "linearizable"


def _first_write_pair(history: History):
    """Two acknowledged versioned writes of one key, the first completed before the second
    was invoked."""
    writes = [o for o in history.operations if o.op in ("set", "cas") and o.status == "ok"]
    writes = [o for o in writes if "version" in o.result]
    for a in writes:
        for b in writes:
            if a.key == b.key and a.ret < b.inv:
                return a, b
    return None


@settings(max_examples=60, deadline=None)
@given(executions(), st.data())
def test_a_ghost_read_is_a_violation(calls: list[dict], data: st.DataObject) -> None:
    gap = lambda: data.draw(st.integers(0, 250))  # noqa: E731
    history = parse_history(history_of(calls, gap, set()))
    reads = [o for o in history.operations if o.op == "get" and "value" in o.result]
    if not reads:
        return
    victim = data.draw(st.sampled_from(reads))
    ghost = replace(victim, result={"value": "never-written", "version": victim.result["version"]})
    history.operations[victim.index] = ghost
    assert check(history).outcome == "violation"


@settings(max_examples=60, deadline=None)
@given(executions(), st.data())
def test_a_write_ordered_before_an_equal_version_is_a_violation(
    calls: list[dict], data: st.DataObject
) -> None:
    gap = lambda: data.draw(st.integers(0, 250))  # noqa: E731
    history = parse_history(history_of(calls, gap, set()))
    pair = _first_write_pair(history)
    if pair is None:
        return
    a, b = pair
    history.operations[b.index] = replace(b, result={"version": a.result["version"]})
    verdict = check(history)
    assert verdict.outcome == "violation"
    keys = tuple(sorted({k for o in verdict.witness for k in o.keys}))
    assert wgl_search(verdict.witness, ZnodeModel(keys), 10**6).outcome == "violation"
