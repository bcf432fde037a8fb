"""``zabmc replay``: check that recorded runs of an implementation are behaviours of a spec.

:mod:`~zabmc.replay.trace` holds what a trace is (header, events, where each came from),
:mod:`~zabmc.replay.reader` reads and validates one file of the documented format
(``traces/README.md``), :mod:`~zabmc.replay.merge` puts the per-process files of one run in
one causal order, :mod:`~zabmc.replay.bindings` maps events onto a spec's actions and
states, :mod:`~zabmc.replay.check` walks a trace through a binding and gives a
:class:`~zabmc.replay.verdict.Verdict`.
"""
