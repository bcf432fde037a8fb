"""Zab.tla's actions, one function each, grouped by the phase they belong to.

Every action takes the state, the parameters and its arguments, and returns
the next state, or ``None`` when its guard does not hold.
"""
