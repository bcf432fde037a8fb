"""Interoperation with TLC: its value syntax and its state dumps."""
