"""Formal specifications of ZAB, embedded in Python, at two levels of detail."""
