"""The operations of ZooKeeper 3.5-3.8 beyond the classic ones, at one server (sans-IO, with its
application committing every write at once): persistent and recursive watches, checking and
removing watches, setting watches again after a reconnect, getEphemerals,
getAllChildrenNumber, whoAmI, container and TTL nodes with the leader's reaper, and
ZooKeeper's own errors for what is not served."""

from __future__ import annotations

from kazoo.protocol import serialization as kz
from kazoo.security import OPEN_ACL_UNSAFE as OPEN

from impl.jute.records import (
    AddWatchRequest,
    CheckVersionRequest,
    CheckWatchesRequest,
    Create2Response,
    CreateContainerRequest,
    CreateTTLRequest,
    EventType,
    GetAllChildrenNumberRequest,
    GetAllChildrenNumberResponse,
    GetChildrenRequest,
    GetDataRequest,
    GetEphemeralsRequest,
    GetEphemeralsResponse,
    MultiReadRequest,
    MultiResponse,
    OpCode,
    RemoveWatchesRequest,
    SetWatches,
    SetWatches2,
    WhoAmIRequest,
    WhoAmIResponse,
)
from impl.service.errors import Code
from impl.service.tree import CONTAINER_OWNER, OPEN_ACL, ttl_of
from impl.service.zookeeper import Tick
from tests.service.test_server import Harness


def events(h: Harness, conn: int) -> list[tuple[int, str]]:
    """The watch events sent to ``conn`` since the last look (replies are dropped)."""
    got = []
    for xid, _, body in h.replies(conn):
        if xid == -1:
            watch = kz.Watch.deserialize(body, 0)[0]
            got.append((watch.type, watch.path))
    return got


def answer(h: Harness, conn: int, xid: int, request) -> tuple[int, bytes]:
    """Send one request; its reply's (err, body)."""
    h.request(conn, xid, request)
    (reply,) = [(e, body) for x, e, body in h.replies(conn) if x == xid]
    return reply


def test_persistent_watches_stay_and_recursive_ones_see_the_subtree() -> None:
    h = Harness()
    h.session(1)
    h.session(2)
    assert answer(h, 1, 1, AddWatchRequest("/p", 0)) == (Code.OK, b"\0\0\0\0")
    assert answer(h, 1, 2, AddWatchRequest("/r", 1))[0] == Code.OK
    for n, request in enumerate(
        [
            kz.Create("/p", b"", OPEN, 0),
            kz.Create("/p/c", b"", OPEN, 0),
            kz.SetData("/p", b"1", -1),
            kz.SetData("/p", b"2", -1),
            kz.Create("/r", b"", OPEN, 0),
            kz.Create("/r/a", b"", OPEN, 0),
            kz.Create("/r/a/b", b"", OPEN, 0),
            kz.SetData("/r/a/b", b"x", -1),
            kz.Delete("/r/a/b", -1),
        ]
    ):
        h.request(2, n + 1, request)
    assert events(h, 1) == [
        (EventType.NODE_CREATED, "/p"),
        (EventType.NODE_CHILDREN_CHANGED, "/p"),  # persistent: the children side too
        (EventType.NODE_DATA_CHANGED, "/p"),
        (EventType.NODE_DATA_CHANGED, "/p"),  # still there after firing
        (EventType.NODE_CREATED, "/r"),
        (EventType.NODE_CREATED, "/r/a"),  # recursive: no NodeChildrenChanged
        (EventType.NODE_CREATED, "/r/a/b"),
        (EventType.NODE_DATA_CHANGED, "/r/a/b"),
        (EventType.NODE_DELETED, "/r/a/b"),
    ]


