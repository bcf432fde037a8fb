"""Symbolic values: a spec's bounded data structures made of z3 terms.

A symbolic state is built from these: z3 Int and Bool terms, records, sequences
with a symbolic length and a fixed capacity, sets of servers as one Bool per
server, sets of records as slots, and functions over a concrete domain (a
per-server variable is a Python list indexed by the concrete server id).
Indices that are concrete in the Python code (which server, which slot) stay
concrete, so only data is symbolic, as in Rosette's symbolic layer.

Numbers are z3 Ints by default, or signed bit-vectors of one width (``sort`` =
:func:`int_sort` of a width): bounded model checking bit-blasts them to SAT,
which is far faster than arithmetic over Ints. A bit-vector sort is exact only
while no value leaves its signed range; the spec that picks a width must
justify it (:func:`signed_width` gives the width for a range). Comparisons on
bit-vector terms are the signed ones (z3's ``<`` on BitVecRef), so -1 (a null
server, an absent index) orders as it does over Ints.

:func:`ite` merges two values under a condition and :func:`eq` compares them;
both recurse through the structure and reuse a term when both sides hold
the same object, which keeps an action's update small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import z3
from z3.z3 import _to_expr_ref
from z3.z3core import Z3_mk_ite

Value = Any  # a z3 term, or one of the classes below


@dataclass(frozen=True)
class SRecord:
    """A record: field name -> value."""

    fields: tuple[tuple[str, Value], ...]

    def __getitem__(self, name: str) -> Value:
        for key, value in self.fields:
            if key == name:
                return value
        raise KeyError(name)

    def replace(self, **changes: Value) -> SRecord:
        return SRecord(tuple((k, changes.get(k, v)) for k, v in self.fields))


def record(**fields: Value) -> SRecord:
    return SRecord(tuple(fields.items()))


@dataclass(frozen=True)
class SSeq:
    """A sequence of at most ``len(items)`` elements; those at ``length`` and beyond are junk."""

    length: z3.ArithRef
    items: tuple[Value, ...]

    @property
    def capacity(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class SMask:
    """A set of servers: ``members[k]`` says whether server k is in it."""

    members: tuple[z3.BoolRef, ...]


@dataclass(frozen=True)
class SSlots:
    """A set of records, one slot per possible key (a record set keyed by sid)."""

    present: tuple[z3.BoolRef, ...]
    items: tuple[Value, ...]


@dataclass(frozen=True)
class SFun:
    """A function over a concrete domain of ints (servers 0..n-1, epochs 1..MAXEPOCH)."""

    keys: tuple[int, ...]
    values: tuple[Value, ...]

    def at(self, key: int) -> Value:
        return self.values[self.keys.index(key)]


@dataclass(frozen=True)
class SElems:
    """A finite set given by its elements (a set literal)."""

    items: tuple[Value, ...]


TRUE = z3.BoolVal(True)
FALSE = z3.BoolVal(False)


def int_sort(width: int | None = None) -> z3.SortRef:
    """The sort of numbers: z3 Int when ``width`` is None, else signed bit-vectors of ``width``."""
    return z3.IntSort() if width is None else z3.BitVecSort(width)


def signed_width(low: int, high: int) -> int:
    """The fewest bits whose signed (two's complement) range holds every int in [low, high]."""
    width = 1
    while not (-(1 << (width - 1)) <= low and high <= (1 << (width - 1)) - 1):
        width += 1
    return width


def const(value: int | bool, sort: z3.SortRef | None = None) -> z3.ExprRef:
    """A constant term: a Bool, or a number of ``sort`` (Int by default).

    A bit-vector constant must fit the width's signed range: a value that would
    wrap is refused, never silently encoded as another number.
    """
    if isinstance(value, bool):
        return z3.BoolVal(value)
    if sort is None or isinstance(sort, z3.ArithSortRef):
        return z3.IntVal(value)
    width = sort.size()
    if not -(1 << (width - 1)) <= value <= (1 << (width - 1)) - 1:
        raise ValueError(f"{value} does not fit a signed bit-vector of width {width}")
    return z3.BitVecVal(value, width)


def is_number(term: object) -> bool:
    """``term`` is a number constant (Int or bit-vector)."""
    return z3.is_int_value(term) or z3.is_bv_value(term)


def number(term: z3.ExprRef) -> int:
    """The int a number constant stands for (a bit-vector read as signed)."""
    return term.as_signed_long() if z3.is_bv_value(term) else term.as_long()


def align(a: z3.ExprRef | int, b: z3.ExprRef | int) -> tuple[z3.ExprRef, z3.ExprRef]:
    """``a`` and ``b`` as numbers of one sort, to compare, merge or combine them.

    Bit-vectors of different widths are sign-extended to the wider one, and a
    Python int becomes a constant of a width that holds it (widening the other
    side if need be), so that no value changes: z3's own coercion would wrap an
    int that does not fit. Without a bit-vector on either side: Ints.
    """
    widths = [x.size() for x in (a, b) if isinstance(x, z3.BitVecRef)]
    if not widths:
        a = a if isinstance(a, z3.ExprRef) else z3.IntVal(a)
        b = b if isinstance(b, z3.ExprRef) else z3.IntVal(b)
        return a, b
    width = max(widths + [signed_width(x, x) for x in (a, b) if isinstance(x, int)])
    return widen(a, width), widen(b, width)


def widen(x: z3.ExprRef | int, width: int) -> z3.ExprRef:
    """The number ``x`` (an int or a narrower bit-vector) as a bit-vector of ``width``."""
    if isinstance(x, int):
        return const(x, z3.BitVecSort(width))
    if x.size() == width:
        return x
    return z3.SignExt(width - x.size(), x)


def count(conditions: Sequence[z3.BoolRef], sort: z3.SortRef | None = None) -> z3.ExprRef:
    """How many of ``conditions`` hold, as a number of ``sort``."""
    one, zero = const(1, sort), const(0, sort)
    return z3.Sum(*(z3.If(x, one, zero) for x in conditions))


def ite(c: z3.BoolRef, a: Value, b: Value) -> Value:
    """``if c then a else b``, structure by structure."""
    if a is b:
        return a
    if isinstance(c, bool):
        return a if c else b
    if z3.is_true(c):
        return a
    if z3.is_false(c):
        return b
    return _ite(c, a, b)


def _ite(c: z3.BoolRef, a: Value, b: Value) -> Value:
    """:func:`ite` for a condition known to be neither true nor false."""
    if a is b:
        return a
    if isinstance(a, SRecord):
        return SRecord(
            tuple((k, _ite(c, v, w)) for (k, v), (_, w) in zip(a.fields, b.fields, strict=True))
        )
    if isinstance(a, SSeq):
        return SSeq(
            _ite(c, a.length, b.length),
            tuple(_ite(c, x, y) for x, y in zip(a.items, b.items, strict=True)),
        )
    if isinstance(a, SMask):
        return SMask(tuple(_ite(c, x, y) for x, y in zip(a.members, b.members, strict=True)))
    if isinstance(a, SSlots):
        return SSlots(
            tuple(_ite(c, x, y) for x, y in zip(a.present, b.present, strict=True)),
            tuple(_ite(c, x, y) for x, y in zip(a.items, b.items, strict=True)),
        )
    if isinstance(a, SFun):
        return SFun(a.keys, tuple(_ite(c, x, y) for x, y in zip(a.values, b.values, strict=True)))
    if isinstance(a, tuple | list):
        return type(a)(_ite(c, x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool):
        a = z3.BoolVal(a)
    if isinstance(b, bool):
        b = z3.BoolVal(b)
    if isinstance(a, int) or isinstance(b, int) or _widths_differ(a, b):
        a, b = align(a, b)
    if a.get_id() == b.get_id():
        return a
    ctx = c.ctx
    return _to_expr_ref(Z3_mk_ite(ctx.ref(), c.as_ast(), a.as_ast(), b.as_ast()), ctx)


def _widths_differ(a: z3.ExprRef, b: z3.ExprRef) -> bool:
    return isinstance(a, z3.BitVecRef) and isinstance(b, z3.BitVecRef) and a.size() != b.size()


def eq(a: Value, b: Value) -> z3.BoolRef:
    """``a = b``; junk beyond a sequence's length does not count."""
    if a is b:
        return TRUE
    if isinstance(a, SRecord):
        return z3.And(*(eq(v, w) for (_, v), (_, w) in zip(a.fields, b.fields, strict=True)))
    if isinstance(a, SSeq):
        cap = min(a.capacity, b.capacity)
        same = [z3.Implies(k < a.length, eq(a.items[k], b.items[k])) for k in range(cap)]
        fits = [a.length <= cap] if a.capacity > cap else []
        return z3.And(a.length == b.length, *fits, *same)
    if isinstance(a, SMask):
        return z3.And(*(x == y for x, y in zip(a.members, b.members, strict=True)))
    if isinstance(a, SSlots):
        return z3.And(
            *(
                z3.And(p == q, z3.Implies(p, eq(x, y)))
                for p, q, x, y in zip(a.present, b.present, a.items, b.items, strict=True)
            )
        )
    if isinstance(a, SFun):
        return z3.And(*(eq(x, y) for x, y in zip(a.values, b.values, strict=True)))
    if isinstance(a, tuple | list):
        return z3.And(*(eq(x, y) for x, y in zip(a, b, strict=True)))
    if isinstance(a, z3.BitVecRef) or isinstance(b, z3.BitVecRef):
        a, b = align(a, b)
    return a == b


def seq_at(s: SSeq, index: z3.ArithRef | int) -> Value:
    """``s[index]`` for a 0-based index, concrete or symbolic (junk when out of range)."""
    if isinstance(index, int):
        return s.items[index] if 0 <= index < s.capacity else s.items[-1]
    simplified = z3.simplify(index)
    if is_number(simplified):
        return seq_at(s, number(simplified))
    value = s.items[-1]
    for k in range(s.capacity - 2, -1, -1):
        value = ite(index == k, s.items[k], value)
    return value


def seq_put(s: SSeq, index: z3.ArithRef, value: Value) -> SSeq:
    """``s`` with the element at 0-based ``index`` replaced."""
    return SSeq(s.length, tuple(ite(index == k, value, x) for k, x in enumerate(s.items)))


def seq_append(s: SSeq, value: Value) -> SSeq:
    """``Append(s, value)``; the caller guards ``s.length < capacity``."""
    return SSeq(s.length + 1, seq_put(s, s.length, value).items)


def seq_tail(s: SSeq, junk: Value) -> SSeq:
    """``Tail(s)`` when ``s`` is not empty: every element moves one place forward."""
    return SSeq(s.length - 1, (*s.items[1:], junk))


def mask_count(m: SMask, sort: z3.SortRef | None = None) -> z3.ArithRef:
    """The number of members, as a number of ``sort`` (Int by default)."""
    return count(m.members, sort)


def fun_at(f: SFun, key: z3.ArithRef | int) -> Value:
    """``f[key]``; for a key outside the domain, the last value (a formula guards its index)."""
    if isinstance(key, int):
        return f.at(key)
    simplified = z3.simplify(key)
    if is_number(simplified) and number(simplified) in f.keys:
        return f.at(number(simplified))
    value = f.values[-1]
    for k, v in zip(f.keys[-2::-1], f.values[-2::-1], strict=True):
        value = ite(key == k, v, value)
    return value


def fresh(prefix: str, shape: Value) -> Value:
    """A value of the same structure as ``shape`` made of new z3 constants named from ``prefix``,
    each of the sort of the term it replaces."""
    if isinstance(shape, SRecord):
        return SRecord(tuple((k, fresh(f"{prefix}.{k}", v)) for k, v in shape.fields))
    if isinstance(shape, SSeq):
        return SSeq(
            z3.Const(f"{prefix}.len", shape.length.sort()),
            tuple(fresh(f"{prefix}[{k}]", x) for k, x in enumerate(shape.items)),
        )
    if isinstance(shape, SMask):
        return SMask(tuple(z3.Bool(f"{prefix}.has{k}") for k in range(len(shape.members))))
    if isinstance(shape, SSlots):
        return SSlots(
            tuple(z3.Bool(f"{prefix}.present{k}") for k in range(len(shape.present))),
            tuple(fresh(f"{prefix}.slot{k}", x) for k, x in enumerate(shape.items)),
        )
    if isinstance(shape, SFun):
        return SFun(
            shape.keys,
            tuple(
                fresh(f"{prefix}[{k}]", v) for k, v in zip(shape.keys, shape.values, strict=True)
            ),
        )
    if isinstance(shape, tuple | list):
        return type(shape)(fresh(f"{prefix}[{k}]", x) for k, x in enumerate(shape))
    if z3.is_bool(shape):
        return z3.Bool(prefix)
    return z3.Const(prefix, shape.sort())


def leaves(value: Value) -> list[z3.ExprRef]:
    """The z3 terms a value is made of, in a fixed order."""
    if isinstance(value, SRecord):
        return [x for _, v in value.fields for x in leaves(v)]
    if isinstance(value, SSeq):
        return [value.length, *(x for v in value.items for x in leaves(v))]
    if isinstance(value, SMask):
        return list(value.members)
    if isinstance(value, SSlots):
        return [*value.present, *(x for v in value.items for x in leaves(v))]
    if isinstance(value, SFun):
        return [x for v in value.values for x in leaves(v)]
    if isinstance(value, tuple | list):
        return [x for v in value for x in leaves(v)]
    return [value]


def with_leaves(shape: Value, terms: Sequence[z3.ExprRef]) -> Value:
    """A value of the same structure as ``shape`` made of ``terms``, in :func:`leaves` order."""
    rest = iter(terms)

    def build(v: Value) -> Value:
        if isinstance(v, SRecord):
            return SRecord(tuple((k, build(x)) for k, x in v.fields))
        if isinstance(v, SSeq):
            return SSeq(next(rest), tuple(build(x) for x in v.items))
        if isinstance(v, SMask):
            return SMask(tuple(next(rest) for _ in v.members))
        if isinstance(v, SSlots):
            return SSlots(tuple(next(rest) for _ in v.present), tuple(build(x) for x in v.items))
        if isinstance(v, SFun):
            return SFun(v.keys, tuple(build(x) for x in v.values))
        if hasattr(v, "_fields"):  # a NamedTuple such as a spec's symbolic state
            return type(v)(*(build(x) for x in v))
        if isinstance(v, tuple | list):
            return type(v)(build(x) for x in v)
        return next(rest)

    built = build(shape)
    if next(rest, None) is not None:
        raise ValueError("more terms than the shape has leaves")
    return built


def evaluate(model: z3.ModelRef, value: Value) -> Any:
    """The concrete value under ``model``: ints, bools, and the same structures of them."""
    if isinstance(value, SRecord):
        return SRecord(tuple((k, evaluate(model, v)) for k, v in value.fields))
    if isinstance(value, SSeq):
        n = number(model.eval(value.length, model_completion=True))
        return [evaluate(model, x) for x in value.items[: max(n, 0)]]
    if isinstance(value, SMask):
        return [bool(z3.is_true(model.eval(x, model_completion=True))) for x in value.members]
    if isinstance(value, SSlots):
        return [
            evaluate(model, x) if z3.is_true(model.eval(p, model_completion=True)) else None
            for p, x in zip(value.present, value.items, strict=True)
        ]
    if isinstance(value, SFun):
        return [evaluate(model, v) for v in value.values]
    if isinstance(value, tuple | list):
        return [evaluate(model, v) for v in value]
    result = model.eval(value, model_completion=True)
    return bool(z3.is_true(result)) if z3.is_bool(result) else number(result)


def conj(items: Sequence[z3.BoolRef]) -> z3.BoolRef:
    return z3.And(*items) if items else TRUE


def disj(items: Sequence[z3.BoolRef]) -> z3.BoolRef:
    return z3.Or(*items) if items else FALSE
