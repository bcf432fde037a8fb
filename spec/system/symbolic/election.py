"""The coarse election over symbolic states (:mod:`spec.system.election.coarse`):
``ElectLeader(i, quorum)`` and ``FollowLeader(i, j)``."""

from __future__ import annotations

import z3

from spec.system import constants as c
from spec.system.ghost import ELECTION_UNSOUND
from spec.system.params import Params
from spec.system.symbolic.common import Step, breach, is_quorum, put
from spec.system.symbolic.role_changes import (
    kept_vote,
    self_vote,
    turn_to_leading,
    turn_to_learning,
)
from spec.system.symbolic.state import SymSystem
from zabmc.symbolic.values import SMask, SRecord, disj


def vote_key_gt(a: SRecord, b: SRecord) -> z3.BoolRef:
    """(epoch, zxid, id) of vote ``a`` above vote ``b``'s."""
    az, bz = a["zxid"], b["zxid"]
    return z3.Or(
        a["epoch"] > b["epoch"],
        z3.And(
            a["epoch"] == b["epoch"],
            z3.Or(
                az["epoch"] > bz["epoch"],
                z3.And(
                    az["epoch"] == bz["epoch"],
                    z3.Or(
                        az["counter"] > bz["counter"],
                        z3.And(az["counter"] == bz["counter"], a["leader"] > b["leader"]),
                    ),
                ),
            ),
        ),
    )


def beats(p: Params, new: SRecord, current: SRecord) -> z3.BoolRef:
    """``totalOrderPredicate``: ``new`` is for a voter and higher by (epoch, zxid, id)."""
    return z3.And(new["leader"] >= 0, new["leader"] < p.voters, vote_key_gt(new, current))


def quorums(p: Params, i: int) -> list[int]:
    """Every electorate ElectLeader(i, quorum) may name: quorums of voters that hold i."""
    return [m for m in range(1 << p.voters) if m >> i & 1 and p.is_quorum(m)]


def elect_leader(step: Step, s: SymSystem, i: int, quorum: int) -> SymSystem:
    """``ElectLeader(i)`` with electorate ``quorum``: i leads, the others follow it."""
    p = step.p
    srv = s.servers[i]
    mine = self_vote(srv, i)
    # quorum in electorates(s, p, i): i is LOOKING, and so is every other member, whose own
    # vote i's beats (every server is up and no link is cut in the configuration)
    step.require(srv["state"] == c.LOOKING)
    for k in range(p.voters):
        if k != i and quorum >> k & 1:
            other = s.servers[k]
            step.require(other["state"] == c.LOOKING)
            step.require(beats(p, mine, self_vote(other, k)))
    unsound = unsound_electorate(s, p, i, quorum)
    s = breach(s, ELECTION_UNSOUND, i, unsound, when=unsound != c.NULL)
    for k in range(p.voters):
        if quorum >> k & 1:
            s = s._replace(votes=put(s.votes, k, kept_vote(i)))
            s = turn_to_leading(step, s, k) if k == i else turn_to_learning(step, s, k)
    return s


def unsound_electorate(s: SymSystem, p: Params, i: int, quorum: int) -> z3.ArithRef:
    """ElectionSafety's check (coarse.unsound_electorate): the first member of ``quorum``
    that could not have decided for i, or NULL."""
    if not (quorum >> i & 1 and p.is_quorum(quorum)) or quorum >> p.voters:
        return z3.IntVal(i)
    mine = self_vote(s.servers[i], i)
    found = z3.IntVal(c.NULL)
    for k in reversed(range(p.voters)):
        if not quorum >> k & 1:
            continue
        srv = s.servers[k]
        bad = z3.Or(srv["state"] != c.LOOKING, vote_key_gt(self_vote(srv, k), mine))
        found = z3.If(bad, k, found)
    return found


def follow_leader(step: Step, s: SymSystem, i: int, j: int) -> SymSystem:
    """``FollowLeader(i, j)``: LOOKING i joins leader j, which a quorum has decided for."""
    p = step.p
    step.require(s.servers[i]["state"] == c.LOOKING)
    step.require(s.servers[j]["state"] == c.LEADING)
    decided = SMask(
        tuple(
            z3.And(
                disj([s.servers[k]["state"] == c.LEADING, s.servers[k]["state"] == c.FOLLOWING]),
                s.votes[k]["leader"] == j,
            )
            if k < p.voters
            else z3.BoolVal(False)
            for k in range(step.layout.servers)
        )
    )
    step.require(is_quorum(p, decided))
    s = s._replace(votes=put(s.votes, i, s.votes[j]))
    return turn_to_learning(step, s, i)


__all__ = ["elect_leader", "follow_leader", "quorums"]