def test_watches_can_be_checked_and_removed_by_type() -> None:
    h = Harness()
    h.session(1)
    h.request(1, 1, kz.Create("/w", b"", OPEN, 0))
    h.request(1, 2, kz.GetData("/w", True))
    h.replies(1)
    data, children, any_ = 2, 1, 3
    assert answer(h, 1, 3, CheckWatchesRequest("/w", data))[0] == Code.OK
    assert answer(h, 1, 4, CheckWatchesRequest("/w", children))[0] == Code.NO_WATCHER
    assert answer(h, 1, 5, RemoveWatchesRequest("/w", children))[0] == Code.NO_WATCHER
    assert answer(h, 1, 6, RemoveWatchesRequest("/w", any_))[0] == Code.OK
    assert answer(h, 1, 7, CheckWatchesRequest("/w", any_))[0] == Code.NO_WATCHER
    h.request(1, 8, kz.SetData("/w", b"x", -1))
    assert events(h, 1) == []  # removed: nothing fires


def test_set_watches_after_a_reconnect_fires_what_was_missed_and_sets_the_rest() -> None:
    h = Harness()
    h.session(1)
    for n, path in enumerate(["/same", "/changed", "/gone", "/kids"]):
        h.request(1, n + 1, kz.Create(path, b"", OPEN, 0))
    seen = h.app.last_zxid  # what the client had seen when it lost its connection
    h.request(1, 10, kz.SetData("/changed", b"x", -1))
    h.request(1, 11, kz.Delete("/gone", -1))
    h.request(1, 12, kz.Create("/born", b"", OPEN, 0))
    h.replies(1)
    h.session(2)  # the client, reconnected (its watches died with the old connection)
    request = SetWatches(seen, ("/same", "/changed", "/gone"), ("/born", "/unborn"), ("/kids",))
    h.request(2, -8, request)
    got = h.replies(2)
    assert got[-1][:2] == (-8, Code.OK)  # the reply comes after the events it fired
    assert [kz.Watch.deserialize(b, 0)[0][:3:2] for x, _, b in got if x == -1] == [
        (EventType.NODE_DATA_CHANGED, "/changed"),
        (EventType.NODE_DELETED, "/gone"),
        (EventType.NODE_CREATED, "/born"),
    ]
    h.request(1, 13, kz.SetData("/same", b"y", -1))  # the watches set again fire later
    h.request(1, 14, kz.Create("/unborn", b"", OPEN, 0))
    h.request(1, 15, kz.Create("/kids/k", b"", OPEN, 0))
    assert events(h, 2) == [
        (EventType.NODE_DATA_CHANGED, "/same"),
        (EventType.NODE_CREATED, "/unborn"),
        (EventType.NODE_CHILDREN_CHANGED, "/kids"),
    ]
    h.request(2, -8, SetWatches2(h.app.last_zxid, (), (), (), ("/same",), ("/kids",)))
    h.replies(2)
    h.request(1, 16, kz.SetData("/same", b"z", -1))
    h.request(1, 17, kz.SetData("/kids/k", b"z", -1))
    assert events(h, 2) == [
        (EventType.NODE_DATA_CHANGED, "/same"),
        (EventType.NODE_DATA_CHANGED, "/kids/k"),
    ]


def test_ephemerals_counts_and_identities() -> None:
    h = Harness()
    h.session(1)
    h.session(2)
    for n, (path, flags) in enumerate([("/a", 0), ("/a/e1", 1), ("/a/b", 0), ("/e2", 1)]):
        h.request(1, n + 1, kz.Create(path, b"", OPEN, flags))
    h.request(2, 1, kz.Create("/a/b/other", b"", OPEN, 1))
    h.replies(1)
    err, body = answer(h, 1, 10, GetEphemeralsRequest("/"))
    assert err == Code.OK
    assert GetEphemeralsResponse.deserialize(body)[0].ephemerals == ("/a/e1", "/e2")
    err, body = answer(h, 1, 11, GetEphemeralsRequest("/a"))
    assert GetEphemeralsResponse.deserialize(body)[0].ephemerals == ("/a/e1",)
    err, body = answer(h, 1, 12, GetAllChildrenNumberRequest("/a"))
    assert GetAllChildrenNumberResponse.deserialize(body)[0].total_number == 3
    err, body = answer(h, 1, 13, GetAllChildrenNumberRequest("/"))
    assert GetAllChildrenNumberResponse.deserialize(body)[0].total_number == 7
    assert answer(h, 1, 14, GetAllChildrenNumberRequest("/nope"))[0] == Code.NO_NODE
    h.request(1, -4, kz.Auth(0, "digest", "bob:pw"))
    err, body = answer(h, 1, 15, WhoAmIRequest())
    assert err == Code.OK
    infos = WhoAmIResponse.deserialize(body)[0].client_info
    assert [(i.auth_scheme, i.user) for i in infos] == [("ip", "127.0.0.1"), ("digest", "bob")]


