"""The replicated state driven directly: node kinds, versions, multi, sessions, snapshots, and
determinism (the same txns give the same state on every server)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from impl.core.messages import Txn
from impl.jute.records import (
    CheckVersionRequest,
    Create2Request,
    Create2Response,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    EventType,
    MultiRequest,
    MultiResponse,
    OpCode,
    SetDataRequest,
    StatResponse,
    SyncRequest,
)
from impl.service.application import APPLY, ZooKeeperApplication
from impl.service.errors import Code
from impl.service.tree import OPEN_ACL
from impl.service.txns import (
    REVALIDATE_SESSION,
    CloseSessionTxn,
    CreateSessionTxn,
    Outcome,
    RevalidateSessionTxn,
    payload,
)

S1, S2 = 0x0100000000000001, 0x0200000000000002


class Replica:
    """One server's application, fed txns in zxid order."""

    def __init__(self) -> None:
        self.app = ZooKeeperApplication()
        self.zxid = 0

    def apply(self, session: int, record, time_ms: int = 0) -> Outcome:
        self.zxid += 1
        body = payload(session, record.type, record.serialize())
        result = self.app.apply(Txn(self.zxid, 1, self.zxid, body, time_ms or 1000 + self.zxid))
        return Outcome.deserialize(result)[0]

    def session(self, sid: int, timeout: int = 5000) -> None:
        assert self.apply(sid, CreateSessionTxn(timeout, b"p" * 16)).err == Code.OK


def tree_bytes(app: ZooKeeperApplication) -> bytes:
    out = bytearray()
    app.tree.write_into(out)
    return bytes(out)


def create(path: str, flags: int = 0, data: bytes = b"") -> CreateRequest:
    return CreateRequest(path, data, OPEN_ACL, flags)


def test_a_fresh_tree_holds_the_root_and_zookeepers_own_nodes() -> None:
    tree = ZooKeeperApplication().tree
    assert sorted(tree.nodes) == ["/", "/zookeeper", "/zookeeper/quota"]
    assert tree.node("/").stat().num_children == 1


def test_create_stamps_the_txns_zxid_and_time_and_counts_in_the_parent() -> None:
    r = Replica()
    r.session(S1)
    out = r.apply(S1, create("/a", data=b"hi"), time_ms=777)
    assert out.err == Code.OK and CreateResponse.deserialize(out.reply)[0].path == "/a"
    assert out.fired == ((EventType.NODE_CREATED, "/a"), (EventType.NODE_CHILDREN_CHANGED, "/"))
    stat = r.app.tree.node("/a").stat()
    assert (stat.czxid, stat.mzxid, stat.pzxid, stat.ctime, stat.mtime) == (2, 2, 2, 777, 777)
    assert stat.data_length == 2 and stat.ephemeral_owner == 0
    root = r.app.tree.node("/")
    # one create under the root (/zookeeper is not one): a client sees 2 * 1 - 2 children
    assert root.pzxid == 2 and root.cversion == 1 and root.stat().cversion == 0


def test_sequential_names_come_from_the_parents_cversion() -> None:
    r = Replica()
    r.session(S1)
    r.apply(S1, create("/q"))
    names = []
    for flags in (2, 3, 2):
        out = r.apply(S1, create("/q/n-", flags))
        names.append(CreateResponse.deserialize(out.reply)[0].path)
    r.apply(S1, DeleteRequest("/q/n-0000000000", -1))  # a delete does not count
    out = r.apply(S1, create("/q/", 2))  # a sequential create may end in /
    names.append(CreateResponse.deserialize(out.reply)[0].path)
    assert names == ["/q/n-0000000000", "/q/n-0000000001", "/q/n-0000000002", "/q/0000000003"]
    assert r.app.tree.node("/q/n-0000000001").ephemeral_owner == S1


