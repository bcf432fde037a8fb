"""What a spec hands ``zabmc prove``: its z3 encoding, its vocabulary over it, its invariants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zabmc.symbolic.compile import SymbolicBinding


@dataclass(frozen=True)
class SymbolicSetup:
    """``spec`` is a :class:`zabmc.symbolic.prove.SymbolicSpec`; ``invariants`` the file of its
    built-in invariants written in the property language, which ``--invariant NAME`` names;
    ``induction`` whether the encoding supports ``--induction`` (it needs ``type_ok``), or
    bounded model checking only; ``unrolling`` how BMC unrolls Next by default
    (:func:`zabmc.symbolic.prove.bmc`), the way measured faster for this spec."""

    spec: Any
    binding: SymbolicBinding
    invariants: Path
    induction: bool = True
    unrolling: str = "substitute"
