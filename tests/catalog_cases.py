"""Every known bug variant of every registered spec, with the bounds that expose it.

Tests iterate over these, so a spec added to ``zabmc.specs`` is covered with
no change to the tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from zabmc.engine.catalog import SpecInfo
from zabmc.specs import SPECS


def bounds_for(info: SpecInfo, bug: str | None) -> dict[str, int]:
    bounds = {b.name: b.default for b in info.bounds}
    if bug is not None:
        bounds.update(info.bug_bounds.get(bug, {}))
    return bounds


def bug_cases() -> list[Any]:
    """(spec, bug, bounds) for each bug variant, as pytest parameters with readable ids."""
    return [
        pytest.param(info, bug, bounds_for(info, bug), id=f"{info.name}-{bug}")
        for info in SPECS.values()
        for bug in info.bugs
    ]


def bug_flags(spec: str, bug: str) -> list[str]:
    """The command-line flags that select ``bug`` of ``spec`` at the bounds that expose it."""
    info = SPECS[spec]
    exposing = info.bug_bounds.get(bug, {})
    flags = ["--spec", spec, "--bug", bug]
    for b in info.bounds:
        if b.name in exposing:
            flags += [b.flag, str(exposing[b.name])]
    return flags
