"""A system-spec state as named variables in readable terms, for reports.

Servers are ZooKeeper myids ``s1 .. sn``; zxids are ``epoch:counter``. Only what is
meaningful is shown: a server that is down shows only what it persisted, the
leader and learner groups only for servers in those roles.
"""

from __future__ import annotations

from typing import Any

from spec.system.constants import (
    LEADING,
    MESSAGE_TYPE_NAMES,
    NULL,
    SERVER_STATE_NAMES,
    SNAP,
    SYNC_MODE_NAMES,
    SYNCED,
    ZAB_STATE_NAMES,
)
from spec.system.ghost import BREACH_NAMES
from spec.system.params import Params
from spec.system.state import Breach, History, Notification, SystemState, Vote, members
from spec.system.zxid import zxid_text


def server_name(i: int) -> str:
    """The ZooKeeper myid of server ``i``: ``s1`` for 0."""
    return "nobody" if i == NULL else f"s{i + 1}"


def server_set(mask: int) -> list[str]:
    return [server_name(i) for i in members(mask)]


def history_text(h: History) -> list[str]:
    """Each entry as ``epoch:counter=value``."""
    return [f"{zxid_text(t.zxid)}=v{t.value}" for t in h]


def vote_text(v: Vote) -> str:
    return f"{server_name(v.leader)} {zxid_text(v.zxid)} e{v.epoch}"


def notification_text(n: tuple) -> str:
    if not n:
        return "timeout"
    assert isinstance(n, Notification)
    vote = vote_text(Vote(n.leader, n.zxid, n.epoch))
    return f"from {server_name(n.source)} {SERVER_STATE_NAMES[n.state]} r{n.round}: {vote}"


def message_text(msg: tuple) -> str:
    """A Zab message as ``TYPE fields``, zxids as epoch:counter."""
    name = MESSAGE_TYPE_NAMES[msg[0]]
    if msg[0] == SNAP:
        return f"{name} {zxid_text(msg.zxid)} [{', '.join(history_text(msg.snapshot))}]"  # type: ignore[attr-defined]
    fields = []
    for field, value in zip(msg._fields[1:], msg[1:], strict=True):  # type: ignore[attr-defined]
        if field == "zxid":
            fields.append(zxid_text(value))
        elif field == "value":
            fields.append(f"v{value}")
        elif field == "fresh":
            if not value:
                fields.append("(epoch already accepted)")
        else:
            fields.append(f"e{value}")
    return " ".join([name, *fields])


def breach_text(b: Breach) -> str:
    zxid = f" {zxid_text(b.zxid)}" if b.zxid else ""
    return f"{BREACH_NAMES[b.kind]} at {server_name(b.server)} (peer {server_name(b.peer)}){zxid}"


def render_state(s: SystemState, p: Params) -> dict[str, Any]:
    """The variables of ``s``, per server."""
    n = p.n
    names = [server_name(i) for i in range(n)]
    servers: dict[str, Any] = {}
    for i, srv in enumerate(s.servers):
        row: dict[str, Any] = {
            "status": "ONLINE" if srv.online else "OFFLINE",
            "acceptedEpoch": srv.accepted_epoch,
            "currentEpoch": srv.current_epoch,
            "history": history_text(srv.history),
            "lastSnapshot": srv.last_snapshot,
        }
        if srv.online:
            el = s.elections[i]
            row.update(
                {
                    "state": SERVER_STATE_NAMES[srv.state],
                    "zabState": ZAB_STATE_NAMES[srv.zab_state],
                    "lastCommitted": srv.last_committed,
                    "lastProcessed": srv.last_processed,
                    "vote": vote_text(el.vote),
                    "round": el.round,
                }
            )
            if el.queue:
                row["recvQueue"] = [notification_text(q) for q in el.queue]
            if el.waiting:
                row["waitNotmsg"] = True
        servers[names[i]] = row
        if srv.online and srv.state == LEADING:
            ld = s.leaders[i]
            row["leader"] = {
                "learners": server_set(ld.learners),
                "connecting": server_set(ld.connecting),
                "electing": server_set(ld.electing_quorum),
                "toSync": {
                    names[k]: zxid_text(z)
                    for k, z in enumerate(ld.peer_last_zxid)
                    if z != SYNCED and ld.electing >> k & 1
                },
                "ackldRecv": server_set(ld.ackld),
                "forwarding": server_set(ld.forwarding),
                "epochToPropose": ld.new_epoch,
                "acks": [server_set(a) for a in ld.acks],
            }
        lrn = s.learners[i]
        if lrn.leader != NULL:
            row["learner"] = {
                "leader": server_name(lrn.leader),
                "syncMode": SYNC_MODE_NAMES[lrn.sync_mode],
                "newLeaderTaken": lrn.nl_received,
                "packetsNotCommitted": history_text(lrn.not_committed),
                "packetsCommitted": [zxid_text(z) for z in lrn.committed],
                "queuedForDisk": history_text(lrn.queued),
            }
    net = s.network
    return {
        "servers": servers,
        "msgs": {
            f"{names[c // n]}->{names[c % n]}": [message_text(msg) for msg in ch]
            for c, ch in enumerate(net.msgs)
            if ch
        },
        "notifications": {
            f"{names[c // n]}->{names[c % n]}": [notification_text(x) for x in ch]
            for c, ch in enumerate(net.notes)
            if ch
        },
        "partitioned": [
            f"{names[c // n]}-{names[c % n]}"
            for c in range(n * n)
            if net.cut >> c & 1 and c // n < c % n
        ],
        "committedLog": history_text(s.ghost.committed),
        "epochLeader": {
            str(e + 1): server_set(mask) for e, mask in enumerate(s.ghost.epoch_leader) if mask
        },
        "breaches": [breach_text(b) for b in s.ghost.breaches],
        "recorder": s.recorder._asdict(),
    }
