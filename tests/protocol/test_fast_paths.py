"""The protocol spec's fast paths give what their plain definitions give.

``ServerSymmetry.permute`` (records built in C, untouched parts kept, the identity as
the state itself, each variable's image remembered) against a renaming written as the
definition reads, on every state of a space for every permutation; TLC's canonical form
(each variable's narrowing of the permutations remembered) against the smallest
permutation by all its keys; ``ProtocolModel.successors`` (only arguments that can pass
each guard's first conjuncts) against Next tried on every argument; the invariants checked
in one call (``ProtocolModel.invariant_checker``) against checking each property in turn,
on reached states and on states changed so that each invariant breaks.
"""

from __future__ import annotations

import itertools
from functools import cache

from spec.protocol import Params, ProtocolModel
from spec.protocol.constants import (
    ACKEPOCH,
    BROADCAST,
    FOLLOWING,
    LEADING,
    NEWLEADER,
    NULL_POINT,
)
from spec.protocol.invariants import (
    INVARIANTS,
    commits_agree,
    local_primary_order,
    nothing_committed,
)
from spec.protocol.model import ACTION_NAMES, NEXT
from spec.protocol.state import (
    AckeInfo,
    AckldInfo,
    CepochInfo,
    LastCommitted,
    ProposalRecord,
    Txn,
    ZabState,
    put,
)
from spec.protocol.symmetry import ServerSymmetry
from spec.protocol.tlc_compat import TlcCompatModel
from zabmc.engine import Action, CheckOptions, check_bfs
from zabmc.engine.model import first_broken


@cache
def reached(t: int, x: int, e: int) -> tuple[ZabState, ...]:
    """Every state of 3 servers at bounds T, X, E (no restarts)."""
    states: list[ZabState] = []
    model = ProtocolModel(Params(3, t, x, e, 0))
    check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append))
    return tuple(states)


def renamed(s: ZabState, perm: tuple[int, ...]) -> ZabState:
    """Server k renamed ``perm[k]`` everywhere, sets of records sorted: the definition."""
    n = len(s.state)
    inv = [perm.index(k) for k in range(n)]

    def per_server(values: tuple) -> tuple:
        return tuple(values[inv[k]] for k in range(n))

    def mask(m: int) -> int:
        return sum(1 << perm[k] for k in range(n) if m >> k & 1)

    def sid(x: int) -> int:
        return x if x == NULL_POINT else perm[x]

    def history(h: tuple) -> tuple:
        return tuple(Txn(t.zxid, t.value, mask(t.ack_sid), t.epoch) for t in h)

    def message(m: tuple) -> tuple:
        return m._replace(mhistory=history(m.mhistory)) if m[0] in (ACKEPOCH, NEWLEADER) else m

    return ZabState(
        state=per_server(s.state),
        zab_state=per_server(s.zab_state),
        accepted_epoch=per_server(s.accepted_epoch),
        current_epoch=per_server(s.current_epoch),
        history=tuple(history(h) for h in per_server(s.history)),
        last_committed=per_server(s.last_committed),
        learners=tuple(mask(m) for m in per_server(s.learners)),
        cepoch_recv=tuple(
            tuple(sorted(CepochInfo(perm[c.sid], c.connected, c.epoch) for c in rs))
            for rs in per_server(s.cepoch_recv)
        ),
        acke_recv=tuple(
            tuple(
                sorted(
                    AckeInfo(perm[a.sid], a.connected, a.peer_last_epoch, history(a.peer_history))
                    for a in rs
                )
            )
            for rs in per_server(s.acke_recv)
        ),
        ackld_recv=tuple(
            tuple(sorted(AckldInfo(perm[a.sid], a.connected) for a in rs))
            for rs in per_server(s.ackld_recv)
        ),
        send_counter=per_server(s.send_counter),
        connect_info=tuple(sid(x) for x in per_server(s.connect_info)),
        leader_oracle=sid(s.leader_oracle),
        msgs=tuple(
            tuple(tuple(message(m) for m in ch) for ch in per_server(row))
            for row in per_server(s.msgs)
        ),
        epoch_leader=tuple(mask(m) for m in s.epoch_leader),
        proposal_msgs_log=tuple(
            sorted(
                ProposalRecord(perm[r.source], r.epoch, r.zxid, r.data) for r in s.proposal_msgs_log
            )
        ),
        violated_invariants=s.violated_invariants,
        recorder=s.recorder,
    )


def test_permute_renames_as_the_definition_does():
    symmetry = ServerSymmetry(3)
    states = reached(1, 1, 1)
    moved = 0
    for perm in itertools.permutations(range(3)):
        for s in states:
            got = symmetry.permute(s, perm)
            assert got == renamed(s, perm)
            assert type(got) is ZabState
            moved += got != s
    assert moved  # a permutation that changes nothing would pass the rest trivially


