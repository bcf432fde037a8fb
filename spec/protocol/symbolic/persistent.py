"""The declared receipts of :mod:`spec.protocol.independence` over symbolic states.

A state's declared receipts are persistent sets alone (the module's docstring argues
it, ``tests/protocol/test_reduction.py`` checks it on whole state spaces): with no
Timeout and no Restart left, a follower's receipt of the head of its leader's
channel in one of these branches commutes with every step that can happen
before it, and none of them disables it. BMC (``zabmc.symbolic.within``, with
``persistent``) may so take one of them whenever one is enabled, and an
invisible one (changes nothing the property reads: checked by z3 per instance)
loses no violation, although the path to it may be longer.

Only the follower receipts are encoded here (NEWEPOCH, NEWLEADER, PROPOSE and
COMMIT in their declared branches): a subset of the declarations is a sound
reduction too (each singleton is persistent on its own). The leader's late ACK
and ACKLD and the sole leader's request are left out.
"""

from __future__ import annotations

import z3

from spec.protocol.bugs import STRICT_PROPOSE
from spec.protocol.constants import (
    COMMIT,
    DISCOVERY,
    FOLLOWING,
    NEWEPOCH,
    NEWLEADER,
    PROPOSE,
    SYNCHRONIZATION,
)
from spec.protocol.params import Params
from spec.protocol.symbolic import actions as a
from spec.protocol.symbolic.state import Layout, SymZab
from zabmc.engine import Action

#: The follower receipts declared, by the type of the message they take.
FOLLOWER_RECEIPTS = {
    NEWEPOCH: "FollowerProcessNEWEPOCH",
    NEWLEADER: "FollowerProcessNEWLEADER",
    PROPOSE: "FollowerProcessPROPOSE",
    COMMIT: "FollowerProcessCOMMIT",
}


def no_failure_left(s: SymZab, p: Params) -> z3.BoolRef:
    """No Timeout and no Restart is enabled now or later (``CheckTimeout`` fails)."""
    return s.recorder["nTimeout"] >= p.max_timeouts


def declared_receipt(lay: Layout, p: Params, s: SymZab, action: Action) -> z3.BoolRef | None:
    """When ``action`` is a declared receipt of ``s`` (as
    :func:`spec.protocol.independence.declared_receipt`), or None if it never is."""
    names = {v: k for k, v in FOLLOWER_RECEIPTS.items()}
    if action.name not in names or len(action.args) != 2:
        return None
    i, j = action.args
    if i == j:
        return None
    mtype = names[action.name]
    ch = s.channel(j, i)
    msg = ch.items[0]
    base = z3.And(
        ch.length > 0,
        no_failure_left(s, p),
        s.state[i] == FOLLOWING,
        s.connect_info[i] == j,
        msg["mtype"] == mtype,
    )
    if mtype == NEWEPOCH:
        branch = z3.And(msg["mepoch"] >= s.accepted_epoch[i], s.zab_state[i] == DISCOVERY)
    elif mtype == NEWLEADER:
        branch = z3.And(msg["mepoch"] == s.accepted_epoch[i], s.zab_state[i] == SYNCHRONIZATION)
    elif mtype == PROPOSE:
        h = s.history[i]
        branch = a.is_next_zxid(a.last_zxid(lay, h), msg["mzxid"])
        if p.bug != STRICT_PROPOSE:  # a redundant PROPOSE is dropped unflagged
            index = a.zxid_to_index(h, msg["mzxid"])
            branch = z3.Or(branch, z3.And(index > 0, index <= h.length))
    else:
        branch = s.last_committed[i]["index"] == s.history[i].length
    return z3.And(base, branch)