def test_errors_carry_zookeepers_codes_and_change_nothing() -> None:
    r = Replica()
    r.session(S1)
    r.apply(S1, create("/a"))
    r.apply(S1, create("/e", flags=1))
    before = tree_bytes(r.app)
    cases = [
        (create("/a"), Code.NODE_EXISTS),
        (create("/x/y"), Code.NO_NODE),
        (create("/e/child"), Code.NO_CHILDREN_FOR_EPHEMERALS),
        (create("/a//b"), Code.BAD_ARGUMENTS),
        (create("/a/."), Code.BAD_ARGUMENTS),
        (create("relative"), Code.BAD_ARGUMENTS),
        (create("/a/b", flags=5), Code.BAD_ARGUMENTS),  # a TTL mode without a TTL
        (create("/a/b", flags=7), Code.BAD_ARGUMENTS),
        (CreateRequest("/a/b", b"", (), 0), Code.INVALID_ACL),
        (SetDataRequest("/a", b"x", 3), Code.BAD_VERSION),
        (DeleteRequest("/", -1), Code.BAD_ARGUMENTS),
        (DeleteRequest("/missing", -1), Code.NO_NODE),
    ]
    for request, code in cases:
        out = r.apply(S1, request)
        assert (out.err, out.fired, out.reply) == (code, (), b""), request
    assert r.apply(S2, create("/b")).err == Code.SESSION_EXPIRED  # S2 never existed
    assert tree_bytes(r.app) == before
    r.apply(S1, create("/a/child"))
    assert r.apply(S1, DeleteRequest("/a", -1)).err == Code.NOT_EMPTY


def test_set_data_bumps_the_version_and_fires_a_data_event() -> None:
    r = Replica()
    r.session(S1)
    r.apply(S1, create("/a"))
    out = r.apply(S1, SetDataRequest("/a", b"new", 0), time_ms=5000)
    stat = StatResponse.deserialize(out.reply)[0].stat
    assert (stat.version, stat.mzxid, stat.mtime, stat.czxid) == (1, 3, 5000, 2)
    assert out.fired == ((EventType.NODE_DATA_CHANGED, "/a"),)
    assert r.apply(S1, SetDataRequest("/a", b"any", -1)).err == Code.OK


def test_a_failed_multi_is_undone_entirely_and_reports_every_operation() -> None:
    r = Replica()
    r.session(S1)
    r.apply(S1, create("/a"))
    r.apply(S1, create("/b", data=b"b"))
    before = tree_bytes(r.app)
    multi = MultiRequest(
        (
            create("/a/new", 2),
            DeleteRequest("/b", -1),
            SetDataRequest("/a", b"x", -1),
            CheckVersionRequest("/a", 0),  # fails: setData just made it version 1
            create("/c"),
        )
    )
    out = r.apply(S1, multi)
    results = MultiResponse.deserialize(out.reply)[0].results
    assert [(op, res.err) for op, res in results] == [
        (-1, 0),
        (-1, 0),
        (-1, 0),
        (-1, Code.BAD_VERSION),
        (-1, Code.RUNTIME_INCONSISTENCY),
    ]
    assert out.err == Code.OK and out.fired == ()
    assert tree_bytes(r.app) == before


def test_a_multi_that_succeeds_applies_every_operation_with_one_zxid() -> None:
    r = Replica()
    r.session(S1)
    multi = MultiRequest(
        (create("/m"), Create2Request("/m/s-", b"", OPEN_ACL, 2), CheckVersionRequest("/m", 0))
    )
    out = r.apply(S1, multi)
    (op1, first), (op2, second), (op3, _) = MultiResponse.deserialize(out.reply)[0].results
    assert (op1, first.path, op2, op3) == (OpCode.CREATE, "/m", OpCode.CREATE2, OpCode.CHECK)
    assert isinstance(second, Create2Response) and second.path == "/m/s-0000000000"
    assert second.stat.czxid == r.app.tree.node("/m").czxid == 2
    assert len(out.fired) == 4


def test_closing_a_session_deletes_its_ephemerals_and_nothing_of_others() -> None:
    r = Replica()
    r.session(S1)
    r.session(S2)
    r.apply(S1, create("/p"))
    r.apply(S1, create("/p/e1", 1))
    r.apply(S1, create("/p/e2", 3))
    r.apply(S2, create("/p/other", 1))
    out = r.apply(S1, CloseSessionTxn())
    assert out.err == Code.OK
    assert [e for e in out.fired if e[0] == EventType.NODE_DELETED] == [
        (EventType.NODE_DELETED, "/p/e1"),
        (EventType.NODE_DELETED, "/p/e20000000001"),
    ]
    assert sorted(r.app.tree.node("/p").children) == ["other"]
    assert S1 not in r.app.sessions and r.app.tree.ephemerals == {S2: {"/p/other"}}
    assert r.apply(S1, create("/p/late", 1)).err == Code.SESSION_EXPIRED
    assert r.apply(S1, CloseSessionTxn()).err == Code.OK  # closing twice is harmless


