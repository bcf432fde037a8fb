"""The protocol spec's own error: an action that TLC could not evaluate either.

It lives apart from the actions that raise it so that they can be compiled (mypyc makes
no native class of a ``RuntimeError`` subclass) while it stays an ordinary exception.
"""

from __future__ import annotations


class SpecError(RuntimeError):
    """Evaluating an action failed, as TLC would fail on the same state."""
