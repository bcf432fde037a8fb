"""Durable state on disk: the txn log, both epochs, snapshots, and recovery after a crash."""

from impl.storage.errors import CorruptDataError
from impl.storage.store import Store

__all__ = ["CorruptDataError", "Store"]
