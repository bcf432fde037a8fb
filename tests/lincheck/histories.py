"""Building histories by hand for the checker's tests: ``H().call(...)`` adds an operation with
its real-time bounds; ``.lines()`` is the JSON-lines history."""

from __future__ import annotations

import json
from typing import Any

from zabmc.lincheck.history import FORMAT, History, parse_history


class H:
    def __init__(self) -> None:
        self.events: list[tuple[int, int, dict[str, Any]]] = []
        self.process = 0

    def call(
        self,
        session: str,
        start: int,
        end: int | None,
        op: str,
        key: str | None = "/r",
        result: dict[str, Any] | None = None,
        **args: Any,
    ) -> H:
        """One operation of its own client process, invoked at ``start`` and answered with
        ``result`` at ``end`` (``end=None``: the outcome is unknown)."""
        self.process += 1
        p = self.process
        call = {"type": "invoke", "process": p, "session": session, "time": start}
        call |= {"op": op, "key": key, "args": args}
        self.events.append((start, len(self.events), call))
        if end is not None:
            done = {"type": "ok", "process": p, "time": end, "result": result or {}}
            self.events.append((end, len(self.events), done))
        return self

    def lines(self) -> list[str]:
        out = [json.dumps({"type": "header", "format": FORMAT})]
        out += [json.dumps(e) for _, _, e in sorted(self.events, key=lambda t: (t[0], t[1]))]
        return out

    def history(self) -> History:
        return parse_history(self.lines())
