"""ZooKeeper's access control: permissions, the schemes ``world``, ``auth``, ``digest`` and
``ip``, and the two checks ZooKeeper makes (``ZooKeeperServer.checkACL`` when an operation
touches a node, ``PrepRequestProcessor.fixupACL`` when a create or setACL sets a list).

An identity is an :class:`~impl.jute.records.Id` a connection has (``ip`` from its address,
``digest`` and maybe ``super`` from ``addauth``; see :mod:`impl.service.auth`). Which
permission each operation needs, on which node:

========================  ===========================  =========
operation                 node                         needs
========================  ===========================  =========
create (all kinds)        the parent                   CREATE
delete                    the parent                   DELETE
setData                   the node                     WRITE
setACL                    the node                     ADMIN
check (in a multi)        the node                     READ
getData, getChildren(2)   the node                     READ
getAllChildrenNumber      the node                     READ
getACL                    the node                     READ or ADMIN (digests hidden
                                                       without ADMIN)
exists, sync, getEphemerals  --                        nothing
========================  ===========================  =========
"""

from __future__ import annotations

import ipaddress

from impl.jute.records import ACL, Id
from impl.service.errors import Code, ZooKeeperError

READ = 1
WRITE = 2
CREATE = 4
DELETE = 8
ADMIN = 16
ALL = READ | WRITE | CREATE | DELETE | ADMIN

ANYONE = Id("world", "anyone")
SUPER = Id("super", "")
"""The identity of a connection that authenticated with the configured super digest: it
passes every check."""


def check(acl: tuple[ACL, ...], perm: int, ids: tuple[Id, ...], path: str = "") -> None:
    """Raise ``NO_AUTH`` unless ``ids`` may do ``perm`` (any of its bits) under ``acl``. An
    empty list allows everything, as in ZooKeeper."""
    if not acl or SUPER in ids:
        return
    for a in acl:
        if not a.perms & perm:
            continue
        if a.id == ANYONE:
            return
        for have in ids:
            if have.scheme == a.id.scheme and _matches(have, a.id.id or ""):
                return
    raise ZooKeeperError(Code.NO_AUTH, path)


def _matches(have: Id, expression: str) -> bool:
    if have.scheme == "digest":
        return have.id == expression
    if have.scheme == "ip":
        return _ip_matches(have.id or "", expression)
    return False  # no provider for this scheme: it matches nothing


def fixup(path: str, ids: tuple[Id, ...], acl: tuple[ACL, ...] | None) -> tuple[ACL, ...]:
    """The list a create or setACL stores: duplicates dropped, each ``auth`` entry replaced
    by the connection's authenticated (digest) identities; ``INVALID_ACL`` if it is empty,
    an ``auth`` entry has no identity to stand for, or an id is not valid for its scheme."""
    unique: list[ACL] = []
    for a in acl or ():
        if a not in unique:
            unique.append(a)
    if not unique:
        raise ZooKeeperError(Code.INVALID_ACL, path)
    out: list[ACL] = []
    for a in unique:
        scheme, expression = a.id.scheme, a.id.id
        if scheme is None:
            raise ZooKeeperError(Code.INVALID_ACL, path)
        if a.id == ANYONE:
            out.append(a)
        elif scheme == "auth":
            mine = [ACL(a.perms, i) for i in ids if i.scheme in AUTHENTICATED]
            if not mine:
                raise ZooKeeperError(Code.INVALID_ACL, path)
            out.extend(mine)
        elif scheme in VALID and VALID[scheme](expression or ""):
            out.append(a)
        else:
            raise ZooKeeperError(Code.INVALID_ACL, path)
    return tuple(out)


def redact(acl: tuple[ACL, ...]) -> tuple[ACL, ...]:
    """The list getACL shows a client without ADMIN: a digest's hash is replaced by ``x``."""
    return tuple(
        ACL(a.perms, Id("digest", (a.id.id or "").split(":", 1)[0] + ":x"))
        if a.id.scheme == "digest"
        else a
        for a in acl
    )


def _digest_valid(expression: str) -> bool:
    # Java's split(":") drops trailing empty parts, then wants exactly two
    parts = expression.split(":")
    while parts and not parts[-1]:
        parts.pop()
    return len(parts) == 2


def _ip_network(expression: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    address, _, bits = expression.partition("/")
    try:
        ip = ipaddress.ip_address(address)
        width = ip.max_prefixlen
        if bits and not bits.isdigit():
            return None
        prefix = int(bits) if bits else width
        if prefix > width:
            return None
        return ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    except ValueError:
        return None


def _ip_valid(expression: str) -> bool:
    return _ip_network(expression) is not None


def _ip_matches(address: str, expression: str) -> bool:
    network = _ip_network(expression)
    if network is None:
        return False
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


VALID = {"digest": _digest_valid, "ip": _ip_valid, "world": lambda e: e == "anyone"}
"""The schemes an ACL may name (besides ``auth``), and which ids are well formed in each."""

AUTHENTICATED = frozenset({"digest"})
"""Schemes whose identities an ``auth`` entry stands for (ZooKeeper's providers that say
``isAuthenticated``; ``ip`` does not)."""
