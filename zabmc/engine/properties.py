"""What every search shares: which properties to check, and the key a state is counted by.

Breadth-first search (one core or partitioned) and simulation take these from here,
so a property name means the same thing, and a state is the same state, in each.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from zabmc.engine.model import Expectation, Model, Property
from zabmc.engine.symmetry import canonicalizer


class UnknownProperty(ValueError):
    """A property name that the model does not define."""


def select_properties(
    model: Model, names: Sequence[str] | None
) -> tuple[list[Property], list[Property]]:
    """The invariants to check and the witnesses to look for.

    Raises :class:`UnknownProperty` naming the valid choices.
    """
    props = list(model.properties())
    always = [p for p in props if p.expectation is Expectation.ALWAYS]
    sometimes = [p for p in props if p.expectation is Expectation.SOMETIMES]
    if names is None:
        return always, sometimes
    by_name = {p.name: p for p in always}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise UnknownProperty(
            f"unknown invariant {unknown[0]!r}; choose from: {', '.join(sorted(by_name))}"
        )
    return [by_name[n] for n in dict.fromkeys(names)], sometimes


def state_key_function(model: Model, symmetry: bool) -> Callable[[Hashable], Hashable]:
    """The function whose hash is a state's fingerprint.

    It applies the model's canonical form (with ``symmetry``) and then its view.
    """
    view = model.view
    has_view = type(model).view is not Model.view
    if symmetry:
        sym = model.symmetry()
        if sym is None:
            raise ValueError(f"{model.name} has no symmetry: {model.asymmetry_reason}")
        canonical = canonicalizer(sym)
        if has_view:
            return lambda s: view(canonical(s))
        return canonical
    if has_view:
        return view
    return lambda s: s


def fingerprint_key(model: Model, symmetry: bool) -> Callable[[Hashable], Hashable] | None:
    """:func:`state_key_function`, or None when the key is the state itself (no symmetry,
    no view): a search then fingerprints the state without calling a key."""
    if not symmetry and type(model).view is Model.view:
        return None
    return state_key_function(model, symmetry)


def explain(properties: Sequence[Property], name: str, state: Hashable) -> str:
    """The property's own account of why ``state`` breaks it."""
    for p in properties:
        if p.name == name:
            if p.explain is not None:
                return p.explain(state)
            return f"{name} does not hold"
    return ""


__all__ = [
    "UnknownProperty",
    "explain",
    "fingerprint_key",
    "select_properties",
    "state_key_function",
]
