"""Writing a client history as it happens (the format of :mod:`zabmc.lincheck.history`).

Every line is written and flushed when its event happens, under one lock, with
``time.monotonic_ns()`` read under that lock: the lines are in time order, and a run that
dies halfway leaves a history whose outstanding operations read as unknown.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from zabmc.lincheck.history import FORMAT


class HistoryWriter:
    def __init__(self, path: Path, **header: Any) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._write({"type": "header", "format": FORMAT, **header})

    def _write(self, event: dict[str, Any]) -> int:
        with self._lock:
            if "time" not in event and event["type"] != "header":
                event["time"] = time.monotonic_ns()
            self._file.write(json.dumps(event, separators=(",", ":")) + "\n")
            self._file.flush()
            return event.get("time", 0)

    def invoke(
        self, process: int, session: str, op: str, key: str | None, args: dict[str, Any]
    ) -> None:
        self._write(
            {"type": "invoke", "process": process, "session": session, "op": op, "key": key}
            | {"args": args}
        )

    def ok(self, process: int, result: dict[str, Any]) -> None:
        self._write({"type": "ok", "process": process, "result": result})

    def info(self, process: int, why: str) -> None:
        self._write({"type": "info", "process": process, "why": why})

    def fail(self, process: int, why: str) -> None:
        self._write({"type": "fail", "process": process, "why": why})

    def nemesis(self, fault: str, detail: str) -> None:
        self._write({"type": "nemesis", "fault": fault, "detail": detail})

    def close(self) -> None:
        with self._lock:
            self._file.close()
