"""The reference implementation of ZAB. It never imports ``spec`` or ``zabmc``."""
