"""The ZooKeeper service on top of the ZAB core (sans-IO; never imports an adapter).

* ``application``: the replicated state (``tree``: nodes with data and stat; sessions) as an
  ``impl.core.Application``; ``txns``: what a write looks like as a txn, and its outcome.
* ``zookeeper``: one server's clients, sessions, watches (``watches``) and request ordering,
  events in, effects out; ``connection``: one client connection's protocol state machine;
  ``fourletter``: ``ruok``, ``srvr``, ``stat``, ``envi``, ``mntr``.
* ``errors``: ZooKeeper's error codes; ``paths``: path rules.

``impl.server.service_runtime`` runs it over asyncio on each server's client port.
"""