def test_revalidation_checks_the_session_and_its_password_in_zxid_order() -> None:
    r = Replica()
    r.session(S1)
    assert r.apply(S1, RevalidateSessionTxn(b"p" * 16)).err == Code.OK
    assert r.apply(S1, RevalidateSessionTxn(b"q" * 16)).err == Code.SESSION_EXPIRED
    r.apply(S1, CloseSessionTxn())
    assert r.apply(S1, RevalidateSessionTxn(b"p" * 16)).err == Code.SESSION_EXPIRED
    assert REVALIDATE_SESSION not in OpCode.__dict__.values()


def test_garbage_in_a_txn_is_a_marshalling_error_not_a_crash() -> None:
    app = ZooKeeperApplication()
    for raw in (b"", b"\x00" * 12 + b"\x01", payload(S1, 99, b"")):
        out = Outcome.deserialize(app.apply(Txn(1, 1, 1, raw)))[0]
        assert out.err in (Code.MARSHALLING_ERROR, Code.UNIMPLEMENTED)


def test_sync_is_a_txn_that_changes_nothing() -> None:
    r = Replica()
    r.session(S1)
    before = r.app.tree.node("/").stat()
    out = r.apply(S1, SyncRequest("/"))
    assert out.err == Code.OK and out.fired == () and r.app.tree.node("/").stat() == before


ops = st.lists(
    st.tuples(
        st.sampled_from(["create", "eph", "seq", "set", "delete", "multi", "close"]),
        st.sampled_from(["/a", "/a/b", "/c", "/a/b/d"]),
        st.sampled_from([S1, S2]),
    ),
    max_size=40,
)


@settings(derandomize=True, max_examples=150)
@given(ops, st.integers(0, 40))
def test_replicas_that_apply_the_same_txns_agree_even_across_a_snapshot(script, cut) -> None:
    a, b = Replica(), Replica()
    for replica in (a, b):
        replica.session(S1)
        replica.session(S2)
    for n, (kind, path, session) in enumerate(script):
        if n == cut:  # b restarts from a snapshot of itself
            fresh = Replica()
            fresh.app.restore(b.app.snapshot())
            fresh.zxid = b.zxid
            b = fresh
        request = {
            "create": create(path),
            "eph": create(path, 1),
            "seq": create(path, 2),
            "set": SetDataRequest(path, b"v", -1),
            "delete": DeleteRequest(path, -1),
            "multi": MultiRequest((create(path), SetDataRequest("/a", b"m", -1))),
            "close": CreateSessionTxn(5000, b"p" * 16),
        }[kind]
        if kind == "close":
            outs = [r.apply(session, CloseSessionTxn()) for r in (a, b)]
            outs += [r.apply(session, request) for r in (a, b)]
        else:
            outs = [r.apply(session, request) for r in (a, b)]
        assert outs[0] == outs[1]
    assert a.app.snapshot() == b.app.snapshot()


@settings(derandomize=True, max_examples=400)
@given(
    st.sampled_from(sorted(APPLY)),
    st.one_of(
        st.binary(max_size=60),
        st.builds(
            lambda r: r.serialize(),
            st.builds(
                CreateRequest,
                st.text(max_size=6),
                st.none() | st.binary(max_size=4),
                st.just(OPEN_ACL),
                st.integers(-9, 9),
            ),
        ),
    ),
)
def test_no_txn_body_makes_apply_raise(opcode: int, body: bytes) -> None:
    r = Replica()
    r.session(S1)
    r.zxid += 1
    result = r.app.apply(Txn(r.zxid, 1, 1, payload(S1, opcode, body), 5))
    assert Outcome.deserialize(result)[0].err <= 0
