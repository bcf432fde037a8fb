"""Frame conditions: which parts of the system state a step left as they were.

The persistence arguments (:mod:`spec.system.independence`, :mod:`spec.system.zab_persistence`,
:mod:`spec.system.leader_persistence`) declare a step only where its successor changed no more
than the argument allows; this module names the parts a successor must share with its state.
"""

from __future__ import annotations

from spec.system.state import SystemState

#: The network's parts, named as the state's own fields are.
_NETWORK_PARTS = ("notes", "msgs")


def unchanged(before: SystemState, after: SystemState, *parts: str) -> bool:
    """Whether each named part of ``after`` is ``before``'s: a field of the state or the
    network's ``notes`` or ``msgs`` (the same object: a step shares what it does not write),
    or the network's ``cut`` links (equal)."""
    for part in parts:
        if part == "cut":
            if after.network.cut != before.network.cut:
                return False
        elif part in _NETWORK_PARTS:
            if getattr(after.network, part) is not getattr(before.network, part):
                return False
        elif getattr(after, part) is not getattr(before, part):
            return False
    return True


__all__ = ["unchanged"]