def test_the_leader_reaps_used_empty_containers_and_expired_ttl_nodes() -> None:
    h = Harness()
    h.session(1)
    err, body = answer(h, 1, 1, CreateContainerRequest("/c", b"", OPEN_ACL, 4))
    stat = Create2Response.deserialize(body)[0].stat
    assert err == Code.OK and stat.ephemeral_owner == CONTAINER_OWNER
    answer(h, 1, 2, CreateContainerRequest("/unused", b"", OPEN_ACL, 4))
    answer(h, 1, 3, kz.Create("/c/child", b"", OPEN, 0))
    answer(h, 1, 4, kz.Delete("/c/child", -1))
    err, body = answer(h, 1, 5, CreateTTLRequest("/t", b"", OPEN_ACL, 5, 90_000))
    assert err == Code.OK and ttl_of(Create2Response.deserialize(body)[0].stat.ephemeral_owner)
    assert answer(h, 1, 6, CreateTTLRequest("/t2", b"", OPEN_ACL, 0, 30_000))[0] == (
        Code.BAD_ARGUMENTS  # a TTL needs a TTL mode
    )
    assert answer(h, 1, 7, kz.Create("/t3", b"", OPEN, 5))[0] == Code.BAD_ARGUMENTS
    h.request(1, 8, kz.Create("/t/kid", b"", OPEN, 0))  # a TTL node may have children
    h.request(1, 9, kz.Delete("/t/kid", -1))
    h.now += 60_000  # the first check: /c is empty and was used; /t is not expired yet
    h.feed(Tick())
    assert "/c" not in h.app.tree.nodes and {"/unused", "/t"} <= set(h.app.tree.nodes)
    h.now += 60_000
    h.feed(Tick())
    assert "/t" not in h.app.tree.nodes and "/unused" in h.app.tree.nodes


def test_multi_read_answers_each_read_on_its_own_and_a_lone_check_is_a_read() -> None:
    h = Harness()
    h.session(1)
    h.request(1, 1, kz.Create("/m", b"v", OPEN, 0))
    h.request(1, 2, kz.Create("/m/k", b"", OPEN, 0))
    h.replies(1)
    ops = (GetDataRequest("/m", False), GetDataRequest("/nope", False))
    ops += (GetChildrenRequest("/m", True),)
    err, body = answer(h, 1, 3, MultiReadRequest(ops))
    results = MultiResponse.deserialize(body)[0].results
    assert err == Code.OK and [opcode for opcode, _ in results] == [4, OpCode.ERROR, 8]
    assert results[0][1].data == b"v" and results[1][1].err == Code.NO_NODE
    assert results[2][1].children == ("k",)
    h.request(1, 4, kz.Create("/m/k2", b"", OPEN, 0))  # the child watch was set
    assert events(h, 1) == [(EventType.NODE_CHILDREN_CHANGED, "/m")]
    assert answer(h, 1, 5, CheckVersionRequest("/m", 0)) == (Code.OK, b"")
    assert answer(h, 1, 6, CheckVersionRequest("/m", 3))[0] == Code.BAD_VERSION
    assert answer(h, 1, 7, CheckVersionRequest("/nope", -1))[0] == Code.NO_NODE


def test_what_is_not_served_gets_zookeepers_error() -> None:
    h = Harness()
    h.session(1)
    refused = [(OpCode.RECONFIG, Code.RECONFIG_DISABLED), (OpCode.SASL, Code.UNIMPLEMENTED)]
    for xid, (opcode, code) in enumerate(refused, start=1):
        h.send(1, kz.int_int_struct.pack(xid, opcode) + b"\0" * 16)
        assert [(x, e) for x, e, _ in h.replies(1)] == [(xid, code)]
