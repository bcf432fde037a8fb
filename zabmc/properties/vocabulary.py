"""What a spec offers formulas: its variables, constants, domains and helper definitions.

The engine and this package know nothing about any spec; each spec that
supports properties builds a :class:`Vocabulary` (for the protocol spec,
``spec/protocol/vocabulary.py``) and names it in its catalogue entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zabmc.properties.types import Type


@dataclass(frozen=True)
class Variable:
    """A state variable as formulas see it: its type, and how to read it from a state."""

    type: Type
    read: Callable[[Any], Any]
    doc: str = ""


@dataclass(frozen=True)
class Constant:
    """A named value that does not change from state to state (a role, a domain, a bound)."""

    type: Type
    value: Any
    doc: str = ""


@dataclass(frozen=True)
class Vocabulary:
    """A spec's names for the property language.

    ``prelude`` is property-language text of ``define``\\ s (zxid order,
    prefix, quorum, ...) that every formula may call, as if written above it.
    ``source`` names the prelude in error messages.
    """

    spec: str
    variables: Mapping[str, Variable]
    constants: Mapping[str, Constant]
    prelude: str = ""
    source: str = "<prelude>"
    records: Mapping[str, Type] = field(default_factory=dict)
