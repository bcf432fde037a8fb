"""Init and Next of the symbolic protocol spec, as z3 constraints between states.

Next is encoded functionally (:mod:`zabmc.symbolic.transition`): a step picks one action
instance, that instance's guard must hold, and every variable of the next state equals the
value that instance gives it, so that a state has exactly one successor per enabled
instance and the unchanged variables cost nothing. Over bit-vectors (BMC) the selector is a
bit-vector too.
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from spec.protocol.params import Params
from spec.protocol.state import ZabState, initial_state
from spec.protocol.symbolic import actions as a
from spec.protocol.symbolic.persistent import declared_receipt
from spec.protocol.symbolic.state import Layout, SymZab
from zabmc.engine import Action
from zabmc.symbolic.transition import FunctionalNext
from zabmc.symbolic.values import int_sort, signed_width

#: Next's disjuncts in Zab.tla's order: (name, symbolic action, arity).
NEXT: tuple[tuple[str, Callable[..., SymZab], int], ...] = (
    ("UpdateLeader", a.update_leader, 1),
    ("FollowLeader", a.follow_leader, 1),
    ("Timeout", a.timeout, 2),
    ("Restart", a.restart, 1),
    ("ConnectAndFollowerSendCEPOCH", a.connect_and_follower_send_cepoch, 2),
    ("LeaderProcessCEPOCH", a.leader_process_cepoch, 2),
    ("FollowerProcessNEWEPOCH", a.follower_process_newepoch, 2),
    ("LeaderProcessACKEPOCH", a.leader_process_ackepoch, 2),
    ("FollowerProcessNEWLEADER", a.follower_process_newleader, 2),
    ("LeaderProcessACKLD", a.leader_process_ackld, 2),
    ("FollowerProcessCOMMITLD", a.follower_process_commitld, 2),
    ("LeaderProcessRequest", a.leader_process_request, 1),
    ("LeaderBroadcastPROPOSE", a.leader_broadcast_propose, 1),
    ("FollowerProcessPROPOSE", a.follower_process_propose, 2),
    ("LeaderProcessACK", a.leader_process_ack, 2),
    ("FollowerProcessCOMMIT", a.follower_process_commit, 2),
    ("FilterNonexistentMessage", a.filter_nonexistent_message, 2),
)


def instances(p: Params) -> list[Action]:
    """Every action instance that can ever be enabled, in Next's order."""
    n = p.servers
    found = []
    for name, _, arity in NEXT:
        if name == "Restart" and p.max_restarts == 0:
            continue
        if name == "Timeout" and p.max_timeouts == 0:
            continue
        if name == "LeaderProcessCEPOCH" and p.max_epoch == 0:
            continue
        if arity == 1:
            found.extend(Action(name, (i,)) for i in range(n))
        else:
            found.extend(Action(name, (i, j)) for i in range(n) for j in range(n) if i != j)
    return found


class SymbolicProtocol(FunctionalNext):
    """The protocol spec with parameters ``p`` as z3 formulas."""

    def __init__(self, p: Params, channel: int | None = None, depth: int | None = None) -> None:
        """``depth``: the encoding serves paths of at most that many steps (BMC), so numbers
        are bit-vectors of a width exact to that depth (:func:`.state.width_for_depth`);
        None: z3 Ints, for any number of steps (induction)."""
        self.params = p
        # Zab.tla compares no server ids (spec/protocol/symmetry.py); the one order that shows,
        # DetermineInitialHistory's tie-break, picks among equal histories on the bounds BMC
        # runs (tests/protocol/symbolic/test_symmetry.py checks every reachable step)
        self.symmetric_servers = p.servers
        self.layout = Layout.of(p, channel, depth)
        self.actions = instances(p)
        self._fns = {name: fn for name, fn, _ in NEXT}
        self.shape = self.layout.encode(initial_state(p.servers))
        # a selector names an instance, 0 .. len - 1, compared signed like every number
        width = None if self.layout.width is None else signed_width(0, len(self.actions))
        self.selector_sort = int_sort(width)

    def apply(self, s: SymZab, action: Action) -> tuple[z3.BoolRef, SymZab]:
        """The guard of ``action`` in ``s`` and the state it leads to."""
        step = a.Step(self.layout, self.params)
        after = self._fns[action.name](step, s, *action.args)
        return step.guard, after

    def persistent_steps(self, s: SymZab) -> list[tuple[int, z3.BoolRef]]:
        """The declared receipts (:mod:`.persistent`): (instance index, when it is one in ``s``)."""
        found = []
        for k, action in enumerate(self.actions):
            cond = declared_receipt(self.layout, self.params, s, action)
            if cond is not None:
                found.append((k, cond))
        return found

    def decode(self, model: z3.ModelRef, s: SymZab) -> ZabState:
        return self.layout.decode(model, s)

    def type_ok(self, s: SymZab) -> z3.BoolRef:
        return type_ok(self, s)

    def overflow(self, s: SymZab) -> z3.BoolRef:
        """Some channel is full: a step that sends on it is disabled here but not in the spec.

        BMC watches it at every depth (``zabmc.symbolic.prove.bmc``): while no
        state of a path has a full channel, the encoding takes exactly the
        spec's steps, so a channel capacity can start small and grow on demand.
        """
        return z3.Or(*(ch.length >= self.layout.channel for ch in s.msgs))


