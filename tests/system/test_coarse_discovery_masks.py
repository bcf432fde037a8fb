"""The coarse election keeps no discovery masks once they have done their work
(spec.system.discovery.epoch_decided and epoch_established).

Once a quorum has connected, a leader's ``connecting`` is read only as "is it a quorum"
(the epoch is decided), and ``connecting_live`` and ``new_epoch`` not at all; once a quorum
has acknowledged the epoch, ``electing_quorum`` is read only as "is it a quorum" (the epoch
is established). Keeping them at fixed values is a sound state cut only if that is so for
every step, persistent-step judgement, progress measure and property. These tests take
states the coarse election reaches (crashes, several epochs, the bug variants, observers),
give those leaders other masks (any quorum where a quorum is all that may be read, anything
where nothing may be read), and check that every step's successors (normalised), the
reduction's persistent step and progress, finality and every property stay the same; that
the spec keeps the masks so; and that the fine-grained election keeps them as they are.
"""

from __future__ import annotations

import pytest

from spec.system.constants import DISCOVERY, LEADING
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.render import render_state
from spec.system.state import Leader, SystemState
from tests.system.helpers import (
    COARSE_WALK_CONFIGS,
    assert_nothing_reads_the_difference,
    coarse_walk_states,
    random_walks,
)

CONFIGS = [
    *COARSE_WALK_CONFIGS,
    dict(max_txns=1, max_epoch=3, max_crashes=1, max_timeouts=0, max_partitions=1),
]


def _states(kw: dict) -> tuple[SystemModel, list[SystemState]]:
    return coarse_walk_states(kw, seed=11)


def _decided(s: SystemState, p: Params, i: int) -> bool:
    """Leader i has had a quorum connect (it sent LEADERINFO with its new epoch)."""
    srv, ld = s.servers[i], s.leaders[i]
    if not (srv.online and srv.state == LEADING):
        return False
    # in discovery, it has decided once a quorum connected; past it, necessarily so
    return srv.zab_state != DISCOVERY or p.is_quorum(ld.connecting)


def _established(s: SystemState, i: int) -> bool:
    srv = s.servers[i]
    return srv.online and srv.state == LEADING and srv.zab_state != DISCOVERY


def _with_masks(
    s: SystemState, p: Params, connecting: int, live: int, new_epoch: int, quorum: int
) -> SystemState:
    """``s`` with the dead masks of every decided (established) leader replaced."""
    leaders = list(s.leaders)
    for i, ld in enumerate(leaders):
        if _decided(s, p, i):
            ld = ld._replace(connecting=connecting, connecting_live=live, new_epoch=new_epoch)
        if _established(s, i):
            ld = ld._replace(electing_quorum=quorum)
        leaders[i] = ld
    return s._replace(leaders=tuple(leaders))


def _normal(s: SystemState, p: Params) -> SystemState:
    every = (1 << p.n) - 1
    return _with_masks(s, p, every, 0, 0, every)


def _quorums(p: Params) -> list[int]:
    """Masks that are quorums of voters: each smallest one, and every server (observers too)."""
    size = min(m.bit_count() for m in range(1 << p.voters) if p.is_quorum(m))
    smallest = [m for m in range(1 << p.voters) if m.bit_count() == size]
    return [*smallest, (1 << p.n) - 1]


def _perturbations(p: Params) -> list[tuple[int, int, int, int]]:
    """(connecting, connecting_live, new_epoch, electing_quorum): each quorum in both places
    where only a quorum may be read, and anything where nothing may be read."""
    q = _quorums(p)
    every = (1 << p.n) - 1
    lives = [0, every, 1, every & ~1, 2]
    return [(q[k], lives[k % 5], 1 + 3 * k, q[(k + 1) % len(q)]) for k in range(len(q))]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: kw.get("bug") or str(sorted(kw)))
def test_the_coarse_spec_keeps_no_discovery_masks_once_used(kw: dict) -> None:
    model, states = _states(kw)
    p = model.params
    every = (1 << p.n) - 1
    decided = established = 0
    for s in states:
        for i, ld in enumerate(s.leaders):
            if _decided(s, p, i):
                decided += 1
                assert (ld.connecting, ld.connecting_live, ld.new_epoch) == (every, 0, 0), s
            if _established(s, i):
                established += 1
                assert ld.electing_quorum == every, s
                # LeaderSyncFollower still reads electing: it is kept
                assert ld.electing >> i & 1
    assert decided > established > 20


def test_fine_grained_election_keeps_the_masks() -> None:
    p = Params(max_txns=1, max_epoch=2, max_crashes=0, max_timeouts=0)
    model = SystemModel(p)
    (start,) = model.init_states()
    seen = set()
    for s in random_walks(start, model.successors, 5, walks=40, steps=60):
        for i, ld in enumerate(s.leaders):
            if _established(s, i):
                seen.add(ld.electing_quorum)
                assert ld.connecting != p.voter_mask
    # a leader established by two of three voters keeps those two
    assert seen and all(q != p.voter_mask for q in seen)


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: kw.get("bug") or str(sorted(kw)))
def test_nothing_reads_a_used_discovery_mask(kw: dict) -> None:
    model, states = _states(kw)
    p = model.params
    movers = model.movers()
    checked = 0
    for s in states:
        if not any(_decided(s, p, i) for i in range(p.n)):
            continue
        for masks in _perturbations(p):
            t = _with_masks(s, p, *masks)
            assert t != s
            assert_nothing_reads_the_difference(model, movers, s, t, lambda x: _normal(x, p))
            checked += 1
    assert checked > 400


def test_a_coarse_report_shows_discovery_masks_only_while_they_count() -> None:
    model, states = _states(CONFIGS[0])
    p = model.params
    gathering = established = 0
    for s in states:
        shown = render_state(s, p)
        for i, ld in enumerate(s.leaders):
            name = f"s{i + 1}"
            srv = s.servers[i]
            if not (srv.online and srv.state == LEADING):
                continue
            if _decided(s, p, i):
                assert name not in shown["connecting"] and name not in shown["tempMaxEpoch"]
            else:
                gathering += 1
                assert shown["tempMaxEpoch"][name] == ld.new_epoch
            if _established(s, i):
                established += 1
                assert name not in shown["electing"]
            else:
                assert name in shown["electing"]
    assert gathering and established


def test_leader_records_have_the_fields_this_cut_names() -> None:
    # the cut names these fields: a renamed field must fail here, not pass quietly
    assert {"connecting", "connecting_live", "new_epoch", "electing_quorum"} <= set(Leader._fields)
