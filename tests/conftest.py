"""Shared by the whole suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zabmc import compiled

#: pytester runs the zabmc pytest plugin in a scratch project (tests/replay).
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

#: Per module: the node ids of its ``pure_python`` items selected to run.
_PURE_BATCHES: dict[str, list[str]] = {}
#: Per node id: whether it passed in its module's fresh process, and what that process said.
_PURE_OUTCOMES: dict[str, tuple[bool, str]] = {}
#: Where xdist's workers share the outcomes of batches (the run's temporary folder).
_SHARED: list[Path] = []
#: How long a worker waits for another's run of a batch before it gives up.
_BATCH_WAIT_S = 1800


@pytest.fixture(scope="session", autouse=True)
def _pure_python_batches_shared(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Under xdist each worker's temporary folder is in the run's, which they share."""
    _SHARED.append(tmp_path_factory.getbasetemp().parent / "pure_python")


def _runs_on_sources(item: pytest.Item) -> bool:
    return item.get_closest_marker("pure_python") is not None and compiled.mode().compiled


def _module(node_id: str) -> str:
    return node_id.split("::", 1)[0]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each module's ``pure_python`` items run together in one fresh process (a process
    start and a collection cost seconds each, and the module's cached state spaces are then
    built once): put them next to each other, where the first of them was, so that xdist
    most often hands them to one worker. (Its ``loadgroup`` would guarantee it, but it names
    a group by rewriting node ids, which pytest 9 no longer lets it do.)"""
    first: dict[str, int] = {}
    grouped: list[list[pytest.Item]] = []
    for item in items:
        if _runs_on_sources(item):
            module = _module(item.nodeid)
            if module in first:
                grouped[first[module]].append(item)
                continue
            first[module] = len(grouped)
        grouped.append([item])
    items[:] = [item for group in grouped for item in group]


def pytest_collection_finish(session: pytest.Session) -> None:
    """The batches hold the items selected to run (after ``-m`` and ``-k``)."""
    for item in session.items:
        if _runs_on_sources(item):
            _PURE_BATCHES.setdefault(_module(item.nodeid), []).append(item.nodeid)


def _run_batch(node_ids: list[str]) -> dict[str, tuple[bool, str]]:
    """Run ``node_ids`` in one fresh process on the sources: each one's outcome."""
    env = {**os.environ, "ZABMC_PURE": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    command = [sys.executable, "-m", "pytest", "-q", "-rA", "-o", "addopts="]
    ran = subprocess.run(
        [*command, "-p", "no:cacheprovider", *node_ids],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    said = f"{ran.stdout[-4000:]}{ran.stderr[-2000:]}"
    # -rA's summary names each item passed on a line: "PASSED tests/x.py::test_y[a b]"
    passed = set(re.findall(r"^PASSED (.+)$", ran.stdout, re.MULTILINE))
    return {node_id: (node_id in passed, said) for node_id in node_ids}


def _shared_batch(module: str) -> dict[str, tuple[bool, str]]:
    """The module's batch, run once per test run: under xdist the first worker to reach it
    claims and runs it, and a worker that reaches it after waits for the outcomes."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _run_batch(_PURE_BATCHES[module])
    folder = _SHARED[0]
    folder.mkdir(exist_ok=True)
    name = module.replace("/", "_")
    done = folder / f"{name}.json"
    try:
        os.close(os.open(folder / f"{name}.claim", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        deadline = time.monotonic() + _BATCH_WAIT_S
        while not done.exists():
            if time.monotonic() > deadline:
                pytest.fail(f"another worker's run of {module}'s pure_python tests never ended")
            time.sleep(0.2)
        return {k: (v[0], v[1]) for k, v in json.loads(done.read_text()).items()}
    outcomes = _run_batch(_PURE_BATCHES[module])
    written = folder / f"{name}.json.part"
    written.write_text(json.dumps(outcomes))
    written.replace(done)  # whole or not at all: a waiter never reads half of it
    return outcomes


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a ``pure_python`` test in a fresh process on the modules' sources (ZABMC_PURE=1)
    when this one runs the compiled modules: what it replaces in a compiled module
    (``monkeypatch.setattr(module, "f", ...)``) would not reach the compiled callers, which
    call ``f`` in C. Its outcome there is its outcome here (docs/compiled.md). The module's
    other such tests run in the same process, on the first one's turn."""
    if not _runs_on_sources(pyfuncitem):
        return None
    node_id = pyfuncitem.nodeid
    if node_id not in _PURE_OUTCOMES:
        _PURE_OUTCOMES.update(_shared_batch(_module(node_id)))
    passed, said = _PURE_OUTCOMES[node_id]
    if not passed:
        pytest.fail(f"on the sources (ZABMC_PURE=1):\n{said}")
    return True