def test_permute_keeps_each_variables_images_apart():
    """Each variable's images are remembered apart: a value met in one variable is renamed
    as another variable holding the same value says (learners' masks, connectInfo's ids,
    epochLeader's masks), whichever was met first. Reached states seldom hold one value in
    two such variables, so these are made to."""
    base = reached(0, 1, 1)[0]
    value = (1, 2, 0)
    variants = [
        base._replace(connect_info=value),
        base._replace(learners=value),
        base._replace(epoch_leader=value + (0,) * (len(base.epoch_leader) - len(value))),
    ]
    for order in itertools.permutations(variants):
        symmetry = ServerSymmetry(3)
        for s in order:
            for perm in itertools.permutations(range(3)):
                assert symmetry.permute(s, perm) == renamed(s, perm)


def test_permute_composes_and_the_identity_keeps_the_state():
    symmetry = ServerSymmetry(3)
    perms = list(itertools.permutations(range(3)))
    for s in reached(0, 2, 2)[::7]:
        assert symmetry.permute(s, (0, 1, 2)) is s
        for p, q in itertools.product(perms, perms):
            both = tuple(q[p[k]] for k in range(3))
            assert symmetry.permute(symmetry.permute(s, p), q) == symmetry.permute(s, both)


def broken_variants(s: ZabState) -> list[ZabState]:
    """``s`` changed so that invariants may break: a committed entry's value changed, an
    index past the history, a flag raised, two leaders of an epoch, leaders in one epoch."""
    out = [
        s._replace(violated_invariants=s.violated_invariants._replace(message_illegal=True)),
        s._replace(epoch_leader=(3, *s.epoch_leader[1:])),
        s._replace(state=(2, 2, 2), zab_state=(3, 3, 3), current_epoch=(1, 1, 1)),
    ]
    # server 0 delivers epoch 2's entry before epoch 1's
    late, early = Txn((2, 1), 0, 0, 2), Txn((1, 1), 0, 0, 1)
    out.append(
        s._replace(
            history=((late, early), *s.history[1:]),
            last_committed=(LastCommitted(2, early.zxid), *s.last_committed[1:]),
        )
    )
    # an established leader's follower delivers an older epoch's entry the leader has not
    for i, j in itertools.permutations(range(3), 2):
        if s.state[i] == LEADING and s.zab_state[i] == BROADCAST and s.connect_info[j] == i:
            stale = Txn((0, 9), 5, 0, 0)
            out.append(
                s._replace(
                    state=put(s.state, j, FOLLOWING),
                    zab_state=put(s.zab_state, j, BROADCAST),
                    learners=put(s.learners, i, s.learners[i] | 1 << j),
                    current_epoch=put(s.current_epoch, i, max(1, s.current_epoch[i])),
                    history=put(s.history, j, (stale,)),
                    last_committed=put(s.last_committed, j, LastCommitted(1, stale.zxid)),
                )
            )
    for i, h in enumerate(s.history):
        if h:
            changed = (h[0]._replace(value=h[0].value + 7), *h[1:])
            out.append(s._replace(history=(*s.history[:i], changed, *s.history[i + 1 :])))
            past = LastCommitted(len(h) + 1, h[-1].zxid)
            committed = (*s.last_committed[:i], past, *s.last_committed[i + 1 :])
            out.append(s._replace(last_committed=committed))
            whole = LastCommitted(len(h), h[-1].zxid)
            out.append(
                s._replace(
                    history=tuple(changed if k == i else hk for k, hk in enumerate(s.history)),
                    last_committed=tuple(
                        whole if k == i else LastCommitted(len(hk), hk[-1].zxid) if hk else c
                        for k, (hk, c) in enumerate(zip(s.history, s.last_committed, strict=True))
                    ),
                )
            )
            # an entry delivered twice, after another
            twice = (*h, h[0]) if len(h) >= 2 else (h[0], h[0])
            out.append(
                s._replace(
                    history=put(s.history, i, twice),
                    last_committed=put(s.last_committed, i, LastCommitted(len(twice), h[0].zxid)),
                )
            )
            if len(h) >= 2:
                swapped = (h[1], h[0], *h[2:])
                out.append(s._replace(history=(*s.history[:i], swapped, *s.history[i + 1 :])))
    return out


