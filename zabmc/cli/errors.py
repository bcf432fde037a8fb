"""Errors that the CLI reports as one line with exit code 2."""


class InputError(Exception):
    """Bad input from the user: a flag value, a file, a name. The message says where."""
