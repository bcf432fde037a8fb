"""ZooKeeper's own TLA+ as the system spec's oracle: TLC simulation traces of
ZkV3_7_0.tla (tests/fixtures/zk37_traces/, made by bench/tlc/zk37/generate.py), read with
zabmc.tlc's grammar and replayed on the system spec (spec/system/tla_oracle.py says how the
two map, and where their granularity differs).

Every trace replays: test_every_trace_replays fails on the first that does not, with the
replay's divergence report. test_a_changed_trace_is_reported_at_its_step shows that the
comparison can fail.
"""

from __future__ import annotations

import lzma
from functools import cache
from pathlib import Path

import pytest

from spec.system.model import STEPS
from spec.system.tla_oracle import (
    oracle_params,
    replay_tla_behaviour,
    spec_projection,
    tla_initial_state,
    tla_projection,
)
from zabmc.tlc.parse import TlcParseError, parse_dump, parse_states
from zabmc.tlc.values import Fn, ModelValue

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zk37_traces"
TRACES = sorted(FIXTURES.glob("trace-*.dump.xz"))


@cache
def behaviour(path: Path) -> list[dict]:
    return parse_states(lzma.decompress(path.read_bytes()).decode(), str(path))


def test_there_are_enough_traces_and_each_is_a_tla_behaviour_of_several_steps():
    assert len(TRACES) >= 200
    for path in TRACES:
        states = behaviour(path)
        assert len(states) > 4 and states[0]["pc"] == ("Init",)
        assert all(s["pc"][0] in STEPS for s in states[1:]), path


def test_the_fixtures_read_fast_read_as_a_dump_is_read():
    """parse_states (each distinct value parsed once) reads what the grammar's dump rule
    reads, and names the line of a value that is not TLC's syntax."""
    text = lzma.decompress(TRACES[-1].read_bytes()).decode()
    assert parse_states(text, "t") == parse_dump(text, "t")
    broken = text.replace("/\\ zabState = (s1 :> ELECTION", "/\\ zabState = (s1 :>> ELECTION", 1)
    line = broken[: broken.index(":>>")].count("\n") + 1
    with pytest.raises(TlcParseError, match=rf"^t:{line}: zabState: not TLC value syntax"):
        parse_states(broken, "t")


def test_the_tla_init_is_the_spec_started_as_the_tla_starts():
    p = oracle_params()
    ours = spec_projection(tla_initial_state(p))
    for path in TRACES:
        assert tla_projection(behaviour(path)[0], p.n) == ours, path


EVERYONE = tuple(ModelValue(f"s{k}") for k in (1, 2, 3))


@pytest.mark.parametrize(
    ("variable", "value", "report"),
    [
        ("zabState", ModelValue("BROADCAST"), "zabState: TLA+ 'BROADCAST', spec 'ELECTION'"),
        ("logicalClock", 1, "logicalClock: TLA+ 1, spec 0"),
    ],
)
def test_a_changed_trace_is_reported_at_its_step(variable, value, report):
    """The replay is a check that can fail: a trace whose third state is edited (a variable
    of the servers' or of their election, the same value for each server) diverges there,
    with a report naming the state and the field."""
    states = list(behaviour(TRACES[0]))
    edited = {**states[2], variable: Fn(frozenset((k, value) for k in EVERYONE))}
    d = replay_tla_behaviour([states[0], states[1], edited, *states[3:]])
    assert d is not None and d.step == 3
    assert report in d.reason
    assert d.report("x").startswith("x: diverges at State 3")


def test_every_trace_replays():
    for path in TRACES:
        d = replay_tla_behaviour(behaviour(path))
        assert d is None, d.report(str(path.relative_to(FIXTURES.parent.parent.parent)))
