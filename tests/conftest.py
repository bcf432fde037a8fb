"""Shared by the whole suite."""

#: pytester runs the zabmc pytest plugin in a scratch project (tests/replay).
pytest_plugins = ["pytester"]
