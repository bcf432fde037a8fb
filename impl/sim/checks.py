"""The properties every simulated run must keep, checked as the run goes.

* **no acknowledged write lost**: a write whose client was told "committed at z" is in the
  committed sequence at zxid z, is never truncated, and is on every server at the end;
* **prefix consistency**: every server's committed sequence is a prefix of one sequence;
* **one leader per epoch**: at most one server establishes any epoch;
* **skipped proposals stay skipped**: a txn that a learner dropped while syncing with the
  leader of epoch e, and that this leader does not hold, is never committed once epoch e has
  reached broadcast (an epoch that never got a quorum of NEWLEADER acks may leave it to a
  later leader).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from impl.core.application import TxnList
from impl.core.effects import Observed, WriteResult
from impl.core.messages import Snapshot, Txn
from impl.core.peer import ZabPeer
from impl.core.roles import Phase, Role
from impl.core.zxid import format_zxid

TxnId = tuple[int, int]
"""A write's identity: (server it was submitted at, request id)."""


def txn_id(txn: Txn) -> TxnId:
    return (txn.origin, txn.request_id)


class Violation(AssertionError):
    """A property broke; the message names it and the evidence."""


@dataclass
class Checker:
    committed: list[TxnId] = field(default_factory=list)
    """The one sequence every server's committed txns must be a prefix of."""
    committed_zxids: list[int] = field(default_factory=list)
    acknowledged: dict[TxnId, int] = field(default_factory=dict)
    dropped_by: dict[TxnId, set[int]] = field(default_factory=dict)
    epoch_leader: dict[int, int] = field(default_factory=dict)
    broadcast_epochs: set[int] = field(default_factory=set)
    position: dict[int, int] = field(default_factory=dict)
    """How many committed txns each server holds (its next delivery's position)."""
    steps: int = 0

    def fail(self, message: str) -> None:
        raise Violation(message)

    # --- listener callbacks ------------------------------------------------------------------

    def started(self, sid: int, peer: ZabPeer) -> None:
        self._reset_to(sid, _entries(peer))

    def delivered(self, sid: int, txn: Txn) -> None:
        position = self.position[sid]
        self._check_position(sid, position, txn)
        self.position[sid] = position + 1
        self._check_not_skipped(txn)

    def snapshot_installed(self, sid: int, snapshot: Snapshot) -> None:
        app = TxnList()
        app.restore(snapshot.state)
        self._reset_to(sid, app.entries)

    def _reset_to(self, sid: int, entries: list[Txn]) -> None:
        for position, txn in enumerate(entries):
            self._check_position(sid, position, txn)
        self.position[sid] = len(entries)

    def dropped(self, sid: int, txns: list[Txn], epoch: int) -> None:
        delivered = set(self.committed)
        for txn in txns:
            ident = txn_id(txn)
            if ident in delivered:
                self.fail(
                    f"no acknowledged write lost / prefix: server {sid} dropped committed txn "
                    f"{format_zxid(txn.zxid)} {ident} while syncing in epoch {epoch}"
                )
            self.dropped_by.setdefault(ident, set()).add(epoch)

    def write_result(self, sid: int, result: WriteResult) -> None:
        if result.zxid is not None:
            self.acknowledged[(sid, result.request_id)] = result.zxid

    def observed(self, event: Observed) -> None:
        self.steps += 1
        state = event.state
        if state.role != Role.LEADING or state.phase < Phase.SYNCHRONIZATION:
            return
        epoch = state.current_epoch
        leader = self.epoch_leader.setdefault(epoch, event.server)
        if leader != event.server:
            self.fail(f"one leader per epoch: servers {leader} and {event.server} lead {epoch}")
        if state.phase == Phase.BROADCAST:
            self.broadcast_epochs.add(epoch)

    # --- the checks ----------------------------------------------------------------------------

    def _check_position(self, sid: int, position: int, txn: Txn) -> None:
        ident = txn_id(txn)
        if position < len(self.committed):
            if self.committed[position] != ident or self.committed_zxids[position] != txn.zxid:
                self.fail(
                    f"prefix consistency: server {sid} committed {format_zxid(txn.zxid)} {ident} "
                    f"at position {position + 1}, where another server committed "
                    f"{format_zxid(self.committed_zxids[position])} {self.committed[position]}"
                )
        elif position == len(self.committed):
            self.committed.append(ident)
            self.committed_zxids.append(txn.zxid)
        else:
            self.fail(f"prefix consistency: server {sid} skipped positions before {position + 1}")

    def _check_not_skipped(self, txn: Txn) -> None:
        epochs = self.dropped_by.get(txn_id(txn), set()) & self.broadcast_epochs
        if epochs:
            self.fail(
                f"skipped proposal reappeared: {format_zxid(txn.zxid)} {txn_id(txn)} committed "
                f"after the leader of epoch {min(epochs)} had skipped it"
            )

    def final(self, peers: dict[int, ZabPeer]) -> None:
        """At the end, with every server up and synced: all hold the same committed txns, and
        every acknowledged write is among them."""
        where = {ident: i for i, ident in enumerate(self.committed)}
        for ident, zxid in sorted(self.acknowledged.items()):
            position = where.get(ident)
            if position is None or self.committed_zxids[position] != zxid:
                self.fail(f"no acknowledged write lost: {ident} at {format_zxid(zxid)} is gone")
        for ident in self.committed:
            self._check_not_skipped_id(ident)
        for sid, peer in sorted(peers.items()):
            entries = _entries(peer)
            if [txn_id(t) for t in entries] != self.committed:
                self.fail(
                    f"convergence: server {sid} holds {len(entries)} committed txns, "
                    f"the cluster {len(self.committed)}"
                )

    def _check_not_skipped_id(self, ident: TxnId) -> None:
        epochs = self.dropped_by.get(ident, set()) & self.broadcast_epochs
        if epochs:
            self.fail(f"skipped proposal reappeared: {ident} (skipped in epoch {min(epochs)})")


def _entries(peer: ZabPeer) -> list[Txn]:
    app = peer.app
    assert isinstance(app, TxnList), "the simulator checks runs of the TxnList application"
    return app.entries
