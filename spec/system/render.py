"""A system-spec state as named variables in readable terms, for reports.

Servers are ZooKeeper myids ``s1 .. sn``; zxids are ``epoch:counter``. Only what is
meaningful is shown: a server that is down shows only what it persisted, the
leader and learner groups only for servers in those roles.
"""

from __future__ import annotations

from typing import Any

from spec.system.constants import (
    DISCOVERY,
    LEADING,
    LOOKING,
    MESSAGE_TYPE_NAMES,
    NULL,
    SERVER_STATE_NAMES,
    SNAP,
    SYNC_MODE_NAMES,
    SYNCED,
    ZAB_STATE_NAMES,
)
from spec.system.ghost import BREACH_NAMES
from spec.system.learner_log import snapshot_only_in_memory
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
    """A breach as ``kind at server: MESSAGE zxid from peer``."""
    what = f"{MESSAGE_TYPE_NAMES[b.message]} " if b.message != NULL else ""
    zxid = f"{zxid_text(b.zxid)} " if b.zxid else ""
    return (
        f"{BREACH_NAMES[b.kind]} at {server_name(b.server)}: {what}{zxid}from {server_name(b.peer)}"
    )


def render_state(s: SystemState, p: Params) -> dict[str, Any]:
    """The variables of ``s``, each per server (ZkV3_7_0.tla's names where it has them).

    Volatile variables are shown for servers that are up, the leader's and the
    learner's variables only for servers in those roles.
    """
    n = p.n
    names = [server_name(i) for i in range(n)]
    up = [i for i in range(n) if s.servers[i].online]
    leading = [i for i in up if s.servers[i].state == LEADING]
    learning = [i for i in up if s.learners[i].leader != NULL]

    def each(which: list[int], value) -> dict[str, Any]:
        return {names[i]: value(i) for i in which}

    srv, el, ld, lrn = s.servers, s.elections, s.leaders, s.learners
    everyone = list(range(n))
    rendered: dict[str, Any] = {
        "status": each(everyone, lambda i: "ONLINE" if srv[i].online else "OFFLINE"),
        "state": each(up, lambda i: SERVER_STATE_NAMES[srv[i].state]),
        "zabState": each(up, lambda i: ZAB_STATE_NAMES[srv[i].zab_state]),
        "acceptedEpoch": each(everyone, lambda i: srv[i].accepted_epoch),
        "currentEpoch": each(everyone, lambda i: srv[i].current_epoch),
        "history": each(everyone, lambda i: history_text(srv[i].history)),
        "lastSnapshot": each(everyone, lambda i: srv[i].last_snapshot),
        "lastCommitted": each(up, lambda i: srv[i].last_committed),
        "lastProcessed": each(up, lambda i: srv[i].last_processed),
        "currentVote": each(up, lambda i: vote_text(el[i].vote)),
        "logicalClock": each(up, lambda i: el[i].round),
        "recvQueue": each(
            [i for i in up if el[i].queue], lambda i: [notification_text(q) for q in el[i].queue]
        ),
        "waitNotmsg": each([i for i in up if el[i].waiting], lambda i: True),
        "learners": each(leading, lambda i: server_set(ld[i].learners)),
        "connecting": each(leading, lambda i: server_set(ld[i].connecting)),
        "electing": each(leading, lambda i: server_set(ld[i].electing_quorum)),
        "toSync": each(
            leading,
            lambda i: {
                names[k]: zxid_text(z)
                for k, z in enumerate(ld[i].peer_last_zxid)
                if z != SYNCED and ld[i].electing >> k & 1
            },
        ),
        "ackldRecv": each(leading, lambda i: server_set(ld[i].ackld)),
        "forwarding": each(leading, lambda i: server_set(ld[i].forwarding)),
        "tempMaxEpoch": each(leading, lambda i: ld[i].new_epoch),
        "ackSid": each(leading, lambda i: [server_set(a) for a in ld[i].acks]),
        "connectInfo": each(
            learning,
            lambda i: (
                f"{server_name(lrn[i].leader)} {SYNC_MODE_NAMES[lrn[i].sync_mode]}"
                + (" NEWLEADER taken" if lrn[i].nl_received else "")
            ),
        ),
        "packetsNotCommitted": each(learning, lambda i: history_text(lrn[i].not_committed)),
        "packetsCommitted": each(learning, lambda i: [zxid_text(z) for z in lrn[i].committed]),
        "queuedRequests": each(learning, lambda i: history_text(lrn[i].queued)),
        # from SNAP to NEWLEADER the leader's snapshot is in memory only: the log on disk
        "logOnDisk": each(
            [i for i in learning if snapshot_only_in_memory(p, lrn[i])],
            lambda i: history_text(lrn[i].disk_log),
        ),
    }
    if p.coarse_election:
        # The coarse election keeps of a vote only its leader (votes.kept_vote), and no
        # rounds: show whom each decided server follows, not a vote it never had.
        decided = [i for i in up if srv[i].state != LOOKING]
        rendered["currentVote"] = each(decided, lambda i: server_name(el[i].vote.leader))
        del rendered["logicalClock"]
        # It keeps no discovery masks once they have done their work (discovery.epoch_decided,
        # discovery.epoch_established): show them only while the leader waits for them.
        gathering = [i for i in leading if not p.is_quorum(ld[i].connecting)]
        waiting = [i for i in leading if srv[i].zab_state == DISCOVERY]
        rendered["connecting"] = each(gathering, lambda i: server_set(ld[i].connecting))
        rendered["tempMaxEpoch"] = each(gathering, lambda i: ld[i].new_epoch)
        rendered["electing"] = each(waiting, lambda i: server_set(ld[i].electing_quorum))
    net = s.network
    rendered.update(
        {
            "msgs": {
                f"{names[c // n]}->{names[c % n]}": [message_text(msg) for msg in ch]
                for c, ch in enumerate(net.msgs)
                if ch
            },
            "electionMsgs": {
                f"{names[c // n]}->{names[c % n]}": [notification_text(x) for x in ch]
                for c, ch in enumerate(net.notes)
                if ch
            },
            "partition": [
                f"{names[c // n]}-{names[c % n]}"
                for c in range(n * n)
                if net.cut >> c & 1 and c // n < c % n
            ],
            "committedLog": history_text(s.ghost.committed),
            "epochLeader": {
                str(e + 1): server_set(mask) for e, mask in enumerate(s.ghost.epoch_leader) if mask
            },
            "violatedInvariants": [breach_text(b) for b in s.ghost.breaches],
            "recorder": s.recorder._asdict(),
        }
    )
    return rendered
