"""zabmc: a model checker for ZooKeeper's atomic broadcast protocol (ZAB)."""

from zabmc import compiled

__version__ = "0.1.0"

# Before any module compiled with mypyc is imported: run their sources instead if any was
# edited since it was compiled, or ZABMC_PURE is set (zabmc/compiled.py).
compiled.install()
