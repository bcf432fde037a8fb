"""Zab.tla explored the way TLC explores it, to reproduce TLC's own figures.

zabmc's default counts are exact: a state is its variables, and with
symmetry the count is the number of orbits. TLC's figures differ in three
documented ways, and this module reproduces each one so that a comparison
with TLC can be exact to the state:

1. **recorder.pc.** A TLC state carries the name and arguments of the action
   that produced it. Under a VIEW it does not count towards identity, but
   it still exists.
2. **Symmetry picks the smallest full state.** TLC permutes the whole state,
   pc included, takes the smallest permutation in its own value order
   (variables in its internal order, sets by size then elements, model
   values and strings by the order their names were first read), and only
   then applies the VIEW. Two states with the same view but different pc
   can get different permutations, so an orbit of views can count more
   than once. With Zab.tla's VIEW that gives 64,713 states where the orbits
   number 58,681.
3. **Generated states count enabled disjuncts.** When two disjuncts of an
   action hold at once (Zab.tla's ``\\/ ~outstanding \\/ hasCommitted`` in
   LeaderProcessACK, for one), TLC produces the same successor once per
   disjunct.

The value order below was read off TLC 2.18 (``ModelConfig`` is parsed
before the modules, so ``s1 < s2 < s3`` precede every other name; record
fields sort by their first appearance in MC.tla, then Zab.tla) and checked
against TLC's state dump.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter, itemgetter
from typing import Any, ClassVar, Final, TypeVar

from mypy_extensions import mypyc_attr

from spec.protocol.constants import NULL_POINT
from spec.protocol.invariants import first_broken_checker
from spec.protocol.model import ACTION_NAMES, ProtocolModel
from spec.protocol.params import Params
from spec.protocol.state import History, ZabState, zxid_to_index
from spec.protocol.symmetry import ServerSymmetry

# from zabmc.engine.model itself: mypyc, making the class from its base, needs that module
from zabmc.engine.model import Action, Model, Property

#: recorder.pc: 0 is <<"Init">>, k is the k-th action of Next, then its server arguments.
Pc = tuple[int, ...]
TlcState = tuple[ZabState, Pc]
R = TypeVar("R")
PC_CODE: Final = {name: k for k, name in enumerate(ACTION_NAMES, start=1)}

#: NullPoint sorts after every server: the servers are read first, from the config.
NULL_KEY: Final = 1 << 20


def tlc_branches(s: ZabState, action: Action) -> int:
    """How many of the action's disjuncts TLC finds enabled for this successor.

    Only LeaderProcessACK (with LeaderTryToCommit) has disjuncts that can
    hold together; every other action's disjuncts exclude each other.
    """
    if action.name != "LeaderProcessACK":
        return 1
    i, j = action.args
    msg = s.msgs[j][i][0]
    history = s.history[i]
    committed = s.last_committed[i]
    index = zxid_to_index(history, msg.mzxid)
    exist = 1 <= index <= len(history)
    acked = [k for k in range(1, len(history) + 1) if history[k - 1].ack_sid >> j & 1]
    ack_index = acked[-1] if acked else -1
    monotonic = ack_index == -1 or ack_index + 1 == index
    if not (exist and monotonic):
        return (not exist) + (not monotonic)
    not_outstanding = not committed.index < len(history)
    has_committed = not msg.mzxid > committed.zxid
    if not_outstanding or has_committed:
        return not_outstanding + has_committed
    ack_sid = history[index - 1].ack_sid | 1 << j
    before = committed.index >= index - 1
    quorum = ack_sid.bit_count() * 2 > len(s.state)
    if not (before and quorum):
        return (not before) + (not quorum)
    return 1


class TlcSymmetry:
    """``SYMMETRY Permutations(Server)`` as TLC applies it: the smallest full state wins.

    :meth:`canonical` compares the permuted states variable by variable in TLC's order
    (:meth:`variable_keys`), keeping the permutations still smallest, until one is left.
    Which ones stay after a variable depends only on that variable's value and on the
    permutations still in the race, so the answer is remembered per (those permutations,
    the value) (:attr:`MEMO_LIMIT`): most variables take few values (roles, epochs, the
    learners' masks), and a state's successors share most of its values, so the keys of
    six permutations are seldom built. With the memo of :meth:`ServerSymmetry.permute`
    a canonical form took 10 against 23 us (successors of protocol-990k's states to depth
    22); with the first variable looked up by value alone, the renamed pc remembered and
    the permutation written out per variable, 4.5 against 7.6 us (the same successors,
    another session). :meth:`canonical_by_definition` is the plain minimum that
    ``tests/protocol/test_fast_paths.py`` holds this to.
    """

    #: The most answers remembered per variable; past it that variable's memo starts over
    #: (it only holds values the search met, so a bound keeps its memory flat).
    MEMO_LIMIT: ClassVar[int] = 1 << 17

    def __init__(self, size: int) -> None:
        self.size = size
        self._servers = ServerSymmetry(size)
        self._perms = list(itertools.permutations(range(size)))
        self._inverse = {p: tuple(p.index(k) for k in range(size)) for p in self._perms}
        self._sets = {p: self._set_keys(p) for p in self._perms}
        #: Per permutation, a getter of a per-server tuple's items in the permuted order:
        #: ``reorder[p](values) == tuple(values[inverse[p][k]] for k in range(size))``.
        self._reorder = {
            p: (itemgetter(*inv) if size > 1 else lambda t: (t[0],))
            for p, inv in self._inverse.items()
        }
        # The permutations still in the race, as a bitmask over ``_perms``; per mask, its
        # permutations and, when one is left, that one.
        self._members = [
            [p for k, p in enumerate(self._perms) if mask >> k & 1]
            for mask in range(1 << len(self._perms))
        ]
        #: Per variable, its answers by (permutations in the race, value); the first
        #: variable's by value alone, since every permutation is in the race then.
        self._memos: list[dict] = [{} for _ in range(len(VARIABLE_ORDER))]
        self._everyone = (1 << len(self._perms)) - 1
        #: Per (pc, permutation), the renamed pc.
        self._pcs: dict[tuple[Pc, tuple[int, ...]], Pc] = {}

    def _set_keys(self, perm: tuple[int, ...]) -> tuple[tuple, ...]:
        """For each bitmask, TLC's key of the permuted set of servers."""
        keys = []
        for mask in range(1 << self.size):
            ids = sorted(perm[k] for k in range(self.size) if mask >> k & 1)
            keys.append((len(ids), tuple(ids)))
        return tuple(keys)

    def permute(self, st: TlcState, perm: tuple[int, ...]) -> TlcState:
        s, pc = st
        pcs = self._pcs
        moved = pcs.get((pc, perm))
        if moved is None:  # pcs are few (one per action label): each is renamed once
            moved = pcs[pc, perm] = (pc[0], *(perm[x] for x in pc[1:]))
        return (self._servers.permute(s, perm), moved)

    def canonical(self, st: TlcState) -> TlcState:
        """The permutation TLC would pick applied to ``st``: compare variable by variable,
        in TLC's order, each variable's answer remembered (see the class).

        Half of the successors are told apart by the first variable (learners): it is
        looked up by its value alone (every permutation is still in the race then), and
        the others' values are gathered only when it leaves more than one.
        """
        s, pc = st
        memos = self._memos
        learners = s.learners
        alive = memos[0].get(learners)
        keys: list | None = None  # built at the first value not remembered
        if alive is None:
            alive, keys = self._narrow(st, 0, self._everyone, keys)
            self._remember(memos[0], learners, alive)
        if alive & (alive - 1):  # more than one left
            for slot, value in enumerate((*_BEFORE_PC(s), pc[1:], *_AFTER_PC(s)), start=1):
                narrowed = memos[slot].get((alive, value))
                if narrowed is None:
                    narrowed, keys = self._narrow(st, slot, alive, keys)
                    self._remember(memos[slot], (alive, value), narrowed)
                alive = narrowed
                if not alive & (alive - 1):  # one left
                    break
        return self.permute(st, self._members[alive][0])

    def _narrow(self, st: TlcState, slot: int, alive: int, keys: list | None) -> tuple[int, list]:
        """The permutations among ``alive`` whose key of variable ``slot`` is the smallest;
        and the key functions (built if None)."""
        if keys is None:
            keys = self.variable_keys(st)
        perms = self._members[alive]
        found: list[Any] = [keys[slot](p) for p in perms]  # tuples, ints: comparable
        best = min(found)
        narrowed = 0
        for p, k in zip(perms, found, strict=True):
            if k == best:
                narrowed |= 1 << self._perms.index(p)
        return narrowed, keys

    def _remember(self, memo: dict, key: object, narrowed: int) -> None:
        """Keep an answer, the memo starting over once it holds :attr:`MEMO_LIMIT`."""
        if len(memo) >= self.MEMO_LIMIT:
            memo.clear()
        memo[key] = narrowed

    def canonical_by_definition(self, st: TlcState) -> TlcState:
        """The permutation whose keys, all variables in TLC's order, are the smallest."""
        keys = self.variable_keys(st)
        best = min(self._perms, key=lambda p: tuple(key(p) for key in keys))
        return self.permute(st, best)

    def variable_keys(self, st: TlcState) -> list[Callable[[tuple[int, ...]], object]]:
        """One key function per variable, in TLC's internal variable order (VARIABLE_ORDER).

        A key is a tuple over the permuted server positions; what a server's item is
        without renaming is worked out once, and each permutation reorders it (a C call).
        Each key reads only the value :func:`_variable_values` gives for its variable.
        """
        s, pc = st
        sets, reorder = self._sets, self._reorder

        def server(p: tuple[int, ...], x: int) -> int:
            return NULL_KEY if x == NULL_POINT else p[x]

        def history(p: tuple[int, ...], h: History) -> tuple:
            masks = sets[p]
            return (len(h), tuple([(t[0], t[1], t[3], masks[t[2]]) for t in h]))

        def message(p: tuple[int, ...], m: tuple) -> tuple:
            # Records compare by field count, then field names, then values.
            fields = m._fields  # type: ignore[attr-defined]
            if fields[1] == "mepoch":
                if len(fields) == 2:
                    return (2, 0, m[0], m[1])
                return (3, 0, m[0], m[1], history(p, m[2]))
            return (2, 1, *m) if len(fields) == 2 else (3, 1, *m)

        def per_server(values: tuple) -> Callable[[tuple[int, ...]], tuple]:
            return lambda p: reorder[p](values)

        learners = s.learners
        proposals = s.proposal_msgs_log
        ackld_recv = s.ackld_recv
        msgs = s.msgs

        def channels(p: tuple[int, ...]) -> tuple:
            order = reorder[p]
            return tuple(
                [
                    tuple([(len(ch), tuple([message(p, m) for m in ch])) for ch in order(row)])
                    for row in order(msgs)
                ]
            )

        return [
            lambda p: tuple([sets[p][m] for m in reorder[p](learners)]),
            lambda p: tuple(sorted([(r[2], r[1], p[r[0]], r[3]) for r in proposals])),
            per_server(s.state),
            # violatedInvariants does not move under permutation
            per_server(tuple([(c.zxid, c.index) for c in s.last_committed])),
            per_server(s.current_epoch),
            lambda p: tuple(
                [
                    (len(rs), tuple(sorted([(r[1], p[r[0]]) for r in rs])) if rs else ())
                    for rs in reorder[p](ackld_recv)
                ]
            ),
            lambda p: tuple([p[x] for x in pc[1:]]),  # recorder: only pc moves
            lambda p: server(p, s.leader_oracle),
            per_server(s.zab_state),
            channels,
            lambda p: tuple([server(p, x) for x in reorder[p](s.connect_info)]),
            per_server(s.accepted_epoch),
            lambda p: tuple([history(p, h) for h in reorder[p](s.history)]),
            lambda p: tuple([sets[p][e] for e in s.epoch_leader]),
            per_server(s.send_counter),
            lambda p: tuple(
                (len(rs), tuple(sorted((r.connected, p[r.sid], r.epoch) for r in rs)))
                for rs in reorder[p](s.cepoch_recv)
            ),
            lambda p: tuple(
                (
                    len(rs),
                    tuple(
                        sorted(
                            (r.connected, p[r.sid], r.peer_last_epoch, history(p, r.peer_history))
                            for r in rs
                        )
                    ),
                )
                for rs in reorder[p](s.acke_recv)
            ),
        ]


#: The variables TLC compares, in its internal order (see the module's docstring);
#: violatedInvariants is left out, as no permutation moves it.
VARIABLE_ORDER = (
    "learners",
    "proposalMsgsLog",
    "state",
    "lastCommitted",
    "currentEpoch",
    "ackldRecv",
    "recorder.pc",
    "leaderOracle",
    "zabState",
    "msgs",
    "connectInfo",
    "acceptedEpoch",
    "history",
    "epochLeader",
    "sendCounter",
    "cepochRecv",
    "ackeRecv",
)


#: The values the keys of :meth:`TlcSymmetry.variable_keys` read, in VARIABLE_ORDER after
#: learners (the first): those before recorder.pc, then pc's server arguments, then those
#: after it.
_BEFORE_PC = attrgetter(
    "proposal_msgs_log", "state", "last_committed", "current_epoch", "ackld_recv"
)
_AFTER_PC = attrgetter(
    "leader_oracle",
    "zab_state",
    "msgs",
    "connect_info",
    "accepted_epoch",
    "history",
    "epoch_leader",
    "send_counter",
    "cepoch_recv",
    "acke_recv",
)


def _on_zab_state(fn: Callable[[ZabState], R]) -> Callable[[TlcState], R]:
    """A function of the Zab state, asked of a state with its pc. (Written here, not as a
    lambda in a method: mypyc does not compile a closure in a method of a non-native class.)"""
    return lambda st: fn(st[0])


@mypyc_attr(native_class=False)  # copied and given other properties (docs/compiled.md)
class TlcCompatModel(Model[TlcState]):
    """The protocol spec with TLC's pc, TLC's symmetry and TLC's generated counts.

    ``view=True`` applies the VIEW of shared/tlc/README.md (pc left out);
    ``view=False`` makes pc part of a state's identity, as TLC does without
    a VIEW.
    """

    name = "protocol"

    def __init__(self, params: Params, view: bool = True) -> None:
        self.inner = ProtocolModel(params)
        self.use_view = view
        self._properties: tuple[Property[TlcState], ...] | None = None
        #: Per action label, the pc it records (made once: labels are few and shared).
        self._pcs: dict[Action, Pc] = {}

    def init_states(self) -> Sequence[TlcState]:
        return [(s, (0,)) for s in self.inner.init_states()]

    def successors(self, st: TlcState) -> Iterator[tuple[Action, TlcState]]:
        s, pc = st
        pcs = self._pcs
        for action, t in self.inner.successors(s):
            # FilterNonexistentMessage keeps the recorder, pc included.
            new_pc = pcs.get(action)
            if new_pc is None:
                new_pc = (
                    pc
                    if action.name == "FilterNonexistentMessage"
                    else pcs.setdefault(action, (PC_CODE[action.name], *action.args))
                )
            if action.name == "LeaderProcessACK":  # the one action with overlapping disjuncts
                for _ in range(tlc_branches(s, action)):
                    yield action, (t, new_pc)
            else:
                yield action, (t, new_pc)

    def properties(self) -> Sequence[Property[TlcState]]:
        if self._properties is None:
            self._properties = tuple(
                Property(p.name, p.expectation, _on_zab_state(p.condition), p.doc)
                for p in self.inner.properties()
            )
        return list(self._properties)

    def invariant_checker(
        self, invariants: Sequence[Property[TlcState]]
    ) -> Callable[[TlcState], str | None]:
        """The inner spec's invariants in one call (:func:`first_broken_checker`), on the Zab
        state; a selection holding another predicate is checked one by one."""
        own = {id(p) for p in TlcCompatModel.properties(self)}
        if not all(id(p) in own for p in invariants):
            return super().invariant_checker(invariants)
        inner = first_broken_checker([p.name for p in invariants])
        return _on_zab_state(inner)

    def view(self, st: TlcState) -> object:
        return st[0] if self.use_view else st

    def symmetry(self) -> TlcSymmetry:
        return TlcSymmetry(self.inner.params.servers)

    def format_action(self, action: Action) -> str:
        return self.inner.format_action(action)

    def format_state(self, st: TlcState) -> dict:
        return self.inner.format_state(st[0])
