"""Bytes on the wire between servers: sans-IO framing and a versioned binary message codec."""
