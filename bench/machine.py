"""The machine a benchmark ran on, for its report: core count and CPU model."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def describe() -> str:
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs (nproc), {model}, Python {platform.python_version()}"


def in_fresh_process(script: str, config: dict, mode: str) -> dict:
    """One row of ``script`` run as ``script --row CONFIG MODE`` in a fresh interpreter (so
    no row's memory or caches reach the next), read back from its last line of JSON."""
    out = subprocess.run(
        [sys.executable, script, "--row", json.dumps(config), mode],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.splitlines()[-1])
