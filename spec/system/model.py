"""The system spec's Init and Next, plugged into the checker engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from mypy_extensions import mypyc_attr

from spec.system import candidates as who
from spec.system.broadcast import (
    follower_process_commit,
    follower_process_proposal,
    leader_log_synced,
    leader_process_ack,
    leader_process_request,
)
from spec.system.candidates import PairSelector, ServerSelector
from spec.system.constants import (
    ACK,
    ACKEPOCH,
    COMMIT,
    DIFF,
    FOLLOWERINFO,
    INFORM,
    LEADERINFO,
    NEWLEADER,
    PROPOSAL,
    SNAP,
    TRUNC,
    UPTODATE,
)
from spec.system.discovery import (
    connect_and_follower_send_followerinfo,
    follower_process_leaderinfo,
    leader_process_ackepoch,
    leader_process_followerinfo,
)
from spec.system.election.actions import (
    fle_handle_notmsg,
    fle_notmsg_timeout,
    fle_receive_notmsg,
    fle_wait_new_notmsg,
)
from spec.system.election.coarse import (
    elect_leader,
    elect_leader_each,
    electorates,
    follow_leader,
)
from spec.system.faults import (
    node_crash,
    node_start,
    partition_recover,
    partition_start,
    zab_timeout,
)
from spec.system.independence import SystemMovers
from spec.system.init import initial_state
from spec.system.observers import observer_process_inform
from spec.system.params import Params
from spec.system.state import SystemState, members
from spec.system.synchronization import (
    follower_process_commit_in_sync,
    follower_process_newleader,
    follower_process_newleader_after_current_epoch_updated,
    follower_process_proposal_in_sync,
    follower_process_sync_message,
    follower_process_uptodate,
    follower_sync_processor_log_request,
    leader_process_ackld,
    leader_sync_follower,
)
from zabmc.engine import Action, Property

# from where it is defined: mypyc's code for a class with a base of an uncompiled module
# refers to that module
from zabmc.engine.model import Model
from zabmc.report.servers import ServerChart, ServerLog, StepEvents

Step = Callable[..., "SystemState | None"]

#: Steps of one server, in Next's order, each with who may take it (:mod:`.candidates`).
SERVER_STEPS: tuple[tuple[str, Step, ServerSelector], ...] = (
    ("FLENotmsgTimeout", fle_notmsg_timeout, who.poll_timeout),
    ("FLEHandleNotmsg", fle_handle_notmsg, who.handle),
    ("FLEWaitNewNotmsg", fle_wait_new_notmsg, who.wait),
    ("NodeCrash", node_crash, who.crash),
    ("NodeStart", node_start, who.start),
    ("ZabTimeout", zab_timeout, who.zab_timeout),
    ("LeaderProcessRequest", leader_process_request, who.request),
    ("FollowerSyncProcessorLogRequest", follower_sync_processor_log_request, who.log_request),
)

#: Steps of a pair that take no message, in Next's order, each with who may take it.
PAIR_STEPS: tuple[tuple[str, Step, PairSelector], ...] = (
    ("FollowLeader", follow_leader, who.follow),
    ("PartitionStart", partition_start, who.cut),
    ("PartitionRecover", partition_recover, who.heal),
    ("ConnectAndFollowerSendFOLLOWERINFO", connect_and_follower_send_followerinfo, who.connect),
    ("LeaderSyncFollower", leader_sync_follower, who.sync),
)

#: The steps that may take a Zab message of each type: (i, j) takes the head of j -> i.
RECEIVE_STEPS: dict[int, tuple[tuple[str, Step], ...]] = {
    FOLLOWERINFO: (("LeaderProcessFOLLOWERINFO", leader_process_followerinfo),),
    LEADERINFO: (("FollowerProcessLEADERINFO", follower_process_leaderinfo),),
    ACKEPOCH: (("LeaderProcessACKEPOCH", leader_process_ackepoch),),
    DIFF: (("FollowerProcessSyncMessage", follower_process_sync_message),),
    TRUNC: (("FollowerProcessSyncMessage", follower_process_sync_message),),
    SNAP: (("FollowerProcessSyncMessage", follower_process_sync_message),),
    PROPOSAL: (
        ("FollowerProcessPROPOSALInSync", follower_process_proposal_in_sync),
        ("FollowerProcessPROPOSAL", follower_process_proposal),
    ),
    COMMIT: (
        ("FollowerProcessCOMMITInSync", follower_process_commit_in_sync),
        ("FollowerProcessCOMMIT", follower_process_commit),
    ),
    NEWLEADER: (
        ("FollowerProcessNEWLEADER", follower_process_newleader),
        (
            "FollowerProcessNEWLEADERAfterCurrentEpochUpdated",
            follower_process_newleader_after_current_epoch_updated,
        ),
    ),
    UPTODATE: (("FollowerProcessUPTODATE", follower_process_uptodate),),
    # the first ACK a LearnerHandler reads after NEWLEADER, then the others
    ACK: (
        ("LeaderProcessACKLD", leader_process_ackld),
        ("LeaderProcessACK", leader_process_ack),
    ),
    INFORM: (("ObserverProcessINFORM", observer_process_inform),),
}

#: Every step, by name, with the number of servers it takes.
STEPS: dict[str, tuple[Step, int]] = {
    "FLEReceiveNotmsg": (fle_receive_notmsg, 2),
    "ElectLeader": (elect_leader, 2),
    **{name: (fn, 1) for name, fn, _ in SERVER_STEPS},
    **{name: (fn, 2) for name, fn, _ in PAIR_STEPS},
    **{name: (fn, 2) for steps in RECEIVE_STEPS.values() for name, fn in steps},
}

ACTION_NAMES = tuple(STEPS)


# A Python class though its methods are compiled (docs/compiled.md): others subclass it
# (scenarios.StartingFrom, zabmc.drive), and with_properties copies it and sets attributes.
@mypyc_attr(native_class=False)
class SystemModel(Model[SystemState], ServerChart[SystemState]):
    """Fast Leader Election and Zab 1.0 as ZooKeeper runs them, with ``params`` as bounds."""

    name = "system"
    asymmetry_reason = (
        "Fast Leader Election compares server ids (a vote for a higher id wins a tie)"
    )

    def __init__(self, params: Params) -> None:
        self.params = params
        self.servers = tuple(range(params.n))
        self.pairs = tuple((i, j) for i in self.servers for j in self.servers if i != j)
        masks = range(1 << params.n)
        #: The servers of each mask, in id order.
        self._members = tuple(tuple(members(mask)) for mask in masks)
        #: The pairs (i, j), i != j, of i in one mask and j in another, in the order of
        #: ``pairs``: ``_pairs[firsts][seconds]``.
        self._pairs = tuple(
            tuple(tuple((i, j) for i, j in self.pairs if a >> i & 1 and b >> j & 1) for b in masks)
            for a in masks
        )
        #: The label of each step with its servers, made once: ``_labels[name][args]``.
        every_args = (*((i,) for i in self.servers), *self.pairs, *((i, i) for i in self.servers))
        self._labels: dict[str, dict[tuple[int, ...], Action]] = {
            name: {args: Action(name, args) for args in every_args} for name in STEPS
        }
        self._relaxed = replace(params, max_timeouts=params.max_timeouts + 1)
        self._own_properties: tuple[Property[SystemState], ...] | None = None

    def init_states(self) -> Sequence[SystemState]:
        return (initial_state(self.params),)

    def successors(self, s: SystemState) -> Iterator[tuple[Action, SystemState]]:
        """Next: every step of every server and pair, in Next's order, each tried only for
        the servers that may take it in ``s`` (:mod:`spec.system.candidates`)."""
        p = self.params
        n = p.n
        r = who.roles(s, p)
        up, every = r.up, r.every
        members, pairs = self._members, self._pairs
        notes, msgs = s.network.notes, s.network.msgs
        labels = self._labels
        if not p.coarse_election:
            receipts = labels["FLEReceiveNotmsg"]
            for pair in pairs[up][every]:
                i, j = pair
                if notes[j * n + i]:
                    t = fle_receive_notmsg(s, p, i, j)
                    if t is not None:
                        yield receipts[pair], t
            electing: tuple[int, ...] = ()
        else:
            electing = members[who.elect(r, p)]
        for i in electing:
            for quorum, t in elect_leader_each(s, p, i):
                yield Action("ElectLeader", (i, quorum)), t
        for name, fn, selector in SERVER_STEPS:
            for i in members[selector(r, p)]:
                t = fn(s, p, i)
                if t is not None:
                    yield labels[name][i,], t
        for name, fn, pair_selector in PAIR_STEPS:
            firsts, seconds = pair_selector(r, p)
            for pair in pairs[firsts][seconds]:
                t = fn(s, p, *pair)
                if t is not None:
                    yield labels[name][pair], t
        for i in members[who.own_ack(r, p)]:
            t = leader_log_synced(s, p, i)
            if t is not None:
                yield labels["LeaderProcessACK"][i, i], t
        for pair in pairs[up][every]:  # a receiver that is down takes nothing
            i, j = pair
            channel = msgs[j * n + i]
            if channel:
                for name, fn in RECEIVE_STEPS[channel[0][0]]:
                    t = fn(s, p, i, j)
                    if t is not None:
                        yield labels[name][pair], t

    def every_successor(self, s: SystemState) -> Iterator[tuple[Action, SystemState]]:
        """Next as written: every step tried for every server and pair, in the order of
        :meth:`successors`, which must give exactly these (``tests/system/test_candidates.py``).
        """
        p = self.params
        n = p.n
        notes, msgs = s.network.notes, s.network.msgs
        for i, j in self.pairs:
            if notes[j * n + i]:
                t = fle_receive_notmsg(s, p, i, j)
                if t is not None:
                    yield Action("FLEReceiveNotmsg", (i, j)), t
        if p.coarse_election:
            for i in self.servers:
                for quorum in electorates(s, p, i):
                    t = elect_leader(s, p, i, quorum)
                    if t is not None:
                        yield Action("ElectLeader", (i, quorum)), t
        for name, fn, _ in SERVER_STEPS:
            for i in self.servers:
                t = fn(s, p, i)
                if t is not None:
                    yield Action(name, (i,)), t
        for name, fn, _ in PAIR_STEPS:
            for i, j in self.pairs:
                t = fn(s, p, i, j)
                if t is not None:
                    yield Action(name, (i, j)), t
        if p.zookeeper_timing:
            for i in self.servers:
                t = leader_log_synced(s, p, i)
                if t is not None:
                    yield Action("LeaderProcessACK", (i, i)), t
        for i, j in self.pairs:
            channel = msgs[j * n + i]
            if channel:
                for name, fn in RECEIVE_STEPS[channel[0][0]]:
                    t = fn(s, p, i, j)
                    if t is not None:
                        yield Action(name, (i, j)), t

    def __getstate__(self) -> dict[str, Any]:
        # Ray pickles the model into each partition's actor; the built properties hold
        # compiled functions (mypyc's), which do not pickle, so the copy builds its own.
        state = dict(self.__dict__)
        state["_own_properties"] = None
        return state

    def __copy__(self) -> SystemModel:
        # A copy in this process (with_properties) keeps the built properties: movers()
        # knows the spec's own by identity, and a user's list may hold them.
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    def properties(self) -> Sequence[Property[SystemState]]:
        # Built once per model, so that movers() can tell the spec's own properties, by
        # identity, from a user's property of the same name.
        if self._own_properties is None:
            from spec.system.explain import EXPLANATIONS
            from spec.system.invariants import INVARIANTS, memoized, witnesses

            always = (
                Property.always(name, memoized(name, fn), explain=EXPLANATIONS.get(name))
                for name, fn in INVARIANTS
            )
            # A witness reads a field or two of each server or learner: cheaper to read
            # than to look up, and a memo of them held whole groups of states to the end.
            sometimes = (Property.sometimes(name, fn) for name, fn in witnesses(self.params))
            self._own_properties = (*always, *sometimes)
        return self._own_properties

    def invariant_checker(
        self, invariants: Sequence[Property[SystemState]]
    ) -> Callable[[SystemState], str | None]:
        """The spec's own invariants checked in one call, memoized on the part of a state they
        read (:func:`spec.system.invariants.first_broken_checker`); a selection holding a
        property of someone else's (a ``--property`` file's) is checked one by one."""
        own = {id(prop) for prop in type(self).properties(self)}
        if not all(id(prop) in own for prop in invariants):
            return super().invariant_checker(invariants)
        from spec.system.invariants import first_broken_checker

        return first_broken_checker([prop.name for prop in invariants])

    def movers(self) -> SystemMovers:  # type: ignore[override]  # takes SystemState
        """The receipts of notifications that may be chained (:mod:`spec.system.independence`).

        Only the spec's own properties are known to read what that module says: a property
        of the same name from a ``--property`` file is another predicate, and reads all.
        """
        own = {id(prop) for prop in type(self).properties(self)}
        names = [prop.name for prop in self.properties() if id(prop) in own]
        return SystemMovers(self.params, names)

    def is_final(self, s: SystemState) -> bool:
        """A state with no successor is final when the timeout budget is spent.

        Every server that is up can always move on once it times out (a LOOKING
        server re-sends its vote, any other gives up its leader or quorum), so a run
        only stops because ``max_timeouts`` forbids the next timeout. A state where
        one more timeout would still leave nothing to do is a real deadlock.
        """
        relaxed = self._relaxed
        return any(
            zab_timeout(s, relaxed, i) is not None or fle_notmsg_timeout(s, relaxed, i) is not None
            for i in self.servers
        )

    def apply(self, s: SystemState, action: Action) -> SystemState | None:
        """Take ``action`` from ``s``, or ``None`` when it is not enabled there."""
        entry = STEPS.get(action.name)
        if entry is None:
            raise KeyError(action.name)
        fn, arity = entry
        if len(action.args) != arity:
            raise ValueError(f"{action.name} takes {arity} server(s), got {len(action.args)}")
        args = action.args
        if action.name in ("PartitionStart", "PartitionRecover"):
            args = tuple(sorted(args))  # a link has no direction; the spec names it low id first
        return fn(s, self.params, *args)

    def format_action(self, action: Action) -> str:
        if action.name == "ElectLeader":
            i, quorum = action.args
            voters = ", ".join(f"s{k + 1}" for k in range(self.params.n) if quorum >> k & 1)
            return f"ElectLeader(s{i + 1}, quorum {{{voters}}})"
        return f"{action.name}({', '.join(f's{a + 1}' for a in action.args)})"

    def format_state(self, s: SystemState) -> dict[str, Any]:
        from spec.system.render import render_state

        return render_state(s, self.params)

    def server_names(self) -> Sequence[str]:
        return [f"s{i + 1}" for i in self.servers]

    def server_status(self, s: SystemState) -> Sequence[str]:
        from spec.system.chart import server_status

        return server_status(s)

    def step_events(self, before: SystemState, action: Action, after: SystemState) -> StepEvents:
        from spec.system.chart import step_events

        return step_events(before, action, after, self.params)

    def server_logs(self, s: SystemState) -> Sequence[ServerLog]:
        from spec.system.chart import server_logs

        return server_logs(s)

    def is_fault(self, action: Action) -> bool:
        return action.name in FAULTS


#: What the environment does to the servers, as opposed to protocol progress: crashes,
#: restarts, cut and healed links, and timeouts (a notification timeout included).
FAULTS = frozenset(
    {
        "NodeCrash",
        "NodeStart",
        "PartitionStart",
        "PartitionRecover",
        "ZabTimeout",
        "FLENotmsgTimeout",
    }
)

__all__ = ["ACTION_NAMES", "STEPS", "SystemModel"]
