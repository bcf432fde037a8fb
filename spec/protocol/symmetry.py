"""Permuting server ids in a protocol-spec state (TLC's SYMMETRY Permutations(Server)).

Zab.tla never compares server ids (its election is an oracle), so servers are
interchangeable. The one place where an order shows is the tie-break of
CHOOSE in DetermineInitialHistory; TLC ignores it under symmetry, and so do we.
"""

from __future__ import annotations

from collections.abc import Sequence

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


class ServerSymmetry:
    """The permutations of ``size`` server ids acting on :class:`ZabState`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._mask_tables: dict[tuple[int, ...], tuple[int, ...]] = {}

    def _mask_table(self, perm: tuple[int, ...]) -> tuple[int, ...]:
        table = self._mask_tables.get(perm)
        if table is None:
            table = tuple(
                sum(1 << perm[k] for k in range(self.size) if mask >> k & 1)
                for mask in range(1 << self.size)
            )
            self._mask_tables[perm] = table
        return table

    def permute(self, s: ZabState, perm: tuple[int, ...]) -> ZabState:
        """Rename every server k to ``perm[k]`` throughout ``s``."""
        n = self.size
        inv = [0] * n
        for old, new in enumerate(perm):
            inv[new] = old
        masks = self._mask_table(perm)

        def sid(x: int) -> int:
            return x if x == NULL_POINT else perm[x]

        def history(h: History) -> History:
            return tuple(Txn(t.zxid, t.value, masks[t.ack_sid], t.epoch) for t in h)

        def reorder(values: tuple) -> tuple:
            return tuple(values[inv[k]] for k in range(n))

        def message(msg: tuple) -> tuple:
            if msg[0] == ACKEPOCH or msg[0] == NEWLEADER:
                return msg._replace(mhistory=history(msg.mhistory))  # type: ignore[attr-defined]
            return msg

        return ZabState(
            state=reorder(s.state),
            zab_state=reorder(s.zab_state),
            accepted_epoch=reorder(s.accepted_epoch),
            current_epoch=reorder(s.current_epoch),
            history=tuple(history(s.history[inv[k]]) for k in range(n)),
            last_committed=reorder(s.last_committed),
            learners=tuple(masks[s.learners[inv[k]]] for k in range(n)),
            cepoch_recv=tuple(
                tuple(
                    sorted(
                        CepochInfo(perm[c.sid], c.connected, c.epoch) for c in s.cepoch_recv[inv[k]]
                    )
                )
                for k in range(n)
            ),
            acke_recv=tuple(
                tuple(
                    sorted(
                        AckeInfo(
                            perm[a.sid], a.connected, a.peer_last_epoch, history(a.peer_history)
                        )
                        for a in s.acke_recv[inv[k]]
                    )
                )
                for k in range(n)
            ),
            ackld_recv=tuple(
                tuple(sorted(AckldInfo(perm[a.sid], a.connected) for a in s.ackld_recv[inv[k]]))
                for k in range(n)
            ),
            send_counter=reorder(s.send_counter),
            connect_info=tuple(sid(s.connect_info[inv[k]]) for k in range(n)),
            leader_oracle=sid(s.leader_oracle),
            msgs=tuple(
                tuple(tuple(message(msg) for msg in s.msgs[inv[a]][inv[b]]) for b in range(n))
                for a in range(n)
            ),
            epoch_leader=tuple(masks[e] for e in s.epoch_leader),
            proposal_msgs_log=tuple(
                sorted(
                    ProposalRecord(perm[r.source], r.epoch, r.zxid, r.data)
                    for r in s.proposal_msgs_log
                )
            ),
            violated_invariants=s.violated_invariants,
            recorder=s.recorder,
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
