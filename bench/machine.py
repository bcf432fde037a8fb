"""The machine a benchmark ran on, for its report: core count and CPU model."""

from __future__ import annotations

import os
import platform
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
