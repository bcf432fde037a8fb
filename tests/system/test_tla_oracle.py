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

from spec.system.model import STEPS
from spec.system.tla_oracle import (
    oracle_params,
    replay_tla_behaviour,
    spec_projection,
    tla_initial_state,
    tla_projection,
)
from zabmc.tlc.parse import parse_dump
from zabmc.tlc.values import Fn, ModelValue

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zk37_traces"
TRACES = sorted(FIXTURES.glob("trace-*.dump.xz"))


@cache
def behaviour(path: Path) -> list[dict]:
    return parse_dump(lzma.decompress(path.read_bytes()).decode(), str(path))


def test_there_are_enough_traces_and_each_is_a_tla_behaviour_of_several_steps():
    assert len(TRACES) >= 200
    for path in TRACES:
        states = behaviour(path)
        assert len(states) > 4 and states[0]["pc"] == ("Init",)
        assert all(s["pc"][0] in STEPS for s in states[1:]), path


def test_the_tla_init_is_the_spec_started_as_the_tla_starts():
    p = oracle_params()
    ours = spec_projection(tla_initial_state(p))
    for path in TRACES:
        assert tla_projection(behaviour(path)[0], p.n) == ours, path


def test_a_changed_trace_is_reported_at_its_step():
    """The replay is a check that can fail: a trace whose third state is edited (every
    server in BROADCAST) diverges there, with a report naming the state and the field."""
    states = list(behaviour(TRACES[0]))
    everyone = frozenset((ModelValue(f"s{k}"), ModelValue("BROADCAST")) for k in (1, 2, 3))
    edited = {**states[2], "zabState": Fn(everyone)}
    d = replay_tla_behaviour([states[0], states[1], edited, *states[3:]])
    assert d is not None and d.step == 3
    assert "zabState: TLA+ 'BROADCAST', spec 'ELECTION'" in d.reason
    assert d.report("x").startswith("x: diverges at State 3")


def test_every_trace_replays():
    for path in TRACES:
        d = replay_tla_behaviour(behaviour(path))
        assert d is None, d.report(str(path.relative_to(FIXTURES.parent.parent.parent)))
