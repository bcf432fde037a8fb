"""What the specs tell mypyc, the compiler some of their modules are built with.

``mypyc_attr(native_class=False)`` keeps a class of a compiled module an ordinary Python
class: a model is copied and given other properties by ``zabmc check --property``
(:func:`zabmc.properties.with_properties`), which a native class, with no ``__dict__``,
does not allow. Where mypy_extensions is not installed (a pure-Python install) the
decorator does nothing, as it does at run time anyway: mypyc reads it when compiling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # pragma: no cover - only where mypy (and so mypyc) is not installed

    def mypyc_attr(*attrs: str, **kwattrs: object) -> Callable[[T], T]:  # type: ignore[misc]
        """The decorator mypyc reads, doing nothing."""
        return lambda cls: cls


__all__ = ["mypyc_attr"]
