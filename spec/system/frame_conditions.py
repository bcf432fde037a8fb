"""Frame conditions: which parts of the system state a step left as they were.

The persistence arguments (:mod:`spec.system.independence`, :mod:`spec.system.zab_persistence`,
:mod:`spec.system.leader_persistence`) declare a step only where its successor changed no more
than the argument allows; this module names the parts a successor must share with its state.
"""

from __future__ import annotations

from spec.system.state import Network, SystemState

#: Where each field of the state and of the network is (read by index, not by name).
_FIELDS = {name: k for k, name in enumerate(SystemState._fields)}
_NETWORK_FIELDS = {name: k for k, name in enumerate(Network._fields)}


def unchanged(before: SystemState, after: SystemState, *parts: str) -> bool:
    """Whether each named part of ``after`` is ``before``'s: a field of the state or the
    network's ``notes`` or ``msgs`` (the same object: a step shares what it does not write),
    or the network's ``cut`` links (equal)."""
    for part in parts:
        k = _FIELDS.get(part)
        if k is not None:
            if after[k] is not before[k]:
                return False
        elif part == "cut":
            if after.network.cut != before.network.cut:
                return False
        else:
            k = _NETWORK_FIELDS[part]
            if after.network[k] is not before.network[k]:
                return False
    return True


def same_but(old: tuple, new: tuple, i: int) -> bool:
    """Every record of the per-server group ``new`` but i's is ``old``'s, or equal to it."""
    # a loop, not all() over a generator: compiled, a generator is an object and a call
    for k in range(len(old)):  # noqa: SIM110
        if k != i and new[k] is not old[k] and new[k] != old[k]:
            return False
    return True


__all__ = ["same_but", "unchanged"]
