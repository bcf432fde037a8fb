"""TLA+ values in Python, normalized so that equal TLA+ values are equal Python values.

* a set is a ``frozenset``;
* a function whose domain is ``1..n`` (a sequence or tuple) is a ``tuple``;
* any other function, records included, is an :class:`Fn`;
* a model value is a :class:`ModelValue`; strings, ints and booleans are themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class ModelValue:
    """An uninterpreted constant, such as a server ``s1`` or ``LOOKING``."""

    name: str

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Fn:
    """A function (or record) whose domain is not ``1..n``: a set of (key, value) pairs."""

    pairs: frozenset[tuple[Any, Any]]

    def __getitem__(self, key: Any) -> Any:
        for k, v in self.pairs:
            if k == key:
                return v
        raise KeyError(key)

    def as_dict(self) -> dict[Any, Any]:
        return dict(self.pairs)

    def __repr__(self) -> str:
        return "(" + " @@ ".join(f"{k!r} :> {v!r}" for k, v in sorted(self.pairs, key=repr)) + ")"


def function(mapping: Mapping[Any, Any] | Iterable[tuple[Any, Any]]) -> Any:
    """The TLA+ function with these pairs, normalized: ``1..n`` domains become tuples."""
    pairs = dict(mapping.items() if isinstance(mapping, Mapping) else mapping)
    keys = list(pairs)
    if all(type(k) is int for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
        return tuple(pairs[k] for k in range(1, len(keys) + 1))
    return Fn(frozenset(pairs.items()))


def record(**fields: Any) -> Any:
    """A TLA+ record: a function from field names (strings)."""
    return function(fields)
