"""Formulas of the property language as z3 terms over a symbolic state.

The same typed terms that :mod:`zabmc.properties.evaluate` runs over explicit
states are turned into z3 constraints here. A spec gives, for each variable
of its vocabulary, the symbolic value it has in a symbolic state (a
:class:`SymbolicBinding`). Quantifiers are unrolled over their finite domain:
servers, the slots of a sequence (up to its capacity), or a range whose ends,
when symbolic, are bounded by the sequence capacities they come from or else
by the binding's ``int_range``.

Over a bit-vector encoding (BMC), a formula's arithmetic is exact at any
width: a sum or difference is one bit wider than its operands, a product as
wide as both together, and comparisons sign-extend the narrower side
(:func:`zabmc.symbolic.values.align`), so a formula means what it means over
the integers whatever the width of the state's numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import z3

from zabmc.properties.syntax import PropertyError
from zabmc.properties.terms import Bound, Const, Op, Quant, Term, Var
from zabmc.properties.types import Prim, Record, SetOf, Type
from zabmc.properties.vocabulary import Vocabulary
from zabmc.symbolic.values import (
    SElems,
    SMask,
    SRecord,
    SSeq,
    SSlots,
    align,
    conj,
    const,
    count,
    disj,
    eq,
    fun_at,
    int_sort,
    is_number,
    ite,
    mask_count,
    number,
    seq_at,
    widen,
)


@dataclass(frozen=True)
class SymbolicBinding:
    """How a spec's vocabulary reads a symbolic state.

    ``variables`` maps a variable's name to a function of the symbolic state;
    one missing is not in the encoding (a formula that reads it is refused).
    ``int_range`` bounds a range quantifier whose ends are symbolic ints that
    no sequence bounds. ``int_width`` is the bit-vector width of the state's
    numbers (None: z3 Ints).
    """

    vocabulary: Vocabulary
    variables: Mapping[str, Callable[[Any], Any]]
    int_range: tuple[int, int]
    missing: Mapping[str, str]
    int_width: int | None = None


@dataclass(frozen=True)
class SRange:
    low: Any
    high: Any
    lo: int
    hi: int


def _bool(x: Any) -> z3.BoolRef:
    return z3.BoolVal(x) if isinstance(x, bool) else x


def _concrete(x: Any) -> int | None:
    if isinstance(x, int):
        return x
    if is_number(x):
        return number(x)
    return None


def _is_bv(*xs: Any) -> bool:
    return any(isinstance(x, z3.BitVecRef) for x in xs)


def arith(op: str, x: Any, y: Any) -> Any:
    """``x op y`` for + - *; over bit-vectors, at a width where it cannot wrap."""
    if isinstance(x, int) and isinstance(y, int):
        return x + y if op == "+" else x - y if op == "-" else x * y
    if not _is_bv(x, y):
        return x + y if op == "+" else x - y if op == "-" else x * y
    x, y = align(x, y)
    extra = 1 if op in ("+", "-") else x.size()
    x, y = widen(x, x.size() + extra), widen(y, y.size() + extra)
    return x + y if op == "+" else x - y if op == "-" else x * y


def negate(x: Any) -> Any:
    if isinstance(x, z3.BitVecRef):
        return -widen(x, x.size() + 1)
    return -x


def less(x: Any, y: Any, strict: bool) -> Any:
    """``x < y`` (or ``<=``), signed over bit-vectors of any widths."""
    if isinstance(x, int) and isinstance(y, int):
        return x < y if strict else x <= y
    if _is_bv(x, y):
        x, y = align(x, y)
    return x < y if strict else x <= y


def same(x: Any, y: Any) -> Any:
    if _is_bv(x, y):
        x, y = align(x, y)
    return x == y


def lex_lt(a: SRecord, b: SRecord, strict: bool) -> z3.BoolRef:
    """``a < b`` (or ``<=``) field by field, in order."""
    result = z3.BoolVal(not strict)
    for (_, x), (_, y) in reversed(list(zip(a.fields, b.fields, strict=True))):
        result = z3.Or(less(x, y, True), z3.And(same(x, y), result))
    return result


class SymbolicFormula:
    """Compiles typed terms of one vocabulary to z3 over states of one binding."""

    def __init__(self, binding: SymbolicBinding, source: str) -> None:
        self.binding = binding
        self.source = source
        self._bounds_env: dict[int, tuple[int, int]] = {}
        self.sort = int_sort(binding.int_width)

    def holds(self, term: Term, state: Any) -> z3.BoolRef:
        """``term`` (a Bool) in the symbolic ``state``."""
        self._check_supported(term)
        return _bool(self.ev(term, state, {}))

    def _check_supported(self, term: Term) -> None:
        for var in _vars(term):
            if var.name in self.binding.missing:
                raise PropertyError(
                    self.source, None, f"{var.name} {self.binding.missing[var.name]}"
                )

    # -- constants ------------------------------------------------------------------

    def constant(self, t: Type, value: Any) -> Any:
        if isinstance(value, bool | int):
            return value
        if isinstance(t, SetOf):
            return SElems(tuple(self.constant(t.elem, v) for v in sorted(value)))
        if isinstance(t, Record):
            return SRecord(
                tuple(
                    (name, self.constant(ft, get(value)))
                    for (name, ft), get in zip(t.fields, t.getters, strict=True)
                )
            )
        raise PropertyError(self.source, None, f"a {t} constant has no symbolic form")

    # -- terms --------------------------------------------------------------------------

    def ev(self, t: Term, state: Any, env: dict[int, Any]) -> Any:
        if isinstance(t, Const):
            return self.constant(t.type, t.value)
        if isinstance(t, Var):
            return self.binding.variables[t.name](state)
        if isinstance(t, Bound):
            return env[t.uid]
        if isinstance(t, Quant):
            return self._quant(t, state, env)
        assert isinstance(t, Op)
        op = t.op
        if op in ("and", "or", "=>", "<=>"):
            a = _bool(self.ev(t.args[0], state, env))
            b = _bool(self.ev(t.args[1], state, env))
            return {
                "and": z3.And,
                "or": z3.Or,
                "=>": z3.Implies,
                "<=>": lambda x, y: x == y,
            }[op](a, b)
        if op == "not":
            return z3.Not(_bool(self.ev(t.args[0], state, env)))
        if op == "if":
            c = _bool(self.ev(t.args[0], state, env))
            return ite(c, self.ev(t.args[1], state, env), self.ev(t.args[2], state, env))
        args = [self.ev(a, state, env) for a in t.args]
        if op in ("+", "-", "*"):
            return arith(op, *args)
        if op == "neg":
            return negate(args[0])
        if op in ("=", "!="):
            same = (
                _bool(eq(*args))
                if not all(isinstance(a, int) for a in args)
                else args[0] == args[1]
            )
            return _bool(same) if op == "=" else z3.Not(_bool(same))
        if op in ("<", "<=", ">", ">="):
            x, y = args if op in ("<", "<=") else args[::-1]
            if isinstance(x, SRecord):
                return lex_lt(x, y, strict=op in ("<", ">"))
            return less(x, y, strict=op in ("<", ">"))
        if op in ("in", "notin"):
            found = self.member(args[0], args[1])
            return found if op == "in" else z3.Not(found)
        if op == "len":
            return args[0].length
        if op == "card":
            return self.card(args[0])
        if op in ("min", "max"):
            x, y = args
            if isinstance(x, int) and isinstance(y, int):
                return min(x, y) if op == "min" else max(x, y)
            if _is_bv(x, y):
                x, y = align(x, y)
            return z3.If(x <= y, x, y) if op == "min" else z3.If(x >= y, x, y)
        if op == "take":
            s, n = args
            return SSeq(const(n, s.length.sort()) if isinstance(n, int) else n, s.items)
        if op == "isPrefix":
            a, b = args
            cap = min(a.capacity, b.capacity)
            same = [z3.Implies(k < a.length, eq(a.items[k], b.items[k])) for k in range(cap)]
            return z3.And(a.length <= b.length, *same)
        if op == "range":
            low, high = args
            lo, hi = (
                self.int_bounds(t.args[0], state, env)[0],
                self.int_bounds(t.args[1], state, env)[1],
            )
            return SRange(low, high, lo, hi)
        if op == "set":
            return SElems(tuple(args))
        if op == "field":
            return args[0][t.extra]
        if op == "apply":
            f, x = args
            return fun_at(f, x)
        if op == "nth":
            s, k = args
            return seq_at(s, k - 1)
        raise AssertionError(op)  # pragma: no cover

    def card(self, s: Any) -> Any:
        if isinstance(s, SMask):
            return mask_count(s, self.sort)
        if isinstance(s, SSlots):
            return count(s.present, self.sort)
        if isinstance(s, SElems):
            # distinct elements of a literal
            new = [
                z3.Not(disj([_bool(eq(x, y)) for y in s.items[:k]])) for k, x in enumerate(s.items)
            ]
            return count(new, self.sort)
        if isinstance(s, SRange):
            size = arith("+", arith("-", s.high, s.low), 1)
            return ite(less(s.low, s.high, False), size, 0)
        raise AssertionError(type(s))  # pragma: no cover

    def member(self, x: Any, s: Any) -> z3.BoolRef:
        return disj([z3.And(c, _bool(eq(x, v))) for c, v in self.elements(s)])

    def elements(self, s: Any) -> list[tuple[z3.BoolRef, Any]]:
        """The (condition, element) pairs of a finite collection."""
        if isinstance(s, SMask):
            return [(m, k) for k, m in enumerate(s.members)]
        if isinstance(s, SSeq):
            return [(k < s.length, v) for k, v in enumerate(s.items)]
        if isinstance(s, SSlots):
            return list(zip(s.present, s.items, strict=True))
        if isinstance(s, SElems):
            return [(z3.BoolVal(True), v) for v in s.items]
        if isinstance(s, SRange):
            found = []
            for k in range(s.lo, s.hi + 1):
                cond = z3.And(_le(s.low, k), _le(k, s.high))
                found.append((cond, k))
            return found
        raise AssertionError(type(s))  # pragma: no cover

    def _quant(self, t: Quant, state: Any, env: dict[int, Any]) -> z3.BoolRef:
        want_all = t.kind == "forall"

        def unroll(k: int) -> z3.BoolRef:
            if k == len(t.binders):
                return _bool(self.ev(t.body, state, env))
            bound, domain_term = t.binders[k]
            domain = self.ev(domain_term, state, env)
            parts = []
            for cond, value in self.elements(domain):
                cond = z3.simplify(_bool(cond))
                if z3.is_false(cond):
                    continue
                env[bound.uid] = value
                self._bounds_env[bound.uid] = self._elem_bounds(domain, value)
                body = unroll(k + 1)
                parts.append(z3.Implies(cond, body) if want_all else z3.And(cond, body))
            env.pop(bound.uid, None)
            return conj(parts) if want_all else disj(parts)

        return unroll(0)

    # -- static bounds of ints, for unrolling ranges --------------------------------------

    def _elem_bounds(self, domain: Any, value: Any) -> tuple[int, int]:
        c = _concrete(value)
        if c is not None:
            return (c, c)
        return self.binding.int_range

    def int_bounds(self, t: Term, state: Any, env: dict[int, Any]) -> tuple[int, int]:
        """Concrete bounds on an Int term, as tight as the structure shows."""
        default = self.binding.int_range
        if isinstance(t, Const) and isinstance(t.value, int):
            return (t.value, t.value)
        if isinstance(t, Bound):
            c = _concrete(env.get(t.uid))
            return (c, c) if c is not None else self._bounds_env.get(t.uid, default)
        if isinstance(t, Op):
            if t.op == "len":
                s = self.ev(t.args[0], state, env)
                return (0, s.capacity)
            bounds = [self.int_bounds(a, state, env) for a in t.args if isinstance(a.type, Prim)]
            if t.op in ("min", "max") and len(bounds) == 2:
                (a, b), (c, d) = bounds
                return (min(a, c), min(b, d)) if t.op == "min" else (max(a, c), max(b, d))
            if t.op == "+" and len(bounds) == 2:
                (a, b), (c, d) = bounds
                return (a + c, b + d)
            if t.op == "-" and len(bounds) == 2:
                (a, b), (c, d) = bounds
                return (a - d, b - c)
        value = self.ev(t, state, env)
        c = _concrete(value)
        return (c, c) if c is not None else default


def _le(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return z3.BoolVal(a <= b)
    return less(a, b, False)


def _vars(t: Term) -> list[Var]:
    if isinstance(t, Var):
        return [t]
    if isinstance(t, Op):
        return [v for a in t.args for v in _vars(a)]
    if isinstance(t, Quant):
        return [v for _, d in t.binders for v in _vars(d)] + _vars(t.body)
    return []


__all__ = ["SymbolicBinding", "SymbolicFormula"]
