"""Recording runs as traces in the documented format (``traces/README.md``, version 1).

``writer`` turns ``Observed`` steps (and the message each took) into the format's JSON
lines; ``recorder`` writes them to a file through a buffer the adapters flush before they
carry out a step's effects; ``clock`` keeps a process's Lamport clock. The format is the only
contract with the specs: nothing here imports ``spec`` or ``zabmc``.
"""
