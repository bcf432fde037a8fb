"""zabmc: a model checker for ZooKeeper's atomic broadcast protocol (ZAB)."""

__version__ = "0.1.0"
