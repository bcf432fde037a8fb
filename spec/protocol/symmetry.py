"""Permuting server ids in a protocol-spec state (TLC's SYMMETRY Permutations(Server)).

Zab.tla never compares server ids (its election is an oracle), so servers are
interchangeable. The one place where an order shows is the tie-break of
CHOOSE in DetermineInitialHistory; TLC ignores it under symmetry, and so do we.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

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
CARRY_HISTORY = frozenset({ACKEPOCH, NEWLEADER})


class ServerSymmetry:
    """The permutations of ``size`` server ids acting on :class:`ZabState`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tables: dict[tuple[int, ...], tuple] = {}

    def _table(self, perm: tuple[int, ...]) -> tuple:
        """For one permutation: a getter reordering per-server tuples, and bitmask images."""
        table = self._tables.get(perm)
        if table is None:
            inverse = [0] * self.size
            for old, new in enumerate(perm):
                inverse[new] = old
            # itemgetter with one index returns a bare item, not a tuple
            reorder = itemgetter(*inverse) if self.size > 1 else (lambda t: (t[0],))
            masks = tuple(
                sum(1 << perm[k] for k in range(self.size) if mask >> k & 1)
                for mask in range(1 << self.size)
            )
            table = self._tables[perm] = (reorder, masks)
        return table

    def permute(self, s: ZabState, perm: tuple[int, ...]) -> ZabState:
        """Rename every server k to ``perm[k]`` throughout ``s``."""
        reorder, masks = self._table(perm)

        def history(h: History) -> History:
            if not h:
                return h
            return tuple([tuple.__new__(Txn, (t[0], t[1], masks[t[2]], t[3])) for t in h])

        def channel(ch: tuple) -> tuple:
            if not ch:
                return ch
            return tuple(
                [m._replace(mhistory=history(m[2])) if m[0] in CARRY_HISTORY else m for m in ch]
            )

        def sid(x: int) -> int:
            return x if x == NULL_POINT else perm[x]

        return tuple.__new__(
            ZabState,
            (
                reorder(s.state),
                reorder(s.zab_state),
                reorder(s.accepted_epoch),
                reorder(s.current_epoch),
                tuple([history(h) for h in reorder(s.history)]),
                reorder(s.last_committed),
                tuple([masks[m] for m in reorder(s.learners)]),
                tuple(
                    [
                        tuple(sorted([CepochInfo(perm[c.sid], c.connected, c.epoch) for c in rs]))
                        for rs in reorder(s.cepoch_recv)
                    ]
                ),
                tuple(
                    [
                        tuple(
                            sorted(
                                [
                                    AckeInfo(
                                        perm[a.sid],
                                        a.connected,
                                        a.peer_last_epoch,
                                        history(a.peer_history),
                                    )
                                    for a in rs
                                ]
                            )
                        )
                        for rs in reorder(s.acke_recv)
                    ]
                ),
                tuple(
                    [
                        tuple(sorted([AckldInfo(perm[a.sid], a.connected) for a in rs]))
                        for rs in reorder(s.ackld_recv)
                    ]
                ),
                reorder(s.send_counter),
                tuple([sid(x) for x in reorder(s.connect_info)]),
                sid(s.leader_oracle),
                tuple([tuple([channel(ch) for ch in reorder(row)]) for row in reorder(s.msgs)]),
                tuple([masks[e] for e in s.epoch_leader]),
                tuple(
                    sorted(
                        [
                            ProposalRecord(perm[r.source], r.epoch, r.zxid, r.data)
                            for r in s.proposal_msgs_log
                        ]
                    )
                ),
                s.violated_invariants,
                s.recorder,
            ),
        )

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
