"""The three protocol ambiguities of Zab.tla's issues.md, as selectable variants.

Each names a reading of the DSN'2011 paper that Zab.tla's authors first took
and model checking refuted. With the variant selected the spec behaves as
that reading does; the default is the fixed spec.
"""

from __future__ import annotations

from typing import Final

#: PROPOSE goes to ackldRecv rather than ackeRecv, so a follower that acked
#: the epoch but not yet NEWLEADER misses proposals committed meanwhile.
PROPOSE_TO_ACKLD: Final = "propose-to-ackld"
#: A follower treats a redundant PROPOSE (one already in its history, sent
#: both inside NEWLEADER and on its own) as illegal instead of dropping it.
STRICT_PROPOSE: Final = "strict-propose"
#: COMMITLD carries the zxid of the follower's ACKLD instead of the leader's
#: lastCommitted, so commits made while the follower synced are lost to it.
COMMITLD_ACKLD_ZXID: Final = "commitld-ackld-zxid"

BUGS: dict[str, str] = {
    PROPOSE_TO_ACKLD: "PROPOSE is broadcast to ackldRecv instead of ackeRecv (issues.md, issue 1)",
    STRICT_PROPOSE: "a redundant PROPOSE is illegal instead of dropped (issues.md, issue 2)",
    COMMITLD_ACKLD_ZXID: "COMMITLD carries ACKLD's zxid, not lastCommitted (issues.md, issue 3)",
}
