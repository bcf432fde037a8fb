"""Fault runs of the implementation under test: real server processes (``impl.server``),
kazoo clients recording a history (``recorder``, ``workload``), and a nemesis that kills,
partitions, isolates the leader and cuts the power (``nemesis``); ``run.fault_run`` does one
seeded run and counts the acknowledged writes lost. The history is checked by
``zabmc lincheck`` (:mod:`zabmc.lincheck`). Needs kazoo (the ``test`` extra)."""
