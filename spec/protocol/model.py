"""Zab.tla's Init and Next, plugged into the checker engine."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, NamedTuple

from mypy_extensions import mypyc_attr

from spec.protocol.actions.broadcast import (
    follower_process_commit,
    follower_process_propose,
    leader_broadcast_propose,
    leader_process_ack,
    leader_process_request,
)
from spec.protocol.actions.discovery import (
    connect_and_follower_send_cepoch,
    follower_process_newepoch,
    leader_process_ackepoch,
    leader_process_cepoch,
)
from spec.protocol.actions.election import follow_leader, update_leader
from spec.protocol.actions.faults import restart, timeout
from spec.protocol.actions.filter import filter_nonexistent_message
from spec.protocol.actions.synchronization import (
    follower_process_commitld,
    follower_process_newleader,
    leader_process_ackld,
)
from spec.protocol.chart import server_logs, server_status, step_events
from spec.protocol.constants import (
    ACK,
    ACKEPOCH,
    ACKLD,
    BROADCAST,
    CEPOCH,
    COMMIT,
    COMMITLD,
    FOLLOWING,
    LEADING,
    LOOKING,
    NEWEPOCH,
    NEWLEADER,
    NULL_POINT,
    PROPOSE,
)
from spec.protocol.independence import ProtocolMovers
from spec.protocol.invariants import INVARIANTS, WITNESSES, first_broken_checker
from spec.protocol.params import Params
from spec.protocol.recorder import check_epoch, check_restart, check_timeout, check_transaction_num
from spec.protocol.render import render_state
from spec.protocol.state import ZabState, initial_state, members
from spec.protocol.symmetry import ServerSymmetry

# from zabmc.engine.model itself: mypyc, making the class from its base, needs that module
from zabmc.engine.model import Action, Model, Property
from zabmc.report.servers import ServerChart, ServerLog, StepEvents

#: As "message type received": any non-empty channel into the first argument.
ANY_MESSAGE: Final = -1
#: The most values of msgs whose heads successors() remembers; past it the memo starts over.
HEADS_MEMO_LIMIT: Final = 1 << 14

ServerAction = Callable[[ZabState, Params, int], "ZabState | None"]
PairAction = Callable[[ZabState, Params, int, int], "ZabState | None"]


def _learners_of(s: ZabState, i: int) -> Iterable[int]:
    """``Timeout(i, j)``'s j: i's learners but i itself (its guard asks ``j \\in
    learners[i]`` and ``state[j] = FOLLOWING``, and i leads)."""
    return members(s.learners[i] & ~(1 << i))


def _unconnected_followers(s: ZabState, i: int) -> Iterable[int]:
    """``ConnectAndFollowerSendCEPOCH(i, j)``'s j: none unless the oracle names i; then the
    followers with no leader (its guard asks ``state[j] = FOLLOWING`` and ``connectInfo[j]
    = NullPoint``)."""
    if s.leader_oracle != i:
        return ()
    role = s.state
    return [
        j for j, info in enumerate(s.connect_info) if info == NULL_POINT and role[j] == FOLLOWING
    ]


class Disjunct(NamedTuple):
    """One of Next's disjuncts. ``receives`` onwards repeat conjuncts of its guard (the
    message type at a channel's head, IsLeader or IsFollower, ``zabState[i] = BROADCAST``,
    CheckTimeout and the other bound checks, ``j \\in learners[i]``, ...) so that successors()
    tries only the arguments that can pass them, in the order Next would
    (``tests/protocol/test_fast_paths.py`` holds it to trying every argument); every action
    still checks its whole guard."""

    name: str
    fn: Callable[..., ZabState | None]
    arity: int
    #: the message type it takes from the head of a channel into its first argument
    receives: int | None = None
    #: the role its first argument must have
    first_role: int | None = None
    #: the phase (zabState) its first argument must be in
    first_phase: int | None = None
    #: the bound check it starts with (CheckTimeout, CheckEpoch, ...)
    bound: Callable[[ZabState, Params], bool] | None = None
    #: the second arguments it can take, given the first
    seconds: Callable[[ZabState, int], Iterable[int]] | None = None


#: Next's disjuncts, in Zab.tla's order.
NEXT: tuple[Disjunct, ...] = (
    Disjunct("UpdateLeader", update_leader, 1, first_role=LOOKING),
    Disjunct("FollowLeader", follow_leader, 1, first_role=LOOKING),
    Disjunct("Timeout", timeout, 2, first_role=LEADING, bound=check_timeout, seconds=_learners_of),
    Disjunct("Restart", restart, 1, bound=check_restart),
    Disjunct(
        "ConnectAndFollowerSendCEPOCH",
        connect_and_follower_send_cepoch,
        2,
        first_role=LEADING,
        seconds=_unconnected_followers,
    ),
    Disjunct("LeaderProcessCEPOCH", leader_process_cepoch, 2, CEPOCH, LEADING, bound=check_epoch),
    Disjunct("FollowerProcessNEWEPOCH", follower_process_newepoch, 2, NEWEPOCH, FOLLOWING),
    Disjunct("LeaderProcessACKEPOCH", leader_process_ackepoch, 2, ACKEPOCH, LEADING),
    Disjunct("FollowerProcessNEWLEADER", follower_process_newleader, 2, NEWLEADER, FOLLOWING),
    Disjunct("LeaderProcessACKLD", leader_process_ackld, 2, ACKLD, LEADING),
    Disjunct("FollowerProcessCOMMITLD", follower_process_commitld, 2, COMMITLD, FOLLOWING),
    Disjunct(
        "LeaderProcessRequest",
        leader_process_request,
        1,
        first_role=LEADING,
        first_phase=BROADCAST,
        bound=check_transaction_num,
    ),
    Disjunct(
        "LeaderBroadcastPROPOSE",
        leader_broadcast_propose,
        1,
        first_role=LEADING,
        first_phase=BROADCAST,
    ),
    Disjunct("FollowerProcessPROPOSE", follower_process_propose, 2, PROPOSE, FOLLOWING),
    Disjunct("LeaderProcessACK", leader_process_ack, 2, ACK, LEADING),
    Disjunct("FollowerProcessCOMMIT", follower_process_commit, 2, COMMIT, FOLLOWING),
    Disjunct("FilterNonexistentMessage", filter_nonexistent_message, 2, ANY_MESSAGE),
)

ACTION_NAMES = tuple(name for name, *_ in NEXT)

#: The actions that model failures rather than protocol progress (see ``actions/faults.py``).
FAULTS = frozenset({"Timeout", "Restart"})


@mypyc_attr(native_class=False)  # copied and given other properties (docs/compiled.md)
class ProtocolModel(Model[ZabState], ServerChart[ZabState]):
    """ZooKeeper's protocol-level Zab.tla with ``params`` as its constants."""

    name = "protocol"

    def __init__(self, params: Params) -> None:
        self.params = params
        self.servers = tuple(range(params.servers))
        self.pairs = tuple((i, j) for i in self.servers for j in self.servers)  # \E i, j
        self._actions = {name: (fn, arity) for name, fn, arity, *_ in NEXT}
        #: Next's disjuncts, each with its labels made once: ``labels[i]``, ``labels[i, j]``.
        self._next = tuple(
            (
                fn,
                arity,
                receives,
                first_role,
                first_phase,
                bound,
                seconds,
                {args: Action(name, args) for args in (*((i,) for i in self.servers), *self.pairs)},
            )
            for name, fn, arity, receives, first_role, first_phase, bound, seconds in NEXT
        )
        #: Per servers' roles and phases, Next's disjuncts with their first arguments.
        self._plans: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple, ...]] = {}
        #: Per value of msgs, its channels' heads (:meth:`_heads_of`).
        self._heads: dict[tuple, dict[int, tuple[tuple[int, int], ...]]] = {}
        #: ``_pair[i][j] == (i, j)``, made once.
        self._pair = tuple(tuple((i, j) for j in self.servers) for i in self.servers)

    def init_states(self) -> Sequence[ZabState]:
        return (initial_state(self.params.servers),)

    def successors(self, s: ZabState) -> Iterator[tuple[Action, ZabState]]:
        p = self.params
        servers = self.servers
        role = s.state
        roles = (role, s.zab_state)
        plan = self._plans.get(roles)
        if plan is None:
            plan = self._plans[roles] = self._plan(*roles)
        msgs = s.msgs
        heads = self._heads.get(msgs)
        if heads is None:
            if len(self._heads) >= HEADS_MEMO_LIMIT:
                self._heads.clear()
            heads = self._heads[msgs] = self._heads_of(msgs)
        for fn, arity, receives, first_role, firsts, bound, seconds, labels in plan:
            if bound is not None and not bound(s, p):
                continue
            if arity == 1:
                for i in firsts:
                    t = fn(s, p, i)
                    if t is not None:
                        yield labels[i,], t
            elif receives is None:
                for i in firsts:
                    for j in servers if seconds is None else seconds(s, i):
                        t = fn(s, p, i, j)
                        if t is not None:
                            yield labels[i, j], t
            else:
                for pair in heads.get(receives, ()):
                    if first_role is None or role[pair[0]] == first_role:
                        t = fn(s, p, *pair)
                        if t is not None:
                            yield labels[pair], t

    def _heads_of(self, msgs: tuple) -> dict[int, tuple[tuple[int, int], ...]]:
        """Per message type, the pairs (i, j) whose channel from j to i has one of that type
        at its head, in Next's order of pairs (and under ANY_MESSAGE every non-empty one).

        Receiving actions are enabled only on a channel whose head has their type, so these
        are found once instead of trying every action on every pair; and once per value of
        msgs (:data:`HEADS_MEMO_LIMIT`), which a state's successors often share.
        """
        heads: dict[int, list[tuple[int, int]]] = {}
        nonempty: list[tuple[int, int]] = []
        pairs = self._pair
        # Column i of msgs holds the channels into i, msgs[j][i] for each j.
        for i, column in enumerate(zip(*msgs, strict=True)):
            for j, channel in enumerate(column):
                if channel:
                    pair = pairs[i][j]
                    nonempty.append(pair)
                    heads.setdefault(channel[0][0], []).append(pair)
        found = {mtype: tuple(at) for mtype, at in heads.items()}
        found[ANY_MESSAGE] = tuple(nonempty)
        return found

    def _plan(self, role: tuple[int, ...], phase: tuple[int, ...]) -> tuple[tuple, ...]:
        """Next's disjuncts for the servers' roles ``role`` and phases ``phase``, each with
        the first arguments of its role and phase (the disjuncts none can take left out):
        the same for every state whose servers have these roles and phases."""
        plan = []
        for fn, arity, receives, first_role, first_phase, bound, seconds, labels in self._next:
            firsts = [
                i
                for i in self.servers
                if (first_role is None or role[i] == first_role)
                and (first_phase is None or phase[i] == first_phase)
            ]
            if firsts:
                plan.append((fn, arity, receives, first_role, firsts, bound, seconds, labels))
        return tuple(plan)

    def properties(self) -> Sequence[Property[ZabState]]:
        from spec.protocol.explain import EXPLANATIONS

        return [
            *(Property.always(name, fn, explain=EXPLANATIONS.get(name)) for name, fn in INVARIANTS),
            *(Property.sometimes(name, fn) for name, fn in WITNESSES),
        ]

    def symmetry(self) -> ServerSymmetry:
        return ServerSymmetry(self.params.servers)

    def invariant_checker(
        self, invariants: Sequence[Property[ZabState]]
    ) -> Callable[[ZabState], str | None]:
        """Zab.tla's invariants checked in one call (:func:`first_broken_checker`); a
        selection holding another predicate (a ``--property`` file's) is checked one by one."""
        own: dict[Callable[[ZabState], bool], str] = {fn: name for name, fn in INVARIANTS}
        if not all(own.get(p.condition) == p.name for p in invariants):
            return super().invariant_checker(invariants)
        return first_broken_checker([p.name for p in invariants])

    def movers(self) -> ProtocolMovers:  # type: ignore[override]  # it reads ZabStates
        """Receipts and requests taken alone (:mod:`spec.protocol.independence`).

        Only the spec's own properties are known to read what that module says: a property
        of the same name from a ``--property`` file is another predicate, and reads all.
        """
        own: dict[Callable[[ZabState], bool], str] = {
            fn: name for name, fn in (*INVARIANTS, *WITNESSES)
        }
        names = [p.name for p in self.properties() if own.get(p.condition) == p.name]
        return ProtocolMovers(self.params, names, self.apply)

    def apply(self, s: ZabState, action: Action) -> ZabState | None:
        """Take ``action`` from ``s``, or ``None`` when it is not enabled there."""
        entry = self._actions.get(action.name)
        if entry is None:
            raise KeyError(action.name)
        fn, arity = entry
        if len(action.args) != arity:
            raise ValueError(f"{action.name} takes {arity} server(s), got {len(action.args)}")
        return fn(s, self.params, *action.args)

    def format_action(self, action: Action) -> str:
        return f"{action.name}({', '.join(f's{a + 1}' for a in action.args)})"

    def format_state(self, s: ZabState) -> dict[str, Any]:
        return render_state(s)

    def server_names(self) -> Sequence[str]:
        return [f"s{i + 1}" for i in self.servers]

    def server_status(self, s: ZabState) -> Sequence[str]:
        return server_status(s)

    def step_events(self, before: ZabState, action: Action, after: ZabState) -> StepEvents:
        return step_events(before, action, after)

    def server_logs(self, s: ZabState) -> Sequence[ServerLog]:
        return server_logs(s)

    def is_fault(self, action: Action) -> bool:
        return action.name in FAULTS
