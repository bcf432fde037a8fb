"""Rendering search results and counterexamples for people and machines."""
