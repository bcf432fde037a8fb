"""Fast Leader Election alone, with no faults: every complete run elects a good leader.

From initial states whose servers hold different logs and epochs, only the FLE steps
are explored until every server has decided. In every such end state some server
leads, and its (epoch, zxid, id) is at least the own vote of every server in some
quorum; and no decision broke ElectionSafety on the way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spec.system import model as model_module
from spec.system.constants import ELECTION, LEADING, LOOKING
from spec.system.election import coarse
from spec.system.election.votes import empty_votes, self_vote, vote_key
from spec.system.invariants import election_safety
from spec.system.model import SystemModel
from spec.system.params import Params
from spec.system.role_changes import send_own_notification
from spec.system.state import Election, SystemState
from tests.system.helpers import A, B, C, build, server
from zabmc.engine import Action, CheckOptions, check_bfs

P = Params(max_timeouts=0)


class ElectionOnly(SystemModel):
    """Only the four FLE steps, from a given start, until every server has decided."""

    def __init__(self, start: SystemState) -> None:
        super().__init__(P)
        self.start = start

    def init_states(self):
        return (self.start,)

    def successors(self, s: SystemState) -> Iterator[tuple[Action, SystemState]]:
        if all(x.state != LOOKING for x in s.servers):
            return
        for action, t in super().successors(s):
            if action.name.startswith("FLE"):
                yield action, t


def looking(logs, epochs) -> SystemState:
    """Every server LOOKING with the given log and currentEpoch, its first vote sent."""
    servers = [server(LOOKING, ELECTION, h, 0, e) for h, e in zip(logs, epochs, strict=True)]
    s = build(servers)
    elections = tuple(
        Election(self_vote(P, srv, i), 1, empty_votes(3), empty_votes(3), (), False)
        for i, srv in enumerate(servers)
    )
    s = s._replace(elections=elections)
    for i in range(3):
        s = send_own_notification(s, P, i)
    return s


def good_leader(s: SystemState) -> bool:
    for x, srv in enumerate(s.servers):
        if srv.state != LEADING:
            continue
        mine = vote_key(self_vote(P, srv, x))
        below = [k for k in range(3) if vote_key(self_vote(P, s.servers[k], k)) <= mine]
        if P.is_quorum(sum(1 << k for k in below)):
            return True
    return False


@pytest.mark.parametrize(
    ("logs", "epochs"),
    [
        # s2 has the longest log of the highest epoch, s3 the highest id
        (((A,), (A, B), ()), (1, 1, 0)),
        # s1 has the highest epoch with a shorter log than s3
        (((C,), (A,), (A, B)), (2, 1, 1)),
    ],
)
def test_every_complete_fault_free_election_elects_a_good_leader(logs, epochs):
    ends: list[SystemState] = []

    def note(s: SystemState) -> None:
        if all(x.state != LOOKING for x in s.servers):
            ends.append(s)

    only = CheckOptions(invariants=["ElectionSafety"], on_state=note)
    result = check_bfs(ElectionOnly(looking(logs, epochs)), only)
    assert result.ok and result.complete  # ElectionSafety held everywhere, no stuck election
    assert ends
    for end in ends:
        assert good_leader(end), [srv.state for srv in end.servers]
        assert election_safety(end)


def test_one_election_of_three_fresh_servers_has_a_pinned_state_count():
    """One fault-free election from the initial state, FLE steps only (see
    spec/system/election/coarse.py for why several elections need the coarse option)."""
    model = SystemModel(P)
    result = check_bfs(ElectionOnly(model.init_states()[0]), CheckOptions(invariants=[]))
    assert result.ok and result.complete
    assert (result.distinct_states, result.max_depth) == (137_747, 30)


def _broken_electorates(original, mistake: str):
    """``electorates`` with a deliberate fault: it forgets the votes, or offers non-quorums."""

    def broken(s, p, i):
        srv = s.servers[i]
        if not (p.coarse_election and p.is_voter(i) and srv.online and srv.state == LOOKING):
            return []
        if mistake == "no quorum":
            return [*original(s, p, i), 1 << i]
        looking = [
            k
            for k in range(p.voters)
            if k != i and s.servers[k].online and s.servers[k].state == LOOKING
        ]
        return [1 << i | 1 << k for k in looking]  # a quorum of three, whatever the votes

    return broken


@pytest.mark.pure_python  # patches compiled modules: runs on their sources
@pytest.mark.parametrize(
    ("mistake", "explained"),
    [("ignores votes", "s2 is no such voter"), ("no quorum", "s1 is no such voter")],
)
def test_election_safety_catches_a_broken_coarse_election(monkeypatch, mistake, explained):
    """ElectionSafety is checked apart from the rule the coarse election picks quorums by:
    with that rule broken, the search reports it."""
    broken = _broken_electorates(coarse.electorates, mistake)
    monkeypatch.setattr(coarse, "electorates", broken)
    monkeypatch.setattr(model_module, "electorates", broken)
    params = Params(max_txns=1, max_timeouts=1, coarse_election=True)
    only = CheckOptions(invariants=["ElectionSafety"], check_deadlock=False)
    v = check_bfs(SystemModel(params), only).violation
    assert v is not None and v.property == "ElectionSafety"
    assert v.steps[-1].action.name == "ElectLeader"
    assert explained in v.explanation
