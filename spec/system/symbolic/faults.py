"""Faults over symbolic states (:mod:`spec.system.faults`): the configuration has no crashes
and no partitions, so only ``ZabTimeout``."""

from __future__ import annotations

from spec.system import constants as c
from spec.system.symbolic.common import Step, branch
from spec.system.symbolic.role_changes import leader_shutdown, learner_leaves
from spec.system.symbolic.state import SymSystem


def zab_timeout(step: Step, s: SymSystem, i: int) -> SymSystem:
    """``ZabTimeout(i)``: a FOLLOWING or LEADING server gives up; a leader takes its cluster
    back to election, a learner leaves its leader (which drops it, or shuts down)."""
    srv = s.servers[i]
    step.require(srv["state"] != c.LOOKING)
    step.require(s.recorder["timeouts"] < step.p.max_timeouts)
    leading = srv["state"] == c.LEADING
    s = branch(leading, leader_shutdown(step, s, i), learner_leaves(step, s, i))
    return s._replace(recorder=s.recorder.replace(timeouts=s.recorder["timeouts"] + 1))
