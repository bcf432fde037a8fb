"""The syntax tree of a property file, and the parser that builds it from the lark grammar.

Every node carries the line and column it starts at, so that a type error
or an evaluation error can name the place in the user's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, UnexpectedCharacters, UnexpectedEOF
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError

Pos = tuple[int, int]  # (line, column), both from 1


class PropertyError(Exception):
    """A property text that does not parse, type-check or evaluate: the message names the place."""

    def __init__(self, source: str, pos: Pos | None, message: str) -> None:
        self.source = source
        self.pos = pos
        self.message = message
        where = source if pos is None else f"{source}:{pos[0]}:{pos[1]}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Node:
    """A node of the syntax tree; ``pos`` is where its text starts."""

    pos: Pos


@dataclass(frozen=True)
class Number(Node):
    value: int


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    """A variable, constant, domain, bound variable or definition without parameters."""

    name: str


@dataclass(frozen=True)
class Call(Node):
    """``f(a, b)``: a built-in function, a spec helper or a definition with parameters."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Index(Node):
    """``x[e]``: a per-server (or per-epoch) variable at e, or the e-th element of a sequence."""

    base: Node
    index: Node


@dataclass(frozen=True)
class Field(Node):
    """``x.f``: a field of a record."""

    base: Node
    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "not" or "-"
    arg: Node


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic, comparison, membership and the boolean connectives."""

    op: str  # + - * = != < <= > >= in notin and or => <=>
    left: Node
    right: Node


@dataclass(frozen=True)
class Range(Node):
    """``a..b``: the integers from a to b, both included."""

    low: Node
    high: Node


@dataclass(frozen=True)
class SetLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class If(Node):
    cond: Node
    then: Node
    orelse: Node


@dataclass(frozen=True)
class Quantified(Node):
    """``forall x in D, y in E: body`` (or ``exists``); later domains may use earlier variables."""

    kind: str  # "forall" or "exists"
    binders: tuple[tuple[str, Node], ...]
    body: Node


@dataclass(frozen=True)
class Definition:
    """``define Name(params) := body`` (``invariant`` when ``is_invariant``)."""

    name: str
    params: tuple[str, ...]
    body: Node
    pos: Pos
    is_invariant: bool


def _pos(item: Token | Tree) -> Pos:
    if isinstance(item, Token):
        return (item.line or 0, item.column or 0)
    return (item.meta.line, item.meta.column)


class _Build(Transformer):
    """Turns lark's parse tree into the dataclasses above."""

    def __default__(self, data, children, meta):  # pragma: no cover - every rule is handled
        raise NotImplementedError(data)

    def start(self, items):
        return list(items)

    def define(self, items):
        name, *rest = items
        params = rest[0] if len(rest) == 2 else ()
        return Definition(str(name), tuple(params), rest[-1], _pos(name), False)

    def invariant(self, items):
        name, body = items
        return Definition(str(name), (), body, _pos(name), True)

    def params(self, items):
        return tuple(str(t) for t in items)

    def quantified(self, items):
        kind, *binders, body = items
        flat = tuple(b for group in binders for b in group)
        return Quantified(_pos(kind), str(kind), flat, body)

    def binder(self, items):
        *names, _in, domain = items
        return [(str(name), domain) for name in names]

    def range(self, items):
        low, high = items
        return Range(low.pos, low, high)

    def conditional(self, items):
        cond, then, orelse = items
        return If(cond.pos, cond, then, orelse)

    def _binary(self, op: str, items):
        left, right = items[0], items[-1]
        return Binary(left.pos, op, left, right)

    def iff(self, items):
        return self._binary("<=>", items)

    def imply(self, items):
        return self._binary("=>", items)

    def or_(self, items):
        return self._binary("or", items)

    def and_(self, items):
        return self._binary("and", items)

    def compare(self, items):
        return self._binary(str(items[1]), items)

    def member(self, items):
        return self._binary("in", items)

    def nonmember(self, items):
        return self._binary("notin", items)

    def arith(self, items):
        return self._binary(str(items[1]), items)

    def not_(self, items):
        (arg,) = items
        return Unary(arg.pos, "not", arg)

    def neg(self, items):
        minus, arg = items
        return Unary(_pos(minus), "-", arg)

    def index(self, items):
        base, idx = items
        return Index(base.pos, base, idx)

    def field(self, items):
        base, name = items
        return Field(base.pos, base, str(name))

    def call(self, items):
        name, *args = items
        return Call(_pos(name), str(name), tuple(a for a in args if a is not None))

    def number(self, items):
        (tok,) = items
        return Number(_pos(tok), int(tok))

    def true(self, items):
        return Bool((0, 0), True)

    def false(self, items):
        return Bool((0, 0), False)

    def name(self, items):
        (tok,) = items
        return Name(_pos(tok), str(tok))

    def set_literal(self, items):
        return SetLiteral((0, 0), tuple(a for a in items if a is not None))


_GRAMMAR = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
_FILE_PARSER = Lark(_GRAMMAR, parser="lalr", start="start", propagate_positions=True)
_EXPR_PARSER = Lark(_GRAMMAR, parser="lalr", start="expr", propagate_positions=True)

#: What the user sees for lark's terminal names in "expected ..." lists.
_TOKEN_TEXT = {
    "NAME": "a name",
    "NUMBER": "a number",
    "QUANTIFIER": "forall/exists",
    "COMPARE": "a comparison",
    "IN": "'in'",
    "IFF": "'<=>'",
    "IMPLIES": "'=>'",
    "NOTIN": "'notin'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "MULOP": "'*'",
    "$END": "end of input",
}


def _expected(names: set[str] | frozenset[str]) -> str:
    shown = []
    for name in sorted(names):
        text = _TOKEN_TEXT.get(name)
        if text is None:
            text = _literal_of(name)
        shown.append(text)
    return ", ".join(sorted(set(shown)))


def _literal_of(terminal: str) -> str:
    for t in _FILE_PARSER.terminals:
        if t.name == terminal:
            return repr(t.pattern.value) if t.pattern.type == "str" else terminal
    return terminal


def _end_of(text: str) -> Pos:
    lines = text.split("\n")
    return (len(lines), len(lines[-1]) + 1)


def _syntax_error(source: str, text: str, exc: UnexpectedInput) -> PropertyError:
    pos = (exc.line, exc.column) if exc.line and exc.line > 0 else _end_of(text)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        found = "end of input" if token.type == "$END" else repr(str(token))
        if token.type == "$END":
            pos = _end_of(text)
        return PropertyError(
            source, pos, f"unexpected {found}; expected {_expected(exc.accepts or exc.expected)}"
        )
    if isinstance(exc, UnexpectedCharacters):
        return PropertyError(
            source,
            pos,
            f"unexpected character {exc.char!r}; expected {_expected(exc.allowed or set())}",
        )
    if isinstance(exc, UnexpectedEOF):
        return PropertyError(
            source,
            _end_of(text),
            f"unexpected end of input; expected {_expected(set(exc.expected))}",
        )
    return PropertyError(source, pos, str(exc).splitlines()[0])


def _transform(tree: Tree):
    try:
        return _Build().transform(tree)
    except VisitError as exc:  # pragma: no cover - the transformer raises nothing itself
        raise exc.orig_exc from None


def parse_file(text: str, source: str) -> list[Definition]:
    """The definitions and invariants of a property file, in order."""
    try:
        tree = _FILE_PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(source, text, exc) from None
    return _transform(tree)


def parse_expression(text: str, source: str) -> Node:
    """One formula, as given to ``--invariant-expr``."""
    try:
        tree = _EXPR_PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(source, text, exc) from None
    return _transform(tree)
