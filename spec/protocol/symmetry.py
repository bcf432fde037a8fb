"""Permuting server ids in a protocol-spec state (TLC's SYMMETRY Permutations(Server)).

Zab.tla never compares server ids (its election is an oracle), so servers are
interchangeable. The one place where an order shows is the tie-break of
CHOOSE in DetermineInitialHistory; TLC ignores it under symmetry, and so do we.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, ClassVar, Final

from spec.protocol.constants import ACKEPOCH, NEWLEADER, NULL_POINT
from spec.protocol.state import (
    AckeInfo,
    AckldInfo,
    CepochInfo,
    History,
    ProposalRecord,
    Txn,
    ZabState,
    last_zxid,
)

#: Message types whose fields hold a history (and so server ids in ackSid).
CARRY_HISTORY: Final = frozenset({ACKEPOCH, NEWLEADER})


class ServerSymmetry:
    """The permutations of ``size`` server ids acting on :class:`ZabState`."""

    #: The most images remembered per (permutation, variable); past it that memo starts
    #: over (it holds only values the search met, so a bound keeps its memory flat).
    MEMO_LIMIT: ClassVar[int] = 1 << 16

    def __init__(self, size: int) -> None:
        self.size = size
        self._tables: dict[tuple[int, ...], Callable[[ZabState], ZabState] | None] = {}

    def _table(self, perm: tuple[int, ...]) -> Callable[[ZabState], ZabState] | None:
        """For one permutation, the function renaming a state by it (None: the identity)."""
        if perm in self._tables:
            return self._tables[perm]
        inverse = [0] * self.size
        for old, new in enumerate(perm):
            inverse[new] = old
        # itemgetter with one index returns a bare item, not a tuple
        reorder = itemgetter(*inverse) if self.size > 1 else (lambda t: (t[0],))
        identity = all(perm[k] == k for k in range(self.size))
        table = self._tables[perm] = None if identity else _permuter(perm, reorder)
        return table

    def permute(self, s: ZabState, perm: tuple[int, ...]) -> ZabState:
        """Rename every server k to ``perm[k]`` throughout ``s``.

        Per canonical form this runs for a state's every successor, so it builds records
        with ``tuple.__new__`` (a record's own ``__new__`` runs in Python) and keeps what
        the permutation leaves as it was (a history none of whose acks it moves, a channel
        with no history in it). The identity gives ``s`` itself: a state's record sets are
        kept sorted by sid and its proposals sorted (:func:`~spec.protocol.state.upsert`,
        :func:`~spec.protocol.state.add_proposals`), as the permuted state's are.

        A variable holding server ids inside (the histories' acks, the channels, the record
        sets, ...) is renamed once per (permutation, value) and its image remembered
        (:attr:`MEMO_LIMIT`): a state's successors share most of its values, and so do the
        states of a level, so hashing a value to find its image costs less than building
        the image again. The renaming of one permutation is one function with every
        variable's step written out (:func:`_permuter`): a loop over the variables cost
        half again as much (4.5 against 2.9 us a state, protocol-990k's successors).
        """
        table: Any = self._tables.get(perm, _UNSEEN)
        if table is _UNSEEN:
            table = self._table(perm)
        return s if table is None else table(s)

    def signature(self, s: ZabState) -> Sequence[tuple]:
        """A key per server built from what it does, never from its id."""
        keys = []
        for i in range(self.size):
            keys.append(
                (
                    s.state[i],
                    s.zab_state[i],
                    s.accepted_epoch[i],
                    s.current_epoch[i],
                    len(s.history[i]),
                    last_zxid(s.history[i]),
                    s.last_committed[i],
                    s.send_counter[i],
                    s.leader_oracle == i,
                    s.connect_info[i] == NULL_POINT,
                    s.learners[i].bit_count(),
                    sum(len(ch) for ch in s.msgs[i]),
                    sum(len(row[i]) for row in s.msgs),
                )
            )
        return keys


def _renamings(perm: tuple[int, ...], reorder: Callable[[tuple], tuple]) -> tuple:
    """For one permutation, the renaming of each variable that holds server ids inside:
    history, learners, cepochRecv, ackeRecv, ackldRecv, connectInfo, leaderOracle, msgs,
    epochLeader, proposalMsgsLog."""
    size = len(perm)
    masks = tuple(
        sum(1 << perm[k] for k in range(size) if mask >> k & 1) for mask in range(1 << size)
    )
    fixed = frozenset(m for m, image in enumerate(masks) if image == m)
    new = tuple.__new__

    def history(h: History) -> History:
        for t in h:
            if t[2] not in fixed:
                return tuple([new(Txn, (t[0], t[1], masks[t[2]], t[3])) for t in h])
        return h

    def channel(ch: tuple) -> tuple:
        for m in ch:
            if m[0] in CARRY_HISTORY:
                break
        else:
            return ch
        out = []
        for m in ch:
            if m[0] in CARRY_HISTORY:
                h = history(m[2])
                if h is not m[2]:
                    m = new(type(m), (m[0], m[1], h, *m[3:]))
            out.append(m)
        return tuple(out)

    def sid(x: int) -> int:
        return x if x == NULL_POINT else perm[x]

    def cepochs(rs: tuple) -> tuple:
        if not rs:
            return rs
        return tuple(sorted([new(CepochInfo, (perm[c[0]], c[1], c[2])) for c in rs]))

    def ackes(rs: tuple) -> tuple:
        if not rs:
            return rs
        return tuple(sorted([new(AckeInfo, (perm[a[0]], a[1], a[2], history(a[3]))) for a in rs]))

    def acklds(rs: tuple) -> tuple:
        if not rs:
            return rs
        return tuple(sorted([new(AckldInfo, (perm[a[0]], a[1])) for a in rs]))

    def proposals(log: tuple) -> tuple:
        if not log:
            return log
        return tuple(sorted([new(ProposalRecord, (perm[r[0]], r[1], r[2], r[3])) for r in log]))

    return (
        lambda hs: tuple([history(h) for h in reorder(hs)]),
        lambda ls: tuple([masks[m] for m in reorder(ls)]),
        lambda recv: tuple([cepochs(rs) for rs in reorder(recv)]),
        lambda recv: tuple([ackes(rs) for rs in reorder(recv)]),
        lambda recv: tuple([acklds(rs) for rs in reorder(recv)]),
        lambda info: tuple([sid(x) for x in reorder(info)]),
        sid,
        lambda msgs: tuple([tuple([channel(ch) for ch in reorder(row)]) for row in reorder(msgs)]),
        lambda leaders: tuple([masks[e] for e in leaders]),
        proposals,
    )


_UNSEEN: Final = object()  # a permutation whose renaming is not made yet


def _permuter(
    perm: tuple[int, ...], reorder: Callable[[tuple], tuple]
) -> Callable[[ZabState], ZabState]:
    """The renaming of a state by one permutation (not the identity): per-server tuples
    reordered, and each variable holding server ids inside renamed by :func:`_renamings` once per
    value met (its memo starts over past :attr:`ServerSymmetry.MEMO_LIMIT`)."""
    (
        r_history,
        r_learners,
        r_cepochs,
        r_ackes,
        r_acklds,
        r_connect,
        _,
        r_msgs,
        r_leaders,
        r_proposals,
    ) = _renamings(perm, reorder)
    m_history: dict = {}
    m_learners: dict = {}
    m_cepochs: dict = {}
    m_ackes: dict = {}
    m_acklds: dict = {}
    m_connect: dict = {}
    m_msgs: dict = {}
    m_leaders: dict = {}
    m_proposals: dict = {}
    sid = {NULL_POINT: NULL_POINT, **{k: perm[k] for k in range(len(perm))}}
    limit = ServerSymmetry.MEMO_LIMIT
    new = tuple.__new__

    def image(memo: dict, rename: Callable[[Any], Any], value: Any) -> Any:
        if len(memo) >= limit:
            memo.clear()
        found = memo[value] = rename(value)
        return found

    def permuted(s: ZabState) -> ZabState:
        (
            state,
            zab_state,
            accepted_epoch,
            current_epoch,
            history,
            last_committed,
            learners,
            cepoch_recv,
            acke_recv,
            ackld_recv,
            send_counter,
            connect_info,
            leader_oracle,
            msgs,
            epoch_leader,
            proposals,
            violated,
            recorder,
        ) = s
        # One lookup written out per variable, on purpose: a loop over (memo, renaming)
        # pairs cost more per state, and this runs for every successor under symmetry.
        h = m_history.get(history)
        if h is None:
            h = image(m_history, r_history, history)
        ls = m_learners.get(learners)
        if ls is None:
            ls = image(m_learners, r_learners, learners)
        ce = m_cepochs.get(cepoch_recv)
        if ce is None:
            ce = image(m_cepochs, r_cepochs, cepoch_recv)
        ae = m_ackes.get(acke_recv)
        if ae is None:
            ae = image(m_ackes, r_ackes, acke_recv)
        al = m_acklds.get(ackld_recv)
        if al is None:
            al = image(m_acklds, r_acklds, ackld_recv)
        ci = m_connect.get(connect_info)
        if ci is None:
            ci = image(m_connect, r_connect, connect_info)
        ms = m_msgs.get(msgs)
        if ms is None:
            ms = image(m_msgs, r_msgs, msgs)
        el = m_leaders.get(epoch_leader)
        if el is None:
            el = image(m_leaders, r_leaders, epoch_leader)
        pr = m_proposals.get(proposals)
        if pr is None:
            pr = image(m_proposals, r_proposals, proposals)
        return new(
            ZabState,
            (
                reorder(state),
                reorder(zab_state),
                reorder(accepted_epoch),
                reorder(current_epoch),
                h,
                reorder(last_committed),
                ls,
                ce,
                ae,
                al,
                reorder(send_counter),
                ci,
                sid[leader_oracle],
                ms,
                el,
                pr,
                violated,
                recorder,
            ),
        )

    return permuted
