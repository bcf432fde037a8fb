"""Per-process files of one run: merged by Lamport clock then server, with a crashed server's
buffered messages read before its crash (see zabmc.replay.merge)."""

from __future__ import annotations

from tests.replay.test_reader import event, process_header, write
from zabmc.replay.merge import load

NOTE = {"type": "NOTIFICATION", "leader": 1, "zxid": [0, 0], "epoch": 0, "round": 1}


def test_files_merge_by_clock_then_server(tmp_path):
    one = write(
        tmp_path / "s1.jsonl", process_header(1), event(1, 1, clock=1), event(2, 1, clock=4)
    )
    two = write(
        tmp_path / "s2.jsonl", process_header(2), event(1, 2, clock=1), event(2, 2, clock=2)
    )
    (trace,) = load([str(tmp_path)])
    assert [(e.server, e.clock) for e in trace.events] == [(1, 1), (2, 1), (2, 2), (1, 4)]
    assert [e.where for e in trace.events] == [f"{one}:2", f"{two}:2", f"{two}:3", f"{one}:3"]
    assert trace.name == "p (2 files)"


def test_a_crash_comes_after_the_receipt_of_messages_sent_before_it(tmp_path):
    """Server 1 is killed at clock 3; server 2 reads 1's last notification (sent at clock
    2) from its socket at clock 5, after the crash by clock order."""
    receipt = event(
        2,
        2,
        action="FLEReceiveNotmsg",
        args=[2, 1],
        msg={**NOTE, "state": "LOOKING"},
        clock=5,
    )
    write(
        tmp_path / "s1.jsonl",
        process_header(1),
        event(1, 1, clock=2),
        event(2, 1, action="NodeCrash", clock=3),
        event(3, 1, clock=9),
    )
    write(tmp_path / "s2.jsonl", process_header(2), event(1, 2, clock=1), receipt)
    (trace,) = load([str(tmp_path)])
    order = [(e.server, e.action) for e in trace.events]
    assert order == [
        (2, "NodeStart"),
        (1, "NodeStart"),
        (2, "FLEReceiveNotmsg"),
        (1, "NodeCrash"),
        (1, "NodeStart"),
    ]


def ack_from_1(seq: int, clock: int) -> dict:
    return event(
        seq,
        2,
        action="LeaderProcessACK",
        args=[2, 1],
        msg={"type": "ACK", "zxid": [1, 1]},
        clock=clock,
    )


def notification_from_1(seq: int, clock: int) -> dict:
    return event(
        seq,
        2,
        action="FLEReceiveNotmsg",
        args=[2, 1],
        msg={**NOTE, "state": "LOOKING"},
        clock=clock,
    )


def test_an_old_ack_read_after_the_restart_moves_the_crash_and_the_restart_after_it(tmp_path):
    """Server 1 is killed at clock 3 and starts again at clock 4; leader 2 reads 1's last ACK
    from its old socket at clock 8. Server 1 has taken only election steps since: the ACK
    is from before the crash, so crash, restart and those steps follow the receipt."""
    write(
        tmp_path / "s1.jsonl",
        process_header(1),
        event(1, 1, clock=2),
        event(2, 1, action="NodeCrash", clock=3),
        event(3, 1, clock=4),
        event(4, 1, action="FLENotmsgTimeout", args=[1], clock=6),
        event(5, 1, action="ConnectAndFollowerSendFOLLOWERINFO", args=[2, 1], clock=10),
    )
    write(tmp_path / "s2.jsonl", process_header(2), event(1, 2, clock=1), ack_from_1(2, 8))
    (trace,) = load([str(tmp_path)])
    assert [(e.server, e.action) for e in trace.events] == [
        (2, "NodeStart"),
        (1, "NodeStart"),
        (2, "LeaderProcessACK"),
        (1, "NodeCrash"),
        (1, "NodeStart"),
        (1, "FLENotmsgTimeout"),
        (1, "ConnectAndFollowerSendFOLLOWERINFO"),
    ]


def test_a_vote_of_the_new_life_keeps_the_crash_before_it(tmp_path):
    """A notification from the restarted server may be new: the crash stays where it is."""
    write(
        tmp_path / "s1.jsonl",
        process_header(1),
        event(1, 1, clock=2),
        event(2, 1, action="NodeCrash", clock=3),
        event(3, 1, clock=4),
    )
    write(tmp_path / "s2.jsonl", process_header(2), event(1, 2, clock=1), notification_from_1(2, 8))
    (trace,) = load([str(tmp_path)])
    assert [(e.server, e.action) for e in trace.events] == [
        (2, "NodeStart"),
        (1, "NodeStart"),
        (1, "NodeCrash"),
        (1, "NodeStart"),
        (2, "FLEReceiveNotmsg"),
    ]


def test_an_ack_read_after_its_sender_gave_up_its_leader_comes_before_the_timeout(tmp_path):
    """Follower 1 sends ACK (clock 2) and gives up its leader (ZabTimeout, clock 3); leader 2
    reads the ACK at clock 8. The timeout and 1's election steps since follow the receipt."""
    write(
        tmp_path / "s1.jsonl",
        process_header(1),
        event(1, 1, clock=2),
        event(2, 1, action="ZabTimeout", clock=3),
        event(3, 1, action="FLENotmsgTimeout", args=[1], clock=4),
    )
    write(tmp_path / "s2.jsonl", process_header(2), event(1, 2, clock=1), ack_from_1(2, 8))
    (trace,) = load([str(tmp_path)])
    assert [(e.server, e.action) for e in trace.events] == [
        (2, "NodeStart"),
        (1, "NodeStart"),
        (2, "LeaderProcessACK"),
        (1, "ZabTimeout"),
        (1, "FLENotmsgTimeout"),
    ]
