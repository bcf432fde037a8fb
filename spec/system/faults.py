"""Faults: crashes and restarts, partitions, and Zab timeouts.

A crash keeps exactly what ZooKeeper persists (the log, acceptedEpoch, currentEpoch,
the snapshot) and closes every connection of the server. A partition cuts a link
both ways and loses what was in flight on it. A leader whose connected voters fall
below a quorum shuts down at once, and so does its whole cluster (ZkV3_7_0.tla).
"""

from __future__ import annotations

from spec.system import channels as net
from spec.system.constants import FOLLOWING, LEADING, LOOKING, OBSERVING
from spec.system.params import Params
from spec.system.role_changes import (
    drop_session,
    leader_shutdown,
    learner_leaves,
    power_off,
    power_on,
)
from spec.system.state import SystemState, recorder_with, state_with


def node_crash(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``NodeCrash(i)``: i stops. A leader's cluster goes back to election; a learner's
    leader drops it (or shuts down, if it no longer has a quorum).
    """
    srv = s.servers[i]
    if not srv.online or s.recorder.crashes >= p.max_crashes:
        return None
    if srv.state == LEADING:
        s = leader_shutdown(s, p, i, crashed=i)
    elif srv.state in (FOLLOWING, OBSERVING):
        s = learner_leaves(s, p, i, crashed=True)
    return power_off(s, p, i, recorder_with(s.recorder, crashes=s.recorder.crashes + 1))


def node_start(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``NodeStart(i)``: i restarts from disk as LOOKING and starts an election."""
    if s.servers[i].online:
        return None
    return power_on(s, p, i)


def partition_start(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``PartitionStart(i, j)``: the link between i and j (i < j) goes down, both ways.

    Messages in flight on it are lost. If one was the other's leader, the learner
    goes back to election, and the leader drops it or shuts down.
    """
    if not i < j or s.recorder.partitions >= p.max_partitions:
        return None
    if not (p.zookeeper_timing or (s.servers[i].online and s.servers[j].online)):
        return None
    if net.link_cut(s.network, p.n, i, j):
        return None
    for leader, learner in ((i, j), (j, i)):
        if s.learners[learner].leader == leader:
            if p.zookeeper_timing:  # the learner notices at its own ZabTimeout
                s = drop_session(s, p, leader, learner)
            else:
                s = learner_leaves(s, p, learner)
            break
    s = state_with(s, network=net.cut_link(s.network, p.n, i, j, notes=not p.tla_election))
    return state_with(s, recorder=recorder_with(s.recorder, partitions=s.recorder.partitions + 1))


def partition_recover(s: SystemState, p: Params, i: int, j: int) -> SystemState | None:
    """``PartitionRecover(i, j)``: the link between i and j (i < j) heals."""
    if not i < j or not net.link_cut(s.network, p.n, i, j):
        return None
    return state_with(s, network=net.heal_link(s.network, p.n, i, j))


def zab_timeout(s: SystemState, p: Params, i: int) -> SystemState | None:
    """``ZabTimeout(i)``: a FOLLOWING, LEADING or OBSERVING server gives up.

    A leader steps down, taking its cluster back to election; a learner leaves its
    leader (which drops it, or shuts down without a quorum) and looks again.
    """
    srv = s.servers[i]
    if not srv.online or srv.state == LOOKING or s.recorder.timeouts >= p.max_timeouts:
        return None
    s = leader_shutdown(s, p, i) if srv.state == LEADING else learner_leaves(s, p, i)
    return state_with(s, recorder=recorder_with(s.recorder, timeouts=s.recorder.timeouts + 1))
