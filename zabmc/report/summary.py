"""What every rendering of a counterexample document says first: its title and its facts."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from zabmc.report.diff import changed_fields


def title(doc: Mapping[str, Any]) -> str:
    """One line: what broke, where, after how many steps."""
    variant = f", bug {doc['bug']}" if doc["bug"] else ""
    if doc["kind"] == "cti":
        return (
            f"Counterexample to induction of {doc['invariant']['name']} "
            f"(spec {doc['spec']}{variant})"
        )
    what = (
        f"{doc['invariant']['name']} is violated"
        if doc["kind"] == "invariant"
        else "Deadlock: no action is enabled"
    )
    steps = "step" if doc["length"] == 1 else "steps"
    return f"{what} after {doc['length']} {steps} (spec {doc['spec']}{variant})"


def found_by(doc: Mapping[str, Any]) -> str:
    """How the counterexample was found: the search and its settings."""
    search = doc["search"]
    if search.get("strategy") == "simulate":
        text = (
            f"random simulation, seed {doc['seed']}, walk {search.get('found_in_run')} "
            f"of at most {search.get('runs')} (up to {search.get('steps')} steps each)"
        )
        original = search.get("original_length")
        if original is not None and original != doc["length"]:
            text += f"; shrunk from {original} to {doc['length']} steps"
        return text
    if search.get("strategy") == "bfs":
        depth = search.get("depth")
        # A reduced search skips orders of steps, and with them possibly shorter paths.
        found = (
            "reduced, a path not always shortest" if search.get("reduction") else "a shortest path"
        )
        return f"breadth-first search ({found})" + ("" if depth is None else f", depth <= {depth}")
    if search.get("strategy") == "bmc":
        # --no-shortest asks once for any path within the depth: shorter ones not excluded
        which = (
            "a shortest path"
            if search.get("shortest", True)
            else "one query for a path of at most that many steps; shorter ones not excluded"
        )
        if search.get("frames"):
            # --frames: the depth counts frames, each a step and the forced receipt after it
            which = (
                "one query for a path of at most that many frames, each a step and its forced "
                "receipt; shorter ones not excluded"
            )
        if search.get("receipt_frames"):
            # --receipt-frames: the depth counts steps, laid out in F frames
            which = (
                "one query for a path of at most that many steps laid out in "
                f"{search['receipt_frames']} frames, each a step and optionally a declared "
                "receipt; shorter ones not excluded"
            )
        return f"bounded model checking with z3 ({which}), depth <= {search.get('depth')}"
    if search.get("strategy") == "induction":
        lemmas = search.get("lemmas")
        return f"{search.get('k')}-induction with z3" + (f", lemmas {lemmas}" if lemmas else "")
    return str(search.get("strategy", "unknown"))


def facts(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs describing where the counterexample comes from."""
    rows = []
    if doc["invariant"] is not None:
        name, said = doc["invariant"]["name"], doc["invariant"]["statement"]
        rows.append(("Invariant", said if said.startswith(name) else f"{name}: {said}"))
    rows.append(("Spec", doc["spec"] + (f", bug {doc['bug']}" if doc["bug"] else "")))
    bounds = ", ".join(f"{k} {v}" for k, v in doc["bounds"].items())
    options = ", ".join(doc["options"])
    rows.append(("Bounds", bounds + (f"; {options}" if options else "")))
    rows.append(("Found by", found_by(doc)))
    rows.append(("Trace id", doc["trace_id"]))
    rows.append(("zabmc", doc["zabmc_version"]))
    return rows


def step_changes(doc: Mapping[str, Any]) -> list[list[tuple[str, Any, Any]]]:
    """For each step, the variables it changed: (path, old, new); none for the initial state."""
    steps = doc["steps"]
    return [[]] + [
        changed_fields(before["state"], after["state"]) for before, after in pairwise(steps)
    ]


def broken_by(doc: Mapping[str, Any]) -> str:
    """The step that broke the property: always the last one, which the report says."""
    last = doc["steps"][-1]
    if doc["kind"] == "deadlock":
        return f"After step {last['index']} ({last['label']}) no action is enabled."
    if doc["kind"] == "cti":
        broken = ", ".join(doc.get("broken", ())) or doc["invariant"]["name"]
        return f"Step {last['index']} ({last['label']}) breaks {broken}."
    return f"Step {last['index']} ({last['label']}) broke {doc['invariant']['name']}."
