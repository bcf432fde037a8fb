"""The coarse election keeps of a vote only its leader (spec.system.election.votes.kept_vote),
and no received votes (votes.no_votes).

Keeping zxid and epoch at 0 is a sound state cut only if nothing under the coarse election
reads them: no step, no persistent-step judgement, no invariant and no witness. These tests
take states the coarse election reaches (with crashes, several epochs and the bug variants
that need them), give the votes other zxids and epochs, and check that every step's
successors (normalised), the reduction's persistent step and every property's value stay
the same; and that the spec keeps every vote so.
"""

from __future__ import annotations

import pytest

from spec.system.constants import LOOKING
from spec.system.election.votes import (
    kept_self_vote,
    kept_vote,
    own_vote_key,
    self_vote,
    vote_key,
)
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.render import render_state
from spec.system.state import SystemState, Vote
from spec.system.zxid import make_zxid
from tests.system.helpers import (
    COARSE_WALK_CONFIGS,
    assert_nothing_reads_the_difference,
    coarse_walk_states,
    random_walks,
)

CONFIGS = COARSE_WALK_CONFIGS


def _states(kw: dict) -> tuple[SystemModel, list[SystemState]]:
    return coarse_walk_states(kw, seed=7)


def _votes(s: SystemState, zxid: int, epoch: int) -> SystemState:
    """``s`` with every vote's zxid and epoch replaced (its leader kept)."""
    return s._replace(
        elections=tuple(el._replace(vote=Vote(el.vote.leader, zxid, epoch)) for el in s.elections)
    )


def _normal(s: SystemState) -> SystemState:
    return _votes(s, 0, 0)


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: kw.get("bug") or str(sorted(kw)))
def test_coarse_votes_keep_only_their_leader(kw: dict) -> None:
    _, states = _states(kw)
    assert any(el.vote.leader >= 0 for s in states for el in s.elections)
    for s in states:
        for el in s.elections:
            assert (el.vote.zxid, el.vote.epoch) == (0, 0), s
            # no notification is received: recvset and outofelection are kept as ()
            assert el.received == el.out_of_election == () and el.round == 0, s


def test_fast_leader_election_keeps_a_recvset_entry_per_server() -> None:
    p = Params(observers=1)
    model = SystemModel(p)
    (start,) = model.init_states()
    for s in [start, *random_walks(start, model.successors, 3, walks=5, steps=20)]:
        for el in s.elections:
            assert len(el.received) == len(el.out_of_election) == p.n


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: kw.get("bug") or str(sorted(kw)))
def test_nothing_reads_a_coarse_votes_zxid_or_epoch(kw: dict) -> None:
    model, states = _states(kw)
    movers = model.movers()
    checked = 0
    for s in states:
        # what the spec keeps (0, 0), and what the old spec would have kept, and nonsense
        for zxid, epoch in ((make_zxid(2, 1), 2), (make_zxid(3, 2), 1), (7, 9)):
            t = _votes(s, zxid, epoch)
            assert_nothing_reads_the_difference(model, movers, s, t, _normal)
            checked += 1
    assert checked > 1000


def test_a_coarse_report_shows_whom_a_decided_server_follows() -> None:
    model, states = _states(CONFIGS[0])
    p = model.params
    decided = next(
        s for s in states if any(srv.online and srv.state != LOOKING for srv in s.servers)
    )
    shown = render_state(decided, p)
    assert "logicalClock" not in shown
    for i, srv in enumerate(decided.servers):
        name = f"s{i + 1}"
        if srv.online and srv.state != LOOKING:
            assert shown["currentVote"][name] == f"s{decided.elections[i].vote.leader + 1}"
        else:
            assert name not in shown["currentVote"]


@pytest.mark.parametrize("coarse", [True, False])
def test_the_vote_shortcuts_are_the_votes_they_stand_for(coarse: bool) -> None:
    # own_vote_key and kept_self_vote skip building a Vote: each must stay what it names
    kw = dict(COARSE_WALK_CONFIGS[0])
    p = Params(coarse_election=coarse, observers=1, **{**kw, "max_crashes": 1})
    model = SystemModel(p)
    (start,) = model.init_states()
    checked = 0
    for s in [start, *random_walks(start, model.every_successor, 5, walks=10, steps=30)]:
        for i, srv in enumerate(s.servers):
            assert own_vote_key(p, srv, i) == vote_key(self_vote(p, srv, i))
            assert kept_self_vote(p, srv, i) == kept_vote(p, self_vote(p, srv, i))
            checked += 1
    assert checked > 100
