"""Formal specifications of ZAB, embedded in Python, at two levels of detail."""

# Importing zabmc decides, before any spec module compiled with mypyc is imported, whether
# they or their sources run (zabmc/compiled.py).
import zabmc.compiled  # noqa: F401
