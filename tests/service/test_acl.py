"""ACLs and authentication as ZooKeeper has them: which permission each write needs, on which
node, with the identities the write was sent with; ``fixupACL``'s rules; digests computed as
ZooKeeper (and kazoo, the oracle here) compute them."""

from __future__ import annotations

import pytest
from kazoo.security import make_digest_acl_credential

from impl.core.messages import Txn
from impl.jute.records import (
    ACL,
    CheckVersionRequest,
    CreateRequest,
    DeleteRequest,
    Id,
    MultiRequest,
    MultiResponse,
    SetACLRequest,
    SetDataRequest,
)
from impl.service import acl
from impl.service.application import ZooKeeperApplication
from impl.service.auth import authenticate, connection_ids, digest
from impl.service.errors import Code, ZooKeeperError
from impl.service.tree import OPEN_ACL
from impl.service.txns import CreateSessionTxn, Outcome, identified_payload, payload

S1 = 0x0100000000000001
ALICE = authenticate("digest", b"alice:secret", connection_ids("/127.0.0.1:5000"), "")
assert ALICE is not None
NOBODY = connection_ids("/127.0.0.1:5001")
ALICE_ALL = (ACL(acl.ALL, Id("digest", digest("alice:secret"))),)


class Replica:
    def __init__(self) -> None:
        self.app = ZooKeeperApplication()
        self.zxid = 0
        assert self._apply(payload(S1, -10, CreateSessionTxn(5000, b"p" * 16).serialize())) == 0

    def _apply(self, body: bytes) -> int:
        self.zxid += 1
        result = self.app.apply(Txn(self.zxid, 1, self.zxid, body, 1000))
        self.outcome = Outcome.deserialize(result)[0]
        return self.outcome.err

    def write(self, ids: tuple[Id, ...], record) -> int:
        return self._apply(identified_payload(S1, record.type, ids, record.serialize()))


def test_digests_are_computed_as_zookeeper_computes_them() -> None:
    for user, password in [("alice", "secret"), ("xe4/\\hm", "/\\xe4hm"), ("u", "a:b")]:
        assert digest(f"{user}:{password}") == make_digest_acl_credential(user, password)


def test_each_write_needs_its_permission_on_the_node_zookeeper_checks() -> None:
    r = Replica()
    read_only = (ACL(acl.READ, Id("world", "anyone")), *ALICE_ALL)
    assert r.write(ALICE, CreateRequest("/p", b"", read_only, 0)) == Code.OK
    # CREATE and DELETE are checked on the parent, WRITE and ADMIN on the node itself
    assert r.write(NOBODY, CreateRequest("/p/c", b"", OPEN_ACL, 0)) == Code.NO_AUTH
    assert r.write(ALICE, CreateRequest("/p/c", b"", OPEN_ACL, 0)) == Code.OK
    assert r.write(NOBODY, SetDataRequest("/p/c", b"x", -1)) == Code.OK  # /p/c is open
    assert r.write(NOBODY, DeleteRequest("/p/c", -1)) == Code.NO_AUTH
    assert r.write(NOBODY, SetDataRequest("/p", b"x", -1)) == Code.NO_AUTH
    assert r.write(NOBODY, SetACLRequest("/p", OPEN_ACL, -1)) == Code.NO_AUTH
    assert r.write(ALICE, DeleteRequest("/p/c", -1)) == Code.OK
    assert r.write(ALICE, SetACLRequest("/p", OPEN_ACL, -1)) == Code.OK
    assert r.write(NOBODY, SetDataRequest("/p", b"x", -1)) == Code.OK
    assert r.app.tree.node("/p").aversion == 1


def test_a_multi_fails_whole_on_a_missing_permission() -> None:
    r = Replica()
    assert r.write(ALICE, CreateRequest("/p", b"", ALICE_ALL, 0)) == Code.OK
    ops = (CreateRequest("/q", b"", OPEN_ACL, 0), CheckVersionRequest("/p", -1))
    assert r.write(NOBODY, MultiRequest(ops)) == Code.OK
    results = MultiResponse.deserialize(r.outcome.reply)[0].results
    assert [result.err for _, result in results] == [Code.OK, Code.NO_AUTH]
    assert "/q" not in r.app.tree.nodes


def test_fixup_drops_duplicates_expands_auth_and_refuses_what_zookeeper_refuses() -> None:
    world = ACL(acl.ALL, Id("world", "anyone"))
    assert acl.fixup("/a", (), (world, world)) == (world,)
    auth = (ACL(acl.READ, Id("auth", "")),)
    assert acl.fixup("/a", ALICE, auth) == (ACL(acl.READ, Id("digest", digest("alice:secret"))),)
    for bad, ids in [
        ((), ALICE),
        (auth, NOBODY),  # an ip identity is not an authenticated one
        ((ACL(1, Id("digest", "no-colon")),), ()),
        ((ACL(1, Id("ip", "300.1.1.1")),), ()),
        ((ACL(1, Id("ip", "10.0.0.0/33")),), ()),
        ((ACL(1, Id("world", "someone")),), ()),
        ((ACL(1, Id("unknown", "x")),), ()),
    ]:
        with pytest.raises(ZooKeeperError) as caught:
            acl.fixup("/a", ids, bad)
        assert caught.value.code == Code.INVALID_ACL
    r = Replica()
    assert r.write(NOBODY, CreateRequest("/a", b"", auth, 0)) == Code.INVALID_ACL
    assert r.write(ALICE, CreateRequest("/a", b"", auth, 0)) == Code.OK
    assert r.app.tree.node("/a").acl == (ACL(acl.READ, Id("digest", digest("alice:secret"))),)


def test_ip_acls_match_the_address_or_its_network() -> None:
    here = connection_ids("/10.1.2.3:4000")
    assert here == (Id("ip", "10.1.2.3"),)
    for expression, allowed in [("10.1.2.3", True), ("10.1.0.0/16", True), ("10.2.0.0/16", False)]:
        rule = (ACL(acl.READ, Id("ip", expression)),)
        if allowed:
            acl.check(rule, acl.READ, here)
        else:
            with pytest.raises(ZooKeeperError):
                acl.check(rule, acl.READ, here)


def test_super_passes_every_check_and_unknown_schemes_fail_authentication() -> None:
    configured = digest("super:test")
    ids = authenticate("digest", b"super:test", (), configured)
    assert ids is not None and acl.SUPER in ids
    acl.check(ALICE_ALL, acl.ADMIN, ids)
    assert acl.SUPER not in (authenticate("digest", b"super:wrong", (), configured) or ())
    assert authenticate("unknown-scheme", b"a:b", (), configured) is None


def test_get_acl_without_admin_hides_digests() -> None:
    shown = acl.redact(ALICE_ALL + OPEN_ACL)
    assert shown == (ACL(acl.ALL, Id("digest", "alice:x")), *OPEN_ACL)
