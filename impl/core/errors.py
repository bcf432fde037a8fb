"""Protocol errors, split as in h11: who broke the protocol, we or the peer."""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class: the message says what broke and where."""


class LocalProtocolError(ProtocolError):
    """The core itself broke the protocol (or was driven wrongly): a bug, never caught."""


class RemoteProtocolError(ProtocolError):
    """A peer broke the protocol or sent bytes we cannot read: close that connection."""
