"""The sans-IO ZAB core: :class:`ZabPeer` takes events and returns effects.

Nothing here touches sockets, files, clocks or randomness; ``impl.net``/``impl.server`` and
``impl.sim`` carry out the effects over TCP and disk, or in a simulated world.
"""

from impl.core.application import Application, TxnList
from impl.core.durable import Durable
from impl.core.peer import ZabPeer
from impl.core.quorum import Cluster
from impl.core.roles import Phase, Role
from impl.core.tunables import Tunables

__all__ = ["Application", "Cluster", "Durable", "Phase", "Role", "Tunables", "TxnList", "ZabPeer"]
