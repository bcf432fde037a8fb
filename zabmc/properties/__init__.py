"""Properties written by users, in a small first-order language over a spec's variables.

``docs/properties.md`` describes the language. A spec opts in by giving a
:class:`~zabmc.properties.vocabulary.Vocabulary`; :func:`load` turns files
and ``--invariant-expr`` formulas into invariants the engine checks like
the spec's own.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zabmc.engine import Expectation, Model, Property
from zabmc.properties.check import Checker
from zabmc.properties.evaluate import EvaluationError, Evaluator, counterexample_instance
from zabmc.properties.syntax import PropertyError
from zabmc.properties.terms import Term
from zabmc.properties.vocabulary import Vocabulary


@dataclass(frozen=True)
class UserProperty:
    """An invariant from a property file or ``--invariant-expr``, type-checked."""

    name: str
    term: Term
    source: str
    text: str
    evaluator: Evaluator

    def holds(self, state: Any) -> bool:
        return self.evaluator.predicate(self.term)(state)

    def as_property(self) -> Property:
        """The engine's form: an invariant whose explanation names the failing instance."""
        predicate = self.evaluator.predicate(self.term)

        def explain(state: Any) -> str:
            where = counterexample_instance(self.evaluator, self.term, state)
            at = f" for {where}" if where else ""
            return f"{self.name} (from {self.source}) is false{at}."

        return Property.always(
            self.name, predicate, doc=f"{self.name}: {self.text}", explain=explain
        )


def load(
    vocabulary: Vocabulary,
    files: Sequence[tuple[str, str]] = (),
    expressions: Sequence[str] = (),
) -> list[UserProperty]:
    """The invariants of ``files`` ((text, source) pairs), then one per expression.

    An expression is named ``Expr1``, ``Expr2``, ... in the order given.
    Raises :class:`PropertyError` naming the place of the first error.
    """
    checker = Checker(vocabulary)
    found: list[UserProperty] = []
    for text, source in files:
        for name, term in checker.add_file(text, source):
            if any(p.name == name for p in found):
                raise PropertyError(source, None, f"invariant {name} is defined twice")
            body = _definition_text(text, name)
            found.append(UserProperty(name, term, source, body, Evaluator(vocabulary, source)))
    for k, text in enumerate(expressions, start=1):
        source = "--invariant-expr" if len(expressions) == 1 else f"--invariant-expr #{k}"
        term = checker.expression(text, source)
        found.append(UserProperty(f"Expr{k}", term, source, text, Evaluator(vocabulary, source)))
    return found


def _definition_text(text: str, name: str) -> str:
    """The formula of invariant ``name`` on one line, for a report's statement."""
    import re

    pattern = rf"\binvariant\s+{re.escape(name)}\s*:=(.*?)(?=\n\s*(define|invariant)\b|\Z)"
    m = re.search(pattern, text, re.S)
    body = m.group(1) if m else ""
    lines = [line.split("--")[0].strip() for line in body.splitlines()]
    return " ".join(line for line in lines if line)


def with_properties(model: Model, properties: Sequence[UserProperty], keep: bool) -> Model:
    """``model`` whose properties are its own (invariants only when ``keep``) and the user's.

    A user invariant with a built-in one's name takes its place: the spec's
    invariants written in the language (``spec/protocol/invariants.zprop``)
    check under their own names. The model is copied; the spec's own object
    is untouched.
    """
    extra = tuple(p.as_property() for p in properties)
    before = vars(model).get("properties")
    if isinstance(before, CombinedProperties):  # a copy already: add to its user's properties
        names = {p.name for p in extra}
        extra = (*(p for p in before.extra if p.name not in names), *extra)
        keep = keep and before.keep
    copied = copy.copy(model)
    combined = CombinedProperties(copied, extra, keep)
    copied.properties = combined  # type: ignore[method-assign]
    return copied


@dataclass(frozen=True, eq=False)
class CombinedProperties:
    """A copied model's properties: the spec's own, less those a user's property
    replaces (and less its invariants unless ``keep``), then the user's.

    The spec's own are asked of the spec's method on each call, not kept here: Ray
    pickles the model into each actor, where a compiled spec builds its own properties
    again (mypyc's functions do not pickle), and the list must hold those.
    """

    model: Model
    extra: tuple[Property, ...]
    keep: bool

    def __call__(self) -> list[Property]:
        names = {p.name for p in self.extra}
        own = [p for p in type(self.model).properties(self.model) if p.name not in names]
        if not self.keep:
            own = [p for p in own if p.expectation is not Expectation.ALWAYS]
        return [*own, *self.extra]


__all__ = [
    "CombinedProperties",
    "EvaluationError",
    "PropertyError",
    "UserProperty",
    "Vocabulary",
    "load",
    "with_properties",
]
