"""Every script in ``examples/`` runs unchanged (kazoo, no zabmc import) against our cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from impl.server.local import LocalCluster

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def run(script: str, cluster: LocalCluster, via_env: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZOOKEEPER_HOSTS": cluster.connect_string()}
    args = [] if via_env else ["--hosts", cluster.connect_string()]
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env if via_env else {k: v for k, v in env.items() if k != "ZOOKEEPER_HOSTS"},
    )


def test_the_examples_are_the_five_uses_the_issue_names() -> None:
    assert SCRIPTS == [
        "exclusive_lock.py",
        "leader_election.py",
        "membership.py",
        "read_write_lock.py",
        "service_registry.py",
    ]
    for script in SCRIPTS:
        assert "zabmc" not in (EXAMPLES / script).read_text().split('"""', 2)[2]


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_against_our_cluster(script: str, shared_cluster: LocalCluster) -> None:
    done = run(script, shared_cluster, via_env=script == "exclusive_lock.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PROBLEM" not in done.stdout
