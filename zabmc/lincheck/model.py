"""The sequential specification: znodes as ZooKeeper's data tree keeps them, for the keys of a
history (or of one part of it).

A znode is absent (``None``) or ``(value, version, children)``: its data, its data version
(0 when created, +1 on every set) and how many sequential children were created under it (the
next sequence number, as ZooKeeper numbers them from the parent's ``cversion`` when nothing
is deleted). Every key starts absent. The model assumes what the harness's workloads keep: no
deletes, and a ``create`` never makes a child of another key of the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zabmc.lincheck.history import Operation

Znode = tuple[Any, int, int] | None
State = tuple[Znode, ...]


class Refused(Exception):
    """A sub-operation of a multi failed with this error (the multi changes nothing)."""

    def __init__(self, error: str) -> None:
        self.error = error


class ZnodeModel:
    """The znodes ``keys`` (a state holds one entry per key, in this order)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        self.slot = {k: i for i, k in enumerate(self.keys)}

    def initial(self) -> State:
        return (None,) * len(self.keys)

    def step(self, state: State, op: Operation) -> State | None:
        """The state after ``op``, or ``None`` if ``op`` could not have returned its result
        in ``state``. An operation of unknown outcome (``result is None``) takes effect as
        its arguments say; if that would fail, it changes nothing."""
        result = op.result
        if op.op == "sync":
            return state
        if op.op == "multi":
            nodes = dict(enumerate(state))
            try:
                for sub in op.args["ops"]:
                    i = self.slot[sub["key"]]
                    nodes[i] = self._write(sub["op"], nodes[i], sub)
            except Refused as exc:
                if result is None:
                    return state
                return state if result == {"error": exc.error} else None
            if result is not None and result != {}:
                return None
            return tuple(nodes[i] for i in range(len(state)))
        assert op.key is not None
        i = self.slot[op.key]
        node = state[i]
        if op.op == "get":
            seen = {"error": "no-node"} if node is None else {"value": node[0], "version": node[1]}
            return state if seen == result else None
        if op.op == "children":
            seen = {"error": "no-node"} if node is None else {"seqs": list(range(node[2]))}
            return state if result is not None and _same_children(seen, result) else None
        try:
            new = self._write(op.op, node, op.args)
        except Refused as exc:
            if result is None:
                return state
            return state if result == {"error": exc.error} else None
        if result is not None and result != self._reply(op.op, node, new):
            return None
        return (*state[:i], new, *state[i + 1 :])

    def hopeless(self, state: State, op: Operation) -> bool:
        """Whether ``op`` (with a known result) can fit neither ``state`` nor any state after
        it: nothing is deleted, so versions and child counts only grow and a node once
        there stays."""
        result = op.result
        if result is None or op.key is None or op.op == "sync":
            return False
        node = state[self.slot[op.key]]
        if result.get("error") == "no-node":
            return node is not None
        if node is None or "error" in result:
            return False
        if op.op == "get":
            return node[1] > result["version"] or (
                node[1] == result["version"] and node[0] != result["value"]
            )
        if op.op in ("set", "cas"):
            return node[1] >= result["version"]
        if op.op == "children":
            return node[2] > len(result["seqs"])
        if op.op == "create_seq":
            return node[2] > result["seq"]
        return op.op == "create"

    def bound(self, op: Operation) -> tuple[int, int, int] | None:
        """``(slot, field, most)``: ``op`` (with a known result) fits no state whose znode
        ``slot`` has its ``field`` (1: the version, 2: the child count) above ``most``, and
        such a field only grows. None when its result bounds nothing so."""
        result = op.result
        if result is None or op.key is None or "error" in result:
            return None
        slot = self.slot.get(op.key)
        if slot is None:
            return None
        if op.op == "get":
            return (slot, 1, result["version"])
        if op.op in ("set", "cas"):
            return (slot, 1, result["version"] - 1)
        if op.op == "create_seq":
            return (slot, 2, result["seq"])
        if op.op == "children":
            return (slot, 2, len(result["seqs"]))
        return None

    @staticmethod
    def _write(kind: str, node: Znode, args: dict[str, Any]) -> Znode:
        if kind == "create":
            if node is not None:
                raise Refused("node-exists")
            return (args["value"], 0, 0)
        if node is None:
            raise Refused("no-node")
        value, version, children = node
        if kind in ("cas", "check") and args["version"] != version:
            raise Refused("bad-version")
        if kind == "check":
            return node
        if kind == "create_seq":
            return (value, version, children + 1)
        return (args["value"], version + 1, children)  # set, cas

    @staticmethod
    def _reply(kind: str, before: Znode, after: Znode) -> dict[str, Any]:
        assert after is not None
        if kind in ("set", "cas"):
            return {"version": after[1]}
        if kind == "create_seq":
            assert before is not None
            return {"seq": before[2]}
        return {}


def _same_children(seen: dict[str, Any], result: dict[str, Any]) -> bool:
    if "error" in seen or "error" in result:
        return seen == result
    return sorted(result["seqs"]) == seen["seqs"]
