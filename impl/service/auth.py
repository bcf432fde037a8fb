"""Authentication: what ``addauth`` gives a connection (ZooKeeper's server authentication
providers, ``DigestAuthenticationProvider`` and ``IPAuthenticationProvider``).

Identities are per connection, not per session: a client sends its credentials again after
it reconnects (kazoo and ZooKeeper's client both do). An unknown scheme fails: the server
answers ``AUTH_FAILED`` and closes the connection.
"""

from __future__ import annotations

import base64
import hashlib

from impl.jute.records import Id
from impl.service.acl import SUPER


def digest(user_password: str) -> str:
    """``user:base64(sha1("user:password"))``, the id a digest ACL names."""
    user = user_password.split(":", 1)[0]
    sha1 = hashlib.sha1(user_password.encode()).digest()
    return f"{user}:{base64.b64encode(sha1).decode()}"


def connection_ids(address: str) -> tuple[Id, ...]:
    """The identity every connection has: ``ip`` of its peer (``/host:port`` or ``host:port``)."""
    host = address.lstrip("/").rpartition(":")[0].strip("[]")
    return (Id("ip", host),) if host else ()


def authenticate(
    scheme: str | None, credentials: bytes | None, ids: tuple[Id, ...], super_digest: str
) -> tuple[Id, ...] | None:
    """The connection's identities after an ``addauth`` (``ids`` before it), or ``None`` if
    it fails. ``super_digest`` (``super:<digest>``, empty for none) makes a matching digest
    a super user."""
    added: list[Id] = []
    if scheme == "digest":
        try:
            text = (credentials or b"").decode()
        except UnicodeDecodeError:
            return None
        mine = digest(text)
        if super_digest and mine == super_digest:
            added.append(SUPER)
        added.append(Id("digest", mine))
    elif scheme == "ip":
        added.extend(i for i in ids if i.scheme == "ip")
    else:
        return None
    return ids + tuple(i for i in added if i not in ids)
