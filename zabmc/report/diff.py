"""What changed between two rendered states, variable by variable."""

from __future__ import annotations

from typing import Any


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """The (path, old, new) triples where ``after`` differs from ``before``.

    A per-server variable (a dict keyed by server) is compared server by
    server, so a step shows ``history[s2]`` rather than all of ``history``.
    """
    changes: list[tuple[str, Any, Any]] = []
    for name in after:
        old, new = before.get(name), after[name]
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new), key=str):
                if old.get(key) != new.get(key):
                    changes.append((f"{name}[{key}]", old.get(key), new.get(key)))
        else:
            changes.append((name, old, new))
    return changes
