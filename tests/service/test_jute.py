"""The jute codec and the client framing: round trips, agreement with kazoo's own encoders
(an independent implementation), truncation and garbage, frame limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kazoo.protocol import serialization as kz
from kazoo.security import ACL as KazooACL
from kazoo.security import Id as KazooId

from impl.framing import CLIENT, NEED_DATA, FrameDecoder, FrameError, frame
from impl.framing import DEFAULT_MAX_FRAME as MAX_FRAME
from impl.jute.codec import JuteError
from impl.jute.records import (
    ACL,
    MULTI_OPS,
    REQUESTS,
    CheckVersionRequest,
    ConnectRequest,
    ConnectResponse,
    Create2Request,
    Create2Response,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    EmptyResponse,
    ErrorResult,
    GetChildren2Response,
    GetDataResponse,
    Id,
    MultiRequest,
    MultiResponse,
    ReplyHeader,
    SetDataRequest,
    Stat,
    StatResponse,
    WatcherEvent,
)

i32 = st.integers(-(2**31), 2**31 - 1)
i64 = st.integers(-(2**63), 2**63 - 1)
paths = st.text(min_size=1, max_size=20).map(lambda s: "/" + s)
data = st.none() | st.binary(max_size=40)
acls = st.lists(
    st.builds(ACL, i32, st.builds(Id, st.text(max_size=8), st.text(max_size=8))), max_size=3
).map(tuple)
stats = st.builds(Stat, *([i64] * 4 + [i32] * 3 + [i64, i32, i32, i64]))
creates = st.builds(CreateRequest, paths, data, acls, i32)
multi_ops = st.one_of(
    creates,
    st.builds(Create2Request, paths, data, acls, i32),
    st.builds(DeleteRequest, paths, i32),
    st.builds(SetDataRequest, paths, data, i32),
    st.builds(CheckVersionRequest, paths, i32),
)


def round_trip(record) -> None:
    raw = record.serialize()
    back, end = type(record).deserialize(raw + b"tail", 0)
    assert back == record and end == len(raw)


@settings(derandomize=True, max_examples=300)
@given(
    st.one_of(
        creates,
        multi_ops,
        st.builds(MultiRequest, st.lists(multi_ops, max_size=4).map(tuple)),
        st.builds(ConnectRequest, i32, i64, i32, i64, data, st.booleans()),
        st.builds(ConnectResponse, i32, i32, i64, data, st.booleans()),
        st.builds(GetDataResponse, data, stats),
        st.builds(GetChildren2Response, st.lists(st.text(max_size=5)).map(tuple), stats),
        st.builds(WatcherEvent, i32, i32, paths),
        st.builds(ReplyHeader, i32, i64, i32),
    )
)
def test_every_record_reads_back_what_it_wrote(record) -> None:
    round_trip(record)


def test_every_request_opcode_has_its_record() -> None:
    classic = [-11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 100]
    since_3_5 = [17, 18, 19, 20, 21, 22, 101, 103, 104, 105, 106, 107]
    assert sorted(REQUESTS) == sorted(classic + since_3_5)
    assert all(cls.type == opcode for opcode, cls in REQUESTS.items())
    assert set(MULTI_OPS) == {1, 2, 5, 13, 15}


def test_requests_as_kazoo_writes_them() -> None:
    acl = [KazooACL(31, KazooId("world", "anyone"))]
    ours_acl = (ACL(31, Id("world", "anyone")),)
    cases = [
        (kz.Create("/a", b"v", acl, 3), CreateRequest("/a", b"v", ours_acl, 3)),
        (kz.Create2("/a", b"", acl, 0), Create2Request("/a", b"", ours_acl, 0)),
        (kz.Delete("/a", 4), DeleteRequest("/a", 4)),
        (kz.SetData("/a", b"x", -1), SetDataRequest("/a", b"x", -1)),
        (
            kz.Transaction([kz.CheckVersion("/a", 1), kz.Delete("/b", -1)]),
            MultiRequest((CheckVersionRequest("/a", 1), DeleteRequest("/b", -1))),
        ),
        (
            kz.Connect(0, 7, 30_000, 0x1234, b"p" * 16, False),
            ConnectRequest(0, 7, 30_000, 0x1234, b"p" * 16, False),
        ),
    ]
    for theirs, ours in cases:
        assert type(ours).deserialize(bytes(theirs.serialize()), 0) == (ours, len(ours.serialize()))


def test_replies_as_kazoo_reads_them() -> None:
    stat = Stat(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
    assert kz.Create.deserialize(CreateResponse("/a").serialize(), 0) == "/a"
    assert kz.Create2.deserialize(Create2Response("/a", stat).serialize(), 0) == ("/a", stat)
    assert kz.Exists.deserialize(StatResponse(stat).serialize(), 0) == stat
    assert kz.GetData.deserialize(GetDataResponse(b"v", stat).serialize(), 0) == (b"v", stat)
    multi = MultiResponse(
        ((1, CreateResponse("/a")), (5, StatResponse(stat)), (2, EmptyResponse()))
    )
    assert kz.Transaction.deserialize(multi.serialize(), 0) == ["/a", stat, True]
    failed = MultiResponse(((-1, ErrorResult(0)), (-1, ErrorResult(-103))))
    assert [type(e).__name__ for e in kz.Transaction.deserialize(failed.serialize(), 0)] == [
        "RolledBackError",
        "BadVersionError",
    ]
    event = kz.Watch.deserialize(WatcherEvent(3, 3, "/w").serialize(), 0)
    assert event == (kz.Watch(3, 3, "/w"), 14)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x00\x00\x00\x02/", "bad string length 2 at byte 0"),
        (b"\xff\xff\xff\xfe", "bad string length -2 at byte 0"),
        (b"\x00\x00\x00\x01\xff\x00\x00\x00\x00", "string at byte 4 is not UTF-8"),
        (b"\x00\x00\x00\x01/\x02", "bad bool 2 at byte 5"),
        (b"\x00\x00\x00\x01/", "truncated bool at byte 5"),
    ],
)
def test_garbage_is_refused_with_its_byte_offset(raw: bytes, message: str) -> None:
    from impl.jute.records import GetDataRequest

    with pytest.raises(JuteError, match=message):
        GetDataRequest.deserialize(raw, 0)


def test_a_multi_with_an_operation_it_cannot_hold_is_refused() -> None:
    raw = kz.MultiHeader(4, False, -1).serialize() + kz.GetData("/a", False).serialize()
    with pytest.raises(JuteError, match="operation type 4 not allowed in multi at 0"):
        MultiRequest.deserialize(bytes(raw), 0)


def test_frames_arrive_in_pieces_and_whole() -> None:
    decoder = FrameDecoder(CLIENT)
    stream = frame(b"one") + frame(b"") + frame(b"three" * 1000)
    for byte in stream[:-1]:
        decoder.receive_data(bytes([byte]))
    got = []
    while (body := decoder.next_frame()) is not NEED_DATA:
        got.append(body)
    assert got == [b"one", b""]
    decoder.receive_data(stream[-1:])
    assert decoder.next_frame() == b"three" * 1000
    assert decoder.next_frame() is NEED_DATA and decoder.offset == len(stream)


def test_a_frame_over_one_mebibyte_is_refused_before_it_is_read() -> None:
    decoder = FrameDecoder(CLIENT)
    decoder.receive_data(frame(b"x" * MAX_FRAME))
    assert decoder.next_frame() == b"x" * MAX_FRAME
    decoder.receive_data((MAX_FRAME + 1).to_bytes(4, "big"))
    with pytest.raises(FrameError, match=f"frame length {MAX_FRAME + 1} at byte {MAX_FRAME + 4}"):
        decoder.next_frame()
    negative = FrameDecoder(CLIENT)
    negative.receive_data(b"\xff\xff\xff\xff")
    with pytest.raises(FrameError, match="frame length -1 at byte 0"):
        negative.next_frame()
