"""What a spec hands ``zabmc prove``: its z3 encoding, its vocabulary over it, its invariants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zabmc.symbolic.compile import SymbolicBinding


@dataclass(frozen=True)
class SymbolicSetup:
    """``spec`` is a :class:`zabmc.symbolic.prove.SymbolicSpec`; ``invariants`` the file of its
    built-in invariants written in the property language, which ``--invariant NAME`` names."""

    spec: Any
    binding: SymbolicBinding
    invariants: Path
