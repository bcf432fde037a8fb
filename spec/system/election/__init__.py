"""Fast Leader Election as ZooKeeper implements it (FastLeaderElection.tla and .java).

:mod:`~spec.system.election.votes` holds the order on votes and the vote sets;
:mod:`~spec.system.election.actions` the four election steps.
"""
