"""The container reaper: what the leader deletes of container and TTL nodes (ZooKeeper's
``ContainerManager``).

Every ``container_check_ms`` the leader submits a ``deleteContainer`` txn for each empty
container that has had a child (``cversion > 0``: a new container is not reaped before its
first child), and each empty TTL node not modified for longer than its TTL. The txn checks
again, in zxid order, that the node is still empty and still such a node.
"""

from __future__ import annotations

from impl.jute.records import DeleteContainerRequest, OpCode
from impl.service.tree import CONTAINER_OWNER, DataTree, ttl_of
from impl.service.txns import payload


def candidates(tree: DataTree, now_ms: int) -> list[str]:
    """The paths to reap now, in path order."""
    out = []
    for path, node in tree.nodes.items():
        owner = node.ephemeral_owner
        if owner >= 0 or node.children:  # container and TTL owners are negative
            continue
        if owner == CONTAINER_OWNER:
            if node.cversion > 0:
                out.append(path)
        else:
            ttl = ttl_of(owner)
            if ttl and now_ms - node.mtime > ttl:
                out.append(path)
    return sorted(out)


def reap_payloads(tree: DataTree, now_ms: int) -> list[bytes]:
    """The txn payloads that delete :func:`candidates` (session 0, as ZooKeeper's reaper)."""
    return [
        payload(0, OpCode.DELETE_CONTAINER, DeleteContainerRequest(path).serialize())
        for path in candidates(tree, now_ms)
    ]
