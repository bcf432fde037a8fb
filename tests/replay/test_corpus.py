"""The committed traces (traces/, traces/README.md lists them): every run of the reference
implementation conforms to the system spec; every run with a bug switch on diverges."""

from __future__ import annotations

from pathlib import Path

import pytest

from zabmc.replay.check import replay
from zabmc.replay.merge import load

TRACES = Path(__file__).resolve().parents[2] / "traces"
RUNS = sorted(p for p in TRACES.glob("*.jsonl")) + sorted(TRACES.glob("process-*"))
MUTANTS = sorted((TRACES / "mutants").glob("*.jsonl"))


def test_the_corpus_is_there():
    assert len(RUNS) >= 8 and any(p.is_dir() for p in RUNS)
    assert len(MUTANTS) >= 4


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.name)
def test_each_recorded_run_conforms(path: Path):
    (trace,) = load([str(path)])
    verdict = replay(trace)
    assert verdict.conforms, verdict.line()
    assert verdict.events == len(trace.events) > 50


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: p.stem)
def test_each_run_with_a_bug_switch_diverges(path: Path):
    (trace,) = load([str(path)])
    assert trace.header.mutations == (path.stem,)
    verdict = replay(trace)
    assert verdict.divergence is not None, f"{path.name} conforms"
