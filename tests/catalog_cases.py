"""Every known bug variant of every registered spec, with the bounds that expose it.

Tests iterate over these, so a spec added to ``zabmc.cli.specs`` is covered with
no change to the tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from zabmc.cli.specs import SPECS


def bug_cases() -> list[Any]:
    """(spec, bug, bounds, options) for each bug variant, as pytest parameters.

    The bounds and options are the catalogue's quick way to expose the bug, so that every
    case runs in seconds.
    """
    return [
        pytest.param(info, bug, *info.bug_setup(bug, quick=True), id=f"{info.name}-{bug}")
        for info in SPECS.values()
        for bug in info.bugs
    ]


def bug_flags(spec: str, bug: str) -> list[str]:
    """The command-line flags that select ``bug`` of ``spec`` the quick way (see bug_cases)."""
    info = SPECS[spec]
    return ["--spec", spec, "--bug", bug, *info.exposures[bug].flags(info, quick=True)]
