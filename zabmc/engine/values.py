"""What a state may hold besides ints, bools and tuples, and the error when it holds
anything else: the parts of :mod:`zabmc.engine.encoding` that stay ordinary Python classes
when that module is compiled with mypyc (an exception class, and a base class that specs
subclass; docs/compiled.md)."""

from __future__ import annotations


class EncodingError(TypeError):
    """A state holds a value the engine cannot encode (only ints, bools and tuples)."""


class SequenceValue:
    """An immutable sequence a state may hold besides tuples, in a shape of its own (a long
    log kept in chunks, so that appending to it does not copy it).

    It must be equal to, and hash as, the tuple of its items, so that a state's fingerprint
    does not depend on it. The encoding packs the class and that tuple, and unpacks with
    :meth:`from_items`.
    """

    __slots__ = ()

    def items(self) -> tuple:
        """The items, in order, as a tuple."""
        raise NotImplementedError

    @classmethod
    def from_items(cls, items: tuple) -> SequenceValue:
        """The value whose items are ``items``."""
        raise NotImplementedError


__all__ = ["EncodingError", "SequenceValue"]
