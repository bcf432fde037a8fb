"""Shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zabmc import compiled

#: pytester runs the zabmc pytest plugin in a scratch project (tests/replay).
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a ``pure_python`` test in a fresh process on the modules' sources (ZABMC_PURE=1)
    when this one runs the compiled modules: what it replaces in a compiled module
    (``monkeypatch.setattr(module, "f", ...)``) would not reach the compiled callers, which
    call ``f`` in C. Its outcome there is its outcome here (docs/compiled.md)."""
    if pyfuncitem.get_closest_marker("pure_python") is None or not compiled.mode().compiled:
        return None
    env = {**os.environ, "ZABMC_PURE": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    command = [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider"]
    ran = subprocess.run(
        [*command, pyfuncitem.nodeid],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if ran.returncode != 0 or " passed" not in ran.stdout:
        pytest.fail(f"on the sources (ZABMC_PURE=1):\n{ran.stdout[-4000:]}{ran.stderr[-2000:]}")
    return True