def type_ok(sp: SymbolicProtocol, s: SymZab) -> z3.BoolRef:
    """TypeOK: every variable within the domain the bounds give it.

    ``zabmc prove --induction`` proves it along with the invariant (as the lemma
    TypeOK), so that a counterexample to induction is a state of the spec's shape.
    Limits are loose where a bug variant can go beyond the fixed spec's
    (a lastCommitted index of -1 or len + 1). Client request values, zxid counters
    and sendCounter have no upper limit: a history can be replaced by a shorter
    one, so requests can outnumber MaxTransactionNum, and no lemma needs one.
    The record in slot k of a record set (cepochRecv, ...) has sid k.
    """
    p, lay = sp.params, sp.layout
    n, cap = lay.servers, lay.max_txns
    e_max = max(p.max_epoch, 1)
    parts: list[z3.BoolRef] = []

    def within(x: z3.ArithRef, lo: int, hi: int) -> None:
        parts.append(z3.And(x >= lo, x <= hi))

    def zxid(z) -> None:
        within(z["epoch"], 0, e_max)
        parts.append(z["counter"] >= 0)

    def history(h) -> None:
        within(h.length, 0, cap)
        for t in h.items:
            zxid(t["zxid"])
            parts.append(t["value"] >= 0)
            within(t["epoch"], 0, e_max)

    for i in range(n):
        within(s.state[i], 0, 2)
        within(s.zab_state[i], 0, 3)
        within(s.accepted_epoch[i], 0, e_max)
        within(s.current_epoch[i], 0, e_max)
        history(s.history[i])
        within(s.last_committed[i]["index"], -1, cap + 1)
        zxid(s.last_committed[i]["zxid"])
        parts.append(s.send_counter[i] >= 0)
        within(s.connect_info[i], -1, n - 1)
        for slots in (s.cepoch_recv[i], s.acke_recv[i], s.ackld_recv[i]):
            parts.extend(r["sid"] == k for k, r in enumerate(slots.items))
        for slots in (s.cepoch_recv[i], s.acke_recv[i]):
            for r in slots.items:
                if "epoch" in dict(r.fields):
                    within(r["epoch"], 0, e_max)
                else:
                    within(r["peerLastEpoch"], 0, e_max)
                    history(r["peerHistory"])
    within(s.leader_oracle, -1, n - 1)
    for ch in s.msgs:
        within(ch.length, 0, lay.channel)
        for msg in ch.items:
            within(msg["mtype"], 0, 8)
            within(msg["mepoch"], 0, e_max)
            zxid(msg["mzxid"])
            parts.append(msg["mdata"] >= 0)
            history(msg["mhistory"])
    r = s.recorder
    within(r["nTimeout"], 0, p.max_timeouts)
    within(r["nTransaction"], 0, cap)
    within(r["maxEpoch"], 0, e_max)
    within(r["nRestart"], 0, p.max_restarts)
    parts.append(r["nClientRequest"] >= 0)
    return z3.And(*parts)
