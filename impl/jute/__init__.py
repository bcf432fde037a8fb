"""ZooKeeper's client wire format (jute), both ways: records, their codec, and framing.

``codec`` has the primitives (int, long, bool, buffer, ustring, vector) and the ``record``
decorator that gives a NamedTuple its ``serialize``/``deserialize``; ``records`` declares every
record the client protocol uses, with its opcode (``impl.framing`` splits a byte stream into
length-prefixed frames). Nothing here does I/O or knows what a request means.
"""
