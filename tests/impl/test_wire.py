"""The peer codec and the sans-IO framing: round trips, fragments, limits, garbage."""

from __future__ import annotations

import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl.core.errors import RemoteProtocolError
from impl.core.messages import Message, Ping, Snapshot, Txn
from impl.core.roles import Role
from impl.framing import NEED_DATA, PEER, FrameDecoder, encode_frames
from impl.wire.codec import CODES, STAMPED, Hello, decode, decode_stamped, encode

u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
txns = st.builds(Txn, u64, u32, u64, st.binary(max_size=64), st.integers(-(2**63), 2**63 - 1))
snapshots = st.builds(
    Snapshot, u64, st.lists(st.tuples(u64, u32), max_size=4).map(tuple), st.binary(max_size=64)
)
MESSAGE_TYPES = typing.get_args(Message)


def strategy_for(cls: type) -> st.SearchStrategy[typing.Any]:
    hints = typing.get_type_hints(cls)
    fields = {}
    for name, hint in hints.items():
        if hint is int:
            narrow = {
                "leader": u32,
                "origin": u32,
                "server_id": u32,
                "version": st.integers(0, 2**16 - 1),
            }
            fields[name] = narrow.get(name, u64)
        elif hint is bool:
            fields[name] = st.booleans()
        elif hint is bytes:
            fields[name] = st.binary(max_size=64)
        elif hint is Role:
            fields[name] = st.sampled_from(Role)
        elif hint is Txn:
            fields[name] = txns
        elif hint is Snapshot:
            fields[name] = snapshots
        else:  # pragma: no cover - a new field type needs a strategy here
            raise TypeError(hint)
    return st.builds(cls, **fields)


records = st.one_of([strategy_for(cls) for cls in (*MESSAGE_TYPES, Hello)])


def test_every_message_type_has_a_codec() -> None:
    assert set(CODES) == {*MESSAGE_TYPES, Hello}


@settings(derandomize=True)
@given(records)
def test_messages_round_trip(message: typing.Any) -> None:
    assert decode(encode(message)) == message


@settings(derandomize=True)
@given(st.lists(records, min_size=1, max_size=5), st.integers(1, 40))
def test_frames_survive_any_split_and_fragmentation(messages: list, chunk: int) -> None:
    max_frame = 16
    stream = b"".join(encode_frames(encode(m), max_frame) for m in messages)
    decoder = FrameDecoder(PEER, max_frame=max_frame)
    out = []
    for start in range(0, len(stream), chunk):
        decoder.receive_data(stream[start : start + chunk])
        while (body := decoder.next_frame()) is not NEED_DATA:
            assert isinstance(body, bytes)
            out.append(decode(body))
    assert out == messages


def test_an_oversized_frame_is_refused_with_its_offset() -> None:
    decoder = FrameDecoder(PEER)
    decoder.receive_data(encode_frames(encode(Hello(1, 1))))
    assert decoder.next_frame() is not NEED_DATA
    decoder.receive_data((2**20 + 1).to_bytes(4, "big") + b"\x00")
    with pytest.raises(RemoteProtocolError, match=r"at byte 16 .*exceeds the limit of 1048576"):
        decoder.next_frame()


def test_a_message_over_the_total_limit_is_refused() -> None:
    decoder = FrameDecoder(PEER, max_frame=8, max_message=20)
    decoder.receive_data(encode_frames(b"x" * 40, max_frame=8))
    with pytest.raises(RemoteProtocolError, match="exceeds 20 bytes"):
        decoder.next_frame()


def test_unknown_frame_flags_are_refused() -> None:
    decoder = FrameDecoder(PEER)
    decoder.receive_data(b"\x00\x00\x00\x01\x80x")
    with pytest.raises(RemoteProtocolError, match="bad frame flags 0x80 at byte 0"):
        decoder.next_frame()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty message"),
        (b"\x7f", "unknown message type 0x7f"),
        (b"\x0b\x00\x00", "malformed Proposal: truncated u64 at byte 1"),
        (encode(Hello(1, 2)) + b"!", "1 trailing bytes after Hello"),
        (b"\x00XXXX\x00\x01\x00\x00\x00\x01", "not a zabmc peer"),
        (b"\x04" + bytes(16) + b"\x02", "bad boolean 2 in AckEpoch"),
        (b"\x01" + bytes(28) + b"\x09", "bad role 9 in Notification at byte 29"),
    ],
)
def test_malformed_messages_name_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        decode(data)


@settings(max_examples=300, derandomize=True)
@given(st.binary(max_size=300))
def test_garbage_only_ever_raises_remote_protocol_error(data: bytes) -> None:
    decoder = FrameDecoder(PEER, max_frame=64)
    decoder.receive_data(data)
    try:
        while (body := decoder.next_frame()) is not NEED_DATA:
            assert isinstance(body, bytes)
            decode(body)
    except RemoteProtocolError:
        pass


@settings(derandomize=True)
@given(st.one_of([strategy_for(cls) for cls in MESSAGE_TYPES]), u64)
def test_stamped_messages_round_trip_with_their_clock(message: typing.Any, clock: int) -> None:
    assert decode_stamped(encode(message, clock)) == (message, clock)
    assert decode_stamped(encode(message)) == (message, None)


def test_a_stamped_hello_or_a_truncated_clock_is_refused() -> None:
    hello = encode(Hello(3, 1))
    with pytest.raises(RemoteProtocolError, match="Hello may not carry a clock"):
        decode_stamped(bytes((hello[0] | STAMPED,)) + bytes(8) + hello[1:])
    with pytest.raises(RemoteProtocolError, match="truncated clock"):
        decode_stamped(encode(Ping(1), 5)[:4])
