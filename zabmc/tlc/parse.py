"""Parsing TLC's value syntax and its ``-dump`` state files with a lark grammar."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Transformer, UnexpectedInput, v_args

from zabmc.tlc.values import ModelValue, function


class TlcParseError(ValueError):
    """Text that is not TLC's value syntax; the message gives line and column."""


@v_args(inline=True)
class _ToValues(Transformer):
    def integer(self, token: Any) -> int:
        return int(token)

    def string(self, token: Any) -> str:
        return str(token)[1:-1].encode().decode("unicode_escape")

    def true(self) -> bool:
        return True

    def false(self) -> bool:
        return False

    def model_value(self, token: Any) -> ModelValue:
        return ModelValue(str(token))

    def set(self, *items: Any) -> frozenset:
        return frozenset(i for i in items if i is not None)

    def sequence(self, *items: Any) -> tuple:
        return tuple(i for i in items if i is not None)

    def field(self, name: Any, value: Any) -> tuple[str, Any]:
        return (str(name), value)

    def record(self, *fields: tuple[str, Any]) -> Any:
        return function(fields)

    def mapping(self, key: Any, value: Any) -> tuple[Any, Any]:
        return (key, value)

    def function(self, *pairs: tuple[Any, Any]) -> Any:
        return function(pairs)

    def assignment(self, name: Any, value: Any) -> tuple[str, Any]:
        return (str(name), value)

    def state(self, number: Any, *assignments: tuple[str, Any]) -> tuple[int, dict[str, Any]]:
        return (int(number), dict(assignments))

    def dump(self, *states: tuple[int, dict[str, Any]]) -> list[dict[str, Any]]:
        return [s for _, s in states]


@cache
def _parser(start: str) -> Lark:
    grammar = files("zabmc.tlc").joinpath("tla_values.lark").read_text()
    return Lark(grammar, start=start, parser="lalr", transformer=_ToValues())


def _parse(text: str, start: str, source: str) -> Any:
    try:
        return _parser(start).parse(text)
    except UnexpectedInput as exc:
        raise TlcParseError(
            f"{source}:{exc.line}:{exc.column}: not TLC value syntax near "
            f"{exc.get_context(text, 30).splitlines()[0]!r}"
        ) from None


def parse_value(text: str) -> Any:
    """One TLA+ value, e.g. ``(s1 :> {} @@ s2 :> {s1})``."""
    return _parse(text, "value", "<value>")


def parse_dump(text: str, source: str = "<dump>") -> list[dict[str, Any]]:
    """Every state of a TLC ``-dump`` file, as a dict from variable name to value."""
    return _parse(text, "dump", source)


_STATE = re.compile(r"^State (\d+):[ \t]*$", re.M)
_ASSIGNMENT = re.compile(r"^/\\ ([A-Za-z_][A-Za-z0-9_]*) = ", re.M)


def parse_states(text: str, source: str = "<dump>") -> list[dict[str, Any]]:
    """What :func:`parse_dump` reads, with each distinct value text parsed once.

    A simulation trace repeats most values from one state to the next (and many from one
    trace to another, hence the cache across calls); parsing each text once makes reading
    such dumps many times faster. Values are immutable, so sharing them is safe.
    """
    states: list[dict[str, Any]] = []
    heads = list(_STATE.finditer(text))
    if not heads or text[: heads[0].start()].strip():
        raise TlcParseError(f"{source}:1: a dump starts with a 'State N:' line")
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        body_start, body_end = head.end(), nxt.start() if nxt else len(text)
        found = list(_ASSIGNMENT.finditer(text, body_start, body_end))
        line = text.count("\n", 0, head.start()) + 1
        if not found or text[body_start : found[0].start()].strip():
            raise TlcParseError(f"{source}:{line}: State {head[1]} has no '/\\ var = value'")
        values = {}
        for a, b in zip(found, [*found[1:], None], strict=True):
            value = text[a.end() : b.start() if b else body_end]
            try:
                values[a[1]] = _value(value.strip())
            except TlcParseError as exc:
                where = text.count("\n", 0, a.start()) + 1
                why = str(exc).split(": ", 1)[1]
                raise TlcParseError(f"{source}:{where}: {a[1]}: {why}") from None
        states.append(values)
    return states


@cache
def _value(text: str) -> Any:
    return parse_value(text)
