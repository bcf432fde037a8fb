"""The variables of Zab.tla, as immutable and hashable values.

Servers are ids ``0 .. n-1`` (TLC's ``s1 .. sn``). A per-server variable is a
tuple indexed by id; a set of servers is a bitmask; a TLA+ set of records
keyed by ``sid`` is a tuple of records sorted by ``sid``. ``recorder.pc``,
the name of the last action, is left out: it is not protocol state, and
TLC's VIEW leaves it out too.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from spec.protocol.constants import ELECTION, LOOKING, MAXEPOCH, NULL_POINT, ZERO_ZXID
from spec.replace import quick_replace

Zxid = tuple[int, int]  # <<epoch, counter>>

_NEW: Final = tuple.__new__  # a record built from a tuple, without its own __new__


class Txn(NamedTuple):
    """A transaction in a history: [zxid, value, ackSid, epoch]."""

    zxid: Zxid
    value: int
    ack_sid: int  # bitmask of servers that acked it (meaningful at the leader)
    epoch: int  # currentEpoch of the server that appended it


History = tuple[Txn, ...]


class LastCommitted(NamedTuple):
    """[index, zxid]: the last committed entry, by position and zxid."""

    index: int  # type: ignore[assignment]  # the field shadows tuple.index, as in Zab.tla
    zxid: Zxid


class CepochInfo(NamedTuple):
    """A record of cepochRecv: [sid, connected, epoch] (epoch is the follower's f.p)."""

    sid: int
    connected: bool
    epoch: int


class AckeInfo(NamedTuple):
    """A record of ackeRecv: [sid, connected, peerLastEpoch, peerHistory] (f.a and h(f))."""

    sid: int
    connected: bool
    peer_last_epoch: int
    peer_history: History


class AckldInfo(NamedTuple):
    """A record of ackldRecv: [sid, connected]."""

    sid: int
    connected: bool


class ProposalRecord(NamedTuple):
    """A record of proposalMsgsLog: [source, epoch, zxid, data]."""

    source: int
    epoch: int
    zxid: Zxid
    data: int


class ViolatedInvariants(NamedTuple):
    """Flags set by branches of actions that should never run."""

    state_inconsistent: bool = False
    proposal_inconsistent: bool = False
    commit_inconsistent: bool = False
    ack_inconsistent: bool = False
    message_illegal: bool = False


class Recorder(NamedTuple):
    """The bound counters of Zab.tla's recorder (without pc)."""

    n_timeout: int = 0
    n_transaction: int = 0
    max_epoch: int = 0
    n_restart: int = 0
    n_client_request: int = 0


class ZabState(NamedTuple):
    """One state of Zab.tla, variable groups in the spec's order."""

    # serverVars
    state: tuple[int, ...]  # LOOKING / FOLLOWING / LEADING
    zab_state: tuple[int, ...]  # ELECTION / DISCOVERY / SYNCHRONIZATION / BROADCAST
    accepted_epoch: tuple[int, ...]  # f.p: epoch of the last NEWEPOCH accepted
    current_epoch: tuple[int, ...]  # f.a: epoch of the last NEWLEADER accepted
    history: tuple[History, ...]
    last_committed: tuple[LastCommitted, ...]
    # leaderVars
    learners: tuple[int, ...]  # bitmask of servers the leader is connected to
    cepoch_recv: tuple[tuple[CepochInfo, ...], ...]
    acke_recv: tuple[tuple[AckeInfo, ...], ...]
    ackld_recv: tuple[tuple[AckldInfo, ...], ...]
    send_counter: tuple[int, ...]  # count of txns the leader has broadcast
    # followerVars
    connect_info: tuple[int, ...]  # the follower's leader, or NULL_POINT
    # electionVars
    leader_oracle: int
    # msgVars: msgs[i][j] is the channel from i to j (j's input buffer from i)
    msgs: tuple[tuple[tuple[tuple, ...], ...], ...]
    # verifyVars
    epoch_leader: tuple[int, ...]  # epochLeader[e - 1]: bitmask of leaders of epoch e
    proposal_msgs_log: tuple[ProposalRecord, ...]  # a set, kept sorted
    violated_invariants: ViolatedInvariants
    # recorder, without pc
    recorder: Recorder


# A generated _replace (spec.replace): the recorder's, the flags' and the leader's records'
# are called by the steps that count, flag or disconnect; the actions build a ZabState with
# replace() below, and ZabState's own serves every other caller.
for _record in (ZabState, Recorder, ViolatedInvariants, CepochInfo, AckeInfo, AckldInfo):
    quick_replace(_record)


def replace(
    s: ZabState,
    /,
    *,
    state: tuple[int, ...] | None = None,
    zab_state: tuple[int, ...] | None = None,
    accepted_epoch: tuple[int, ...] | None = None,
    current_epoch: tuple[int, ...] | None = None,
    history: tuple[History, ...] | None = None,
    last_committed: tuple[LastCommitted, ...] | None = None,
    learners: tuple[int, ...] | None = None,
    cepoch_recv: tuple[tuple[CepochInfo, ...], ...] | None = None,
    acke_recv: tuple[tuple[AckeInfo, ...], ...] | None = None,
    ackld_recv: tuple[tuple[AckldInfo, ...], ...] | None = None,
    send_counter: tuple[int, ...] | None = None,
    connect_info: tuple[int, ...] | None = None,
    leader_oracle: int | None = None,
    msgs: tuple[tuple[tuple[tuple, ...], ...], ...] | None = None,
    epoch_leader: tuple[int, ...] | None = None,
    proposal_msgs_log: tuple[ProposalRecord, ...] | None = None,
    violated_invariants: ViolatedInvariants | None = None,
    recorder: Recorder | None = None,
) -> ZabState:
    """``s`` with the variables given changed and the others as they were (TLA+'s UNCHANGED):
    what ``s._replace`` gives, as a function of its own for the actions to call.

    No variable is ever None, so None means "unchanged". Compiled (mypyc), a call passes
    its arguments directly: about a quarter of the time of ``_replace``, which runs as
    Python, and every successor is built by one to three of them.
    """
    return _NEW(
        ZabState,
        (
            s[0] if state is None else state,
            s[1] if zab_state is None else zab_state,
            s[2] if accepted_epoch is None else accepted_epoch,
            s[3] if current_epoch is None else current_epoch,
            s[4] if history is None else history,
            s[5] if last_committed is None else last_committed,
            s[6] if learners is None else learners,
            s[7] if cepoch_recv is None else cepoch_recv,
            s[8] if acke_recv is None else acke_recv,
            s[9] if ackld_recv is None else ackld_recv,
            s[10] if send_counter is None else send_counter,
            s[11] if connect_info is None else connect_info,
            s[12] if leader_oracle is None else leader_oracle,
            s[13] if msgs is None else msgs,
            s[14] if epoch_leader is None else epoch_leader,
            s[15] if proposal_msgs_log is None else proposal_msgs_log,
            s[16] if violated_invariants is None else violated_invariants,
            s[17] if recorder is None else recorder,
        ),
    )


def initial_state(n: int) -> ZabState:
    """Zab.tla's Init for ``n`` servers."""
    ids = range(n)
    return ZabState(
        state=tuple(LOOKING for _ in ids),
        zab_state=tuple(ELECTION for _ in ids),
        accepted_epoch=(0,) * n,
        current_epoch=(0,) * n,
        history=((),) * n,
        last_committed=(LastCommitted(0, ZERO_ZXID),) * n,
        learners=(0,) * n,
        cepoch_recv=((),) * n,
        acke_recv=((),) * n,
        ackld_recv=((),) * n,
        send_counter=(0,) * n,
        connect_info=(NULL_POINT,) * n,
        leader_oracle=NULL_POINT,
        msgs=tuple(((),) * n for _ in ids),
        epoch_leader=(0,) * MAXEPOCH,
        proposal_msgs_log=(),
        violated_invariants=ViolatedInvariants(),
        recorder=Recorder(),
    )


# Helpers for the EXCEPT-style updates every action makes.


def put(values: tuple, i: int, value: object) -> tuple:
    """``[values EXCEPT ![i] = value]`` for a per-server tuple."""
    # a list's copy, one item set: faster than joining two slices, compiled or not
    changed = list(values)
    changed[i] = value
    return tuple(changed)


def has(mask: int, i: int) -> bool:
    """``i \\in mask`` for a set of servers held as a bitmask."""
    return bool(mask >> i & 1)


def members(mask: int) -> list[int]:
    """The servers in a bitmask, in id order."""
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def is_quorum(mask: int, n: int) -> bool:
    """``IsQuorum``: more than half of the ``n`` servers."""
    return mask.bit_count() * 2 > n


def last_zxid(history: History) -> Zxid:
    """``LastZxidOfHistory``: the zxid of the last entry, or <<0, 0>>."""
    return history[-1].zxid if history else ZERO_ZXID


def zxid_to_index(history: History, zxid: Zxid) -> int:
    """``ZxidToIndex``: the 1-based position of ``zxid`` in ``history``.

    0 for <<0, 0>>; ``len + 1`` when absent; -1 when it appears twice.
    """
    if zxid == ZERO_ZXID:
        return 0
    found = [k for k, txn in enumerate(history, start=1) if txn.zxid == zxid]
    if not found:
        return len(history) + 1
    return -1 if len(found) > 1 else found[0]


def sid_mask(records: tuple, connected_only: bool = False) -> int:
    """The set ``{r.sid : r \\in records}`` (optionally only connected ones) as a bitmask."""
    mask = 0
    for r in records:
        if not connected_only or r.connected:
            mask |= 1 << r.sid
    return mask


def upsert(records: tuple, record: NamedTuple) -> tuple:
    """Replace the record with the same sid, or add it; keeps the sid order.

    This is the shape of Zab.tla's UpdateCepochRecv, UpdateAckeRecv and
    UpdateAckldRecv: ``(set \\ {old}) \\union {new}``.
    """
    sid = record.sid  # type: ignore[attr-defined]
    kept = [r for r in records if r.sid != sid]
    kept.append(record)
    kept.sort(key=lambda r: r.sid)
    return tuple(kept)


def mark_disconnected(records: tuple, sid: int) -> tuple:
    """``RemoveCepochRecv`` and its twins: the record of ``sid`` gets connected = FALSE."""
    return tuple(r._replace(connected=False) if r.sid == sid else r for r in records)


def add_proposals(log: tuple[ProposalRecord, ...], new: list[ProposalRecord]) -> tuple:
    """``proposalMsgsLog \\union new``, kept sorted so equal sets are equal tuples."""
    if all(p in log for p in new):
        return log
    return tuple(sorted(set(log).union(new)))
