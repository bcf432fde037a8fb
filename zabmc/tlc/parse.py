"""Parsing TLC's value syntax and its ``-dump`` state files with a lark grammar."""

from __future__ import annotations

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
