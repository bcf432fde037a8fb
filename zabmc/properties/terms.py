"""Typed terms: what a formula becomes once its names are resolved and its types checked.

Definitions are expanded in place and every bound variable gets a unique
id, so that the evaluators (Python over explicit states, z3 over symbolic
ones) need no environment of names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zabmc.properties.syntax import Pos
from zabmc.properties.types import Type


@dataclass(frozen=True)
class Term:
    type: Type


@dataclass(frozen=True)
class Const(Term):
    value: Any


@dataclass(frozen=True)
class Var(Term):
    """A state variable, read from the state the formula is evaluated in."""

    name: str


@dataclass(frozen=True)
class Bound(Term):
    """A variable bound by a quantifier; ``uid`` tells apart two of the same name."""

    uid: int
    name: str


@dataclass(frozen=True)
class Op(Term):
    """An operator applied to terms; ``extra`` is the field name of ``field``."""

    op: str
    args: tuple[Term, ...]
    pos: Pos
    extra: str = ""


@dataclass(frozen=True)
class Quant(Term):
    """``forall``/``exists`` over the binders in order; a domain may use earlier binders."""

    kind: str
    binders: tuple[tuple[Bound, Term], ...]
    body: Term
    pos: Pos
