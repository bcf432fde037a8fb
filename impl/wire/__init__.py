"""Bytes on the wire between servers: a versioned binary message codec (framed by
``impl.framing``)."""
