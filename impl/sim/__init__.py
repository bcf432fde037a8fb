"""The deterministic simulator: the real core, a virtual clock, a seeded scheduler, faults.

``run_schedule(draw_schedule(random.Random(seed).randint))`` runs one fault schedule and
checks ZAB's properties (``impl.sim.checks``) as it goes.
"""