def test_invariants_in_one_call_answer_as_each_in_turn():
    model = ProtocolModel(Params(3, 1, 2, 2, 0))
    props = [p for p in model.properties() if p.name in dict(INVARIANTS)]
    selections = [props, props[::-1], props[3:], *([p] for p in props)]
    states = [t for s in reached(0, 2, 2)[::3] for t in (s, *broken_variants(s))]
    committed = [s for s in states if not nothing_committed(s)]
    agreeing = sum(map(commits_agree, committed))
    assert 0 < agreeing < len(committed)  # both ways of the committed case are taken
    seen = set()
    for chosen in selections:
        fast, plain = model.invariant_checker(chosen), first_broken(chosen)
        for s in states:
            answer = fast(s)
            assert answer == plain(s)
            seen.add(answer)
    # every invariant but LocalPrimaryOrder (which holds in every state, as Zab.tla writes
    # it) breaks somewhere: the states above exercise each
    assert seen == {None, *(name for name, _ in INVARIANTS)} - {"LocalPrimaryOrder"}
    assert all(local_primary_order(s) for s in states)


def test_tlc_compat_checks_the_zab_state_in_one_call():
    model = TlcCompatModel(Params(3, 0, 2, 2, 0))
    props = [p for p in model.properties() if p.name in dict(INVARIANTS)]
    fast, plain = model.invariant_checker(props), first_broken(props)
    # the one-call path, not the generic one (a compiled lambda has no __qualname__)
    assert getattr(fast, "__qualname__", "<lambda>") != plain.__qualname__
    for s in reached(0, 2, 2)[::5]:
        for t in (s, *broken_variants(s)):
            assert fast((t, (0,))) == plain((t, (0,)))


@cache
def tlc_reached(t: int, x: int, e: int) -> tuple:
    """Every state (with its pc) TlcCompatModel explores at 3 servers, T, X, E, under
    TLC's symmetry."""
    states: list = []
    model = TlcCompatModel(Params(3, t, x, e, 0))
    check_bfs(model, CheckOptions(check_deadlock=False, symmetry=True, on_state=states.append))
    return tuple(states)


def test_tlc_canonical_picks_the_smallest_permutation_as_the_definition_does():
    """TlcSymmetry.canonical's remembered answers give the permutation whose keys, all
    variables in TLC's order, are smallest: on every explored state and its successors."""
    model = TlcCompatModel(Params(3, 0, 2, 2, 0))
    symmetry = model.symmetry()
    moved = 0
    for st in tlc_reached(0, 2, 2):
        for t in (st, *(u for _, u in model.successors(st))):
            got = symmetry.canonical(t)
            assert got == symmetry.canonical_by_definition(t)
            moved += got != t
    assert moved  # some states are not their own canonical form
    # the answers were remembered and used: fewer remembered than asked
    remembered = sum(len(memo) for memo in symmetry._memos)
    assert 0 < remembered < len(tlc_reached(0, 2, 2))


def test_tlc_canonical_by_definition_is_the_smallest_full_permuted_state():
    """The definition itself: the permuted states of an orbit all get one representative,
    and it is the one of its orbit's permutations that the keys order first."""
    symmetry = TlcCompatModel(Params(3, 0, 2, 2, 0)).symmetry()
    perms = list(itertools.permutations(range(3)))
    for st in tlc_reached(0, 2, 2)[::11]:
        canonical = symmetry.canonical_by_definition(st)
        for p in perms:
            assert symmetry.canonical_by_definition(symmetry.permute(st, p)) == canonical


def next_by_definition(model: ProtocolModel, s: ZabState) -> list:
    """Next as Zab.tla reads it: every action, in order, tried on every argument."""
    servers = range(model.params.servers)
    out = []
    for name, fn, arity, *_ in NEXT:
        for args in itertools.product(servers, repeat=arity):
            t = fn(s, model.params, *args)
            if t is not None:
                out.append((Action(name, args), t))
    return out


def test_successors_are_next_tried_on_every_argument():
    """ProtocolModel.successors tries only arguments that can pass each guard's first
    conjuncts (roles, message heads, the bound checks, Timeout's learners, the followers a
    named leader can take): it finds what trying them all finds, in the same order."""
    kinds = set()
    for t, x, e, r in ((0, 2, 2, 0), (1, 1, 1, 1)):
        model = ProtocolModel(Params(3, t, x, e, r))
        states: list[ZabState] = []
        check_bfs(model, CheckOptions(check_deadlock=False, on_state=states.append))
        for s in states[::2]:
            got = list(model.successors(s))
            assert got == next_by_definition(model, s)
            kinds.update(a.name for a, _ in got)
    # every action but the one that should never run is taken somewhere, so none is
    # checked only where it is disabled
    assert kinds == set(ACTION_NAMES) - {"FilterNonexistentMessage"}
