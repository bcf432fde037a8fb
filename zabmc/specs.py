"""The specs zabmc knows, by name. The first is the default of ``zabmc check``."""

from __future__ import annotations

from spec.protocol import SPEC_INFO as PROTOCOL
from spec.system import SPEC_INFO as SYSTEM
from zabmc.engine.catalog import SpecInfo

SPECS: dict[str, SpecInfo] = {SYSTEM.name: SYSTEM, PROTOCOL.name: PROTOCOL}
DEFAULT_SPEC = next(iter(SPECS))
