"""The type checker: a parsed formula against a spec's vocabulary, to a typed term.

Every error names the place (``source:line:column``) and says what was
expected there.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from zabmc.properties import syntax as s
from zabmc.properties.terms import Bound, Const, Op, Quant, Term, Var
from zabmc.properties.types import (
    BOOL,
    INT,
    Fun,
    Record,
    Seq,
    SetOf,
    Type,
    compatible,
    join,
    numeric,
)
from zabmc.properties.vocabulary import Vocabulary

#: The language's own functions: name -> (number of arguments, what they take).
BUILTINS = {
    "len": "len(s): the length of a sequence",
    "card": "card(S): the number of elements of a set",
    "min": "min(a, b)",
    "max": "max(a, b)",
    "take": "take(s, n): the first n elements of s (SubSeq(s, 1, n))",
    "isPrefix": "isPrefix(s, t): s is a prefix of t",
}

_uids = itertools.count(1)


def a(t: Type) -> str:
    """``a Bool``, ``an Int``: a type with its article."""
    name = str(t)
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


@dataclass
class _Def:
    definition: s.Definition
    source: str


class Checker:
    """Resolves names and checks types for the formulas of one spec vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.definitions: dict[str, _Def] = {}
        self._expanding: list[str] = []
        if vocabulary.prelude:
            self.add_file(vocabulary.prelude, vocabulary.source)

    # -- files and definitions ------------------------------------------------

    def add_file(self, text: str, source: str) -> list[tuple[str, Term]]:
        """Add a file's definitions; return its invariants, checked, in order."""
        invariants = []
        for d in s.parse_file(text, source):
            if d.name in self.definitions or self._builtin_name(d.name):
                raise s.PropertyError(source, d.pos, f"{d.name!r} is already defined")
            self.definitions[d.name] = _Def(d, source)
            if not d.params:
                term = self.expand(d.name, (), source, d.pos)
                if d.is_invariant and term.type != BOOL:
                    raise s.PropertyError(
                        source, d.body.pos, f"invariant {d.name} is {a(term.type)}, not a Bool"
                    )
                if d.is_invariant:
                    invariants.append((d.name, term))
            elif d.is_invariant:  # pragma: no cover - the grammar gives invariants no params
                raise s.PropertyError(source, d.pos, "an invariant takes no parameters")
        return invariants

    def expression(self, text: str, source: str) -> Term:
        """One formula (``--invariant-expr``); it must be a Bool."""
        node = s.parse_expression(text, source)
        term = self.term(node, {}, source)
        if term.type != BOOL:
            raise s.PropertyError(source, node.pos, f"the formula is {a(term.type)}, not a Bool")
        return term

    def _builtin_name(self, name: str) -> bool:
        v = self.vocabulary
        return name in BUILTINS or name in v.variables or name in v.constants

    def expand(self, name: str, args: tuple[Term, ...], source: str, pos: s.Pos) -> Term:
        """The body of definition ``name`` with its parameters bound to ``args``."""
        entry = self.definitions[name]
        d = entry.definition
        if len(args) != len(d.params):
            raise s.PropertyError(
                source, pos, f"{name} takes {len(d.params)} argument(s), got {len(args)}"
            )
        if name in self._expanding:
            raise s.PropertyError(entry.source, d.pos, f"{name} is defined in terms of itself")
        self._expanding.append(name)
        try:
            return self.term(d.body, dict(zip(d.params, args, strict=True)), entry.source)
        finally:
            self._expanding.pop()

    # -- terms ----------------------------------------------------------------

    def bool_term(self, node: s.Node, env: Mapping[str, Term], source: str) -> Term:
        t = self.term(node, env, source)
        if t.type != BOOL:
            raise s.PropertyError(source, node.pos, f"expected a Bool here, found {a(t.type)}")
        return t

    def num_term(self, node: s.Node, env: Mapping[str, Term], source: str) -> Term:
        t = self.term(node, env, source)
        if not numeric(t.type):
            raise s.PropertyError(source, node.pos, f"expected a number here, found {a(t.type)}")
        return t

    def term(self, node: s.Node, env: Mapping[str, Term], source: str) -> Term:
        method = getattr(self, f"_{type(node).__name__}")
        return method(node, env, source)

    def _Number(self, node: s.Number, env, source) -> Term:
        return Const(INT, node.value)

    def _Bool(self, node: s.Bool, env, source) -> Term:
        return Const(BOOL, node.value)

    def _Name(self, node: s.Name, env, source) -> Term:
        name = node.name
        if name in env:
            return env[name]
        v = self.vocabulary
        if name in v.variables:
            return Var(v.variables[name].type, name)
        if name in v.constants:
            c = v.constants[name]
            return Const(c.type, c.value)
        if name in self.definitions:
            return self.expand(name, (), source, node.pos)
        raise s.PropertyError(source, node.pos, f"unknown name {name!r}{self._suggest(name)}")

    def _suggest(self, name: str) -> str:
        import difflib

        known = [
            *self.vocabulary.variables,
            *self.vocabulary.constants,
            *self.definitions,
            *BUILTINS,
        ]
        close = difflib.get_close_matches(name, known, n=3)
        return f"; did you mean {', '.join(close)}?" if close else ""

    def _Call(self, node: s.Call, env, source) -> Term:
        name = node.name
        args = tuple(self.term(arg, env, source) for arg in node.args)
        if name in BUILTINS:
            return self._builtin(node, args, source)
        if name in self.definitions:
            return self.expand(name, args, source, node.pos)
        raise s.PropertyError(source, node.pos, f"unknown function {name!r}{self._suggest(name)}")

    def _builtin(self, node: s.Call, args: tuple[Term, ...], source: str) -> Term:
        name = node.name
        arity = 1 if name in ("len", "card") else 2
        if len(args) != arity:
            raise s.PropertyError(source, node.pos, f"{BUILTINS[name]} takes {arity} argument(s)")
        types = [a.type for a in args]
        if name == "len" and isinstance(types[0], Seq):
            return Op(INT, "len", args, node.pos)
        if name == "card" and isinstance(types[0], SetOf):
            return Op(INT, "card", args, node.pos)
        if name in ("min", "max") and all(numeric(t) for t in types):
            return Op(INT, name, args, node.pos)
        if name == "take" and isinstance(types[0], Seq) and numeric(types[1]):
            return Op(types[0], "take", args, node.pos)
        if name == "isPrefix" and isinstance(types[0], Seq) and types[0] == types[1]:
            return Op(BOOL, "isPrefix", args, node.pos)
        shown = ", ".join(str(t) for t in types)
        raise s.PropertyError(source, node.pos, f"{BUILTINS[name]}: cannot take ({shown})")

    def _Index(self, node: s.Index, env, source) -> Term:
        base = self.term(node.base, env, source)
        idx = self.term(node.index, env, source)
        bt = base.type
        if isinstance(bt, Fun):
            if not compatible(idx.type, bt.domain):
                raise s.PropertyError(
                    source, node.index.pos, f"index must be {a(bt.domain)}, found {a(idx.type)}"
                )
            return Op(bt.range, "apply", (base, idx), node.pos)
        if isinstance(bt, Seq):
            if not numeric(idx.type):
                raise s.PropertyError(
                    source, node.index.pos, f"a sequence index is a number, found {a(idx.type)}"
                )
            return Op(bt.elem, "nth", (base, idx), node.pos)
        raise s.PropertyError(source, node.pos, f"{a(bt)} cannot be indexed")

    def _Field(self, node: s.Field, env, source) -> Term:
        base = self.term(node.base, env, source)
        bt = base.type
        if not isinstance(bt, Record):
            raise s.PropertyError(source, node.pos, f"{a(bt)} has no field {node.name!r}")
        ft = bt.field_type(node.name)
        if ft is None:
            fields = ", ".join(f for f, _ in bt.fields)
            raise s.PropertyError(
                source, node.pos, f"{bt} has no field {node.name!r}; its fields are: {fields}"
            )
        return Op(ft, "field", (base,), node.pos, node.name)

    def _Unary(self, node: s.Unary, env, source) -> Term:
        if node.op == "not":
            return Op(BOOL, "not", (self.bool_term(node.arg, env, source),), node.pos)
        return Op(INT, "neg", (self.num_term(node.arg, env, source),), node.pos)

    def _Binary(self, node: s.Binary, env, source) -> Term:
        op = node.op
        if op in ("and", "or", "=>", "<=>"):
            left = self.bool_term(node.left, env, source)
            right = self.bool_term(node.right, env, source)
            return Op(BOOL, op, (left, right), node.pos)
        if op in ("+", "-", "*"):
            left = self.num_term(node.left, env, source)
            right = self.num_term(node.right, env, source)
            return Op(INT, op, (left, right), node.pos)
        left = self.term(node.left, env, source)
        right = self.term(node.right, env, source)
        lt, rt = left.type, right.type
        if op in ("=", "!="):
            if not compatible(lt, rt):
                raise s.PropertyError(source, node.pos, f"cannot compare {a(lt)} with {a(rt)}")
            return Op(BOOL, op, (left, right), node.pos)
        if op in ("<", "<=", ">", ">="):
            ordered_records = isinstance(lt, Record) and lt == rt and lt.ordered
            if not (numeric(lt) and numeric(rt)) and not ordered_records:
                raise s.PropertyError(source, node.pos, f"cannot order {a(lt)} and {a(rt)}")
            return Op(BOOL, op, (left, right), node.pos)
        # in / notin
        if not isinstance(rt, SetOf | Seq):
            raise s.PropertyError(
                source, node.right.pos, f"'{op}' needs a set or a sequence, found {a(rt)}"
            )
        if not compatible(lt, rt.elem):
            raise s.PropertyError(source, node.pos, f"{a(lt)} cannot be an element of {a(rt)}")
        return Op(BOOL, op, (left, right), node.pos)

    def _Range(self, node: s.Range, env, source) -> Term:
        low = self.num_term(node.low, env, source)
        high = self.num_term(node.high, env, source)
        return Op(SetOf(INT), "range", (low, high), node.pos)

    def _SetLiteral(self, node: s.SetLiteral, env, source) -> Term:
        items = tuple(self.term(arg, env, source) for arg in node.items)
        if not items:
            raise s.PropertyError(source, node.pos, "an empty set literal {} has no type")
        elem: Type = items[0].type
        for item, item_node in zip(items[1:], node.items[1:], strict=True):
            if not compatible(item.type, elem):
                raise s.PropertyError(source, item_node.pos, f"{a(item.type)} in a set of {elem}")
            elem = join(elem, item.type)
        return Op(SetOf(elem), "set", items, node.pos)

    def _If(self, node: s.If, env, source) -> Term:
        cond = self.bool_term(node.cond, env, source)
        then = self.term(node.then, env, source)
        orelse = self.term(node.orelse, env, source)
        if not compatible(then.type, orelse.type):
            raise s.PropertyError(
                source, node.orelse.pos, f"the branches are {a(then.type)} and {a(orelse.type)}"
            )
        return Op(join(then.type, orelse.type), "if", (cond, then, orelse), node.pos)

    def _Quantified(self, node: s.Quantified, env, source) -> Term:
        inner = dict(env)
        binders = []
        for name, domain_node in node.binders:
            domain = self.term(domain_node, inner, source)
            if not isinstance(domain.type, SetOf | Seq):
                raise s.PropertyError(
                    source,
                    domain_node.pos,
                    f"{name} must range over a set or a sequence, found {a(domain.type)}",
                )
            bound = Bound(domain.type.elem, next(_uids), name)
            inner[name] = bound
            binders.append((bound, domain))
        body = self.bool_term(node.body, inner, source)
        return Quant(BOOL, node.kind, tuple(binders), body, node.pos)
