"""Evaluating a typed term over one explicit state of a spec.

A term compiles once into nested closures; the state's variables are read
through the vocabulary, each at most once per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from zabmc.properties.syntax import Pos, PropertyError
from zabmc.properties.terms import Bound, Const, Op, Quant, Term, Var
from zabmc.properties.types import SERVER, Record, Type
from zabmc.properties.vocabulary import Vocabulary

Env = dict[int, Any]
Frame = tuple[Any, dict[str, Any], Env]  # (state, variables read so far, bound values)
Compiled = Callable[[Frame], Any]


class EvaluationError(PropertyError):
    """A formula that cannot be evaluated in some state (an index out of range)."""


def show(t: Type, value: Any) -> str:
    """A value as a formula's user reads it: servers as s1, s2, ..."""
    if t == SERVER and isinstance(value, int) and value >= 0:
        return f"s{value + 1}"
    return str(value)


class Evaluator:
    """Compiles terms of one vocabulary to Python functions of a state."""

    def __init__(self, vocabulary: Vocabulary, source: str) -> None:
        self.vocabulary = vocabulary
        self.source = source
        self.bound_names: dict[int, tuple[str, Type]] = {}

    def predicate(self, term: Term) -> Callable[[Any], bool]:
        """``term`` (a Bool) as a predicate on states."""
        fn = self.compile(term)
        return lambda state: bool(fn((state, {}, {})))

    def _error(self, pos: Pos, message: str, env: Env) -> EvaluationError:
        if env:
            where = ", ".join(
                f"{self.bound_names[uid][0]} = {show(self.bound_names[uid][1], v)}"
                for uid, v in env.items()
            )
            message = f"{message} (with {where})"
        return EvaluationError(self.source, pos, message)

    def compile(self, t: Term) -> Compiled:
        if isinstance(t, Const):
            value = t.value
            return lambda f: value
        if isinstance(t, Var):
            name = t.name
            read = self.vocabulary.variables[name].read

            def var(f: Frame) -> Any:
                cache = f[1]
                if name not in cache:
                    cache[name] = read(f[0])
                return cache[name]

            return var
        if isinstance(t, Bound):
            uid = t.uid
            self.bound_names[uid] = (t.name, t.type)
            return lambda f: f[2][uid]
        if isinstance(t, Quant):
            return self._quant(t)
        assert isinstance(t, Op)
        return self._op(t)

    def _quant(self, t: Quant) -> Compiled:
        uids = [b.uid for b, _ in t.binders]
        for b, _ in t.binders:
            self.bound_names[b.uid] = (b.name, b.type)
        domains = [self.compile(d) for _, d in t.binders]
        body = self.compile(t.body)
        want = t.kind == "forall"

        def bindings(f: Frame, k: int) -> Iterator[None]:
            if k == len(uids):
                yield None
                return
            env = f[2]
            for value in domains[k](f):
                env[uids[k]] = value
                yield from bindings(f, k + 1)
            env.pop(uids[k], None)

        def quant(f: Frame) -> bool:
            env = f[2]
            saved = {u: env[u] for u in uids if u in env}
            try:
                for _ in bindings(f, 0):
                    if bool(body(f)) != want:
                        return not want
                return want
            finally:
                for u in uids:
                    env.pop(u, None)
                env.update(saved)

        return quant

    def _op(self, t: Op) -> Compiled:
        op, pos = t.op, t.pos
        args = [self.compile(a) for a in t.args]
        if op == "and":
            a, b = args
            return lambda f: a(f) and b(f)
        if op == "or":
            a, b = args
            return lambda f: a(f) or b(f)
        if op == "=>":
            a, b = args
            return lambda f: (not a(f)) or b(f)
        if op == "<=>":
            a, b = args
            return lambda f: bool(a(f)) == bool(b(f))
        if op == "not":
            (a,) = args
            return lambda f: not a(f)
        if op == "if":
            c, a, b = args
            return lambda f: a(f) if c(f) else b(f)
        if op in _BINARY:
            fn = _BINARY[op]
            a, b = args
            return lambda f: fn(a(f), b(f))
        if op == "neg":
            (a,) = args
            return lambda f: -a(f)
        if op == "len" or op == "card":
            (a,) = args
            return lambda f: len(a(f))
        if op == "min":
            a, b = args
            return lambda f: min(a(f), b(f))
        if op == "max":
            a, b = args
            return lambda f: max(a(f), b(f))
        if op == "take":
            a, b = args

            def take(f: Frame) -> tuple:
                n = b(f)
                seq = a(f)
                if not 0 <= n <= len(seq):
                    raise self._error(pos, f"take(s, {n}) of a sequence of {len(seq)}", f[2])
                return tuple(seq[:n])

            return take
        if op == "isPrefix":
            a, b = args

            def is_prefix(f: Frame) -> bool:
                x, y = a(f), b(f)
                return len(x) <= len(y) and tuple(y[: len(x)]) == tuple(x)

            return is_prefix
        if op == "range":
            a, b = args
            return lambda f: range(a(f), b(f) + 1)
        if op == "set":
            return lambda f: frozenset(x(f) for x in args)
        if op == "field":
            base_type = t.args[0].type
            assert isinstance(base_type, Record)
            get = base_type.getter(t.extra)
            (a,) = args
            return lambda f: get(a(f))
        if op == "apply":
            a, b = args

            def apply(f: Frame) -> Any:
                fun, x = a(f), b(f)
                try:
                    if x < 0:
                        raise IndexError
                    return fun[x]
                except (IndexError, KeyError):
                    raise self._error(
                        pos, f"{show(t.args[1].type, x)} is outside the domain", f[2]
                    ) from None

            return apply
        if op == "nth":
            a, b = args

            def nth(f: Frame) -> Any:
                seq, k = a(f), b(f)
                if not 1 <= k <= len(seq):
                    raise self._error(
                        pos, f"index {k} is outside 1..{len(seq)} of the sequence", f[2]
                    )
                return seq[k - 1]

            return nth
        raise AssertionError(op)  # pragma: no cover


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "=": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
    "in": lambda x, y: x in y,
    "notin": lambda x, y: x not in y,
}


def counterexample_instance(ev: Evaluator, term: Term, state: Any) -> str:
    """For a formula false in ``state``: the values of its outer ``forall`` that make it false."""
    compiled = ev.compile
    env: Env = {}
    frame: Frame = (state, {}, env)
    parts: list[str] = []
    while isinstance(term, Quant) and term.kind == "forall":
        body = compiled(term.body)
        domains = [compiled(d) for _, d in term.binders]
        found = None
        for values in _product(frame, domains, [b.uid for b, _ in term.binders]):
            if not body(frame):
                found = values
                break
        if found is None:
            break
        for (b, _), v in zip(term.binders, found, strict=True):
            env[b.uid] = v
            parts.append(f"{b.name} = {show(b.type, v)}")
        term = term.body
    return ", ".join(parts)


def _product(frame: Frame, domains: list[Compiled], uids: list[int]) -> Iterator[tuple]:
    env = frame[2]
    if not domains:
        yield ()
        return
    for first in domains[0](frame):
        env[uids[0]] = first
        for rest in _product(frame, domains[1:], uids[1:]):
            yield (first, *rest)
    env.pop(uids[0], None)


__all__ = ["EvaluationError", "Evaluator", "counterexample_instance"]
