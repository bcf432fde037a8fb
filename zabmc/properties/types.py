"""The types of the property language: a formula is type-checked before it is evaluated.

A spec's vocabulary gives each variable one of these types; the checker
refuses, with the place, a formula that compares a zxid with a server or
indexes a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Type:
    """A type of the language."""


@dataclass(frozen=True)
class Prim(Type):
    """Int, Bool or Server (a server id: an Int that quantifiers can range over)."""

    name: str

    def __str__(self) -> str:
        return self.name


INT = Prim("Int")
BOOL = Prim("Bool")
SERVER = Prim("Server")


@dataclass(frozen=True)
class Seq(Type):
    """A finite sequence, indexed from 1 as in TLA+."""

    elem: Type

    def __str__(self) -> str:
        return f"Seq({self.elem})"


@dataclass(frozen=True)
class SetOf(Type):
    """A finite set."""

    elem: Type

    def __str__(self) -> str:
        return f"Set({self.elem})"


@dataclass(frozen=True)
class Fun(Type):
    """A function over a fixed domain, such as a per-server variable: ``currentEpoch[i]``."""

    domain: Type
    range: Type

    def __str__(self) -> str:
        return f"[{self.domain} -> {self.range}]"


@dataclass(frozen=True)
class Record(Type):
    """A record type named by the spec (Txn, Zxid, ...), with typed fields.

    ``getters`` read each field from the spec's Python value; ``ordered``
    records compare with ``<`` field by field, in order (a zxid does).
    """

    name: str
    fields: tuple[tuple[str, Type], ...]
    getters: tuple[Callable[[Any], Any], ...] = field(compare=False, hash=False, repr=False)
    ordered: bool = False

    def __str__(self) -> str:
        return self.name

    def field_type(self, name: str) -> Type | None:
        for fname, ftype in self.fields:
            if fname == name:
                return ftype
        return None

    def getter(self, name: str) -> Callable[[Any], Any]:
        return self.getters[[f for f, _ in self.fields].index(name)]


def numeric(t: Type) -> bool:
    """Int and Server both take arithmetic and ``<``."""
    return t in (INT, SERVER)


def compatible(a: Type, b: Type) -> bool:
    """Whether values of ``a`` and ``b`` may be compared with ``=``."""
    return a == b or (numeric(a) and numeric(b))


def join(a: Type, b: Type) -> Type:
    """The type of ``if c then a else b`` or of a set literal holding both."""
    if a == b:
        return a
    return INT
