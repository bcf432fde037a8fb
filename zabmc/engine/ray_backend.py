"""Partitions as Ray actors: the same search on a cluster when one machine is not enough.

Each partition is one actor; the driver (:mod:`zabmc.engine.parallel`) calls them
level by level exactly as it calls local processes. A partition's batch for
another is a Ray object: the sender's ``outgoing`` returns it, the driver hands
the reference to the owner's ``merge`` (or, to even the load, ``settle``), and Ray
moves the bytes (zero-copy between actors on one node). A batch of candidates
carries fingerprints, never states; the frontier states given to even the load are
one pickle of their list (:class:`~zabmc.engine.partition.Batch`); the model is
shipped once to each actor when it starts.

On a cluster every node needs zabmc (and the specs) installed, and a
checkpoint folder must be one all nodes share.
"""

from __future__ import annotations

from typing import Any

from zabmc.engine import collector
from zabmc.engine.partition import Partition

try:  # Ray is an optional extra: zabmc[ray]
    import ray
except ImportError:  # pragma: no cover - depends on the environment
    ray = None


class BackendUnavailable(RuntimeError):
    """The backend asked for cannot run here (e.g. Ray is not installed)."""


class _PartitionActor:
    """One partition, held by a Ray actor."""

    def __init__(self, factory: Any, index: int, count: int) -> None:
        collector.stop()  # the actor's process only searches: states hold no cycles
        self.part: Partition = factory(index, count)

    def call(self, method: str, *args: Any) -> Any:
        return getattr(self.part, method)(*args)

    def outgoing(self, dst: int) -> bytes:
        return self.part.outgoing(dst)

    def receive(self, method: str, *incoming: bytes) -> Any:
        """Hand the batches sent to this partition, one per sender, to ``method``."""
        return getattr(self.part, method)(list(incoming))


class RayWorkers:
    """The partitions of a search as Ray actors, one CPU each."""

    def __init__(self, factory: Any, count: int, address: str | None) -> None:
        if ray is None:
            raise BackendUnavailable(
                "--backend ray needs Ray, which is not installed: pip install 'zabmc[ray]'"
            )
        self.count = count
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except ConnectionError as exc:
                raise BackendUnavailable(
                    f"cannot join the Ray cluster at {address}: {exc}"
                ) from None
        actor = ray.remote(num_cpus=1)(_PartitionActor)
        self.actors = [actor.remote(factory, k, count) for k in range(count)]

    def call(self, method: str, args: Any) -> list[Any]:
        return ray.get(
            [a.call.remote(method, *arg) for a, arg in zip(self.actors, args, strict=True)]
        )

    def call_one(self, index: int, method: str, *args: Any) -> Any:
        return ray.get(self.actors[index].call.remote(method, *args))

    def exchange(self, method: str = "merge") -> list[Any]:
        refs = [[a.outgoing.remote(dst) for dst in range(self.count)] for a in self.actors]
        return ray.get(
            [
                self.actors[dst].receive.remote(
                    method, *[refs[src][dst] for src in range(self.count)]
                )
                for dst in range(self.count)
            ]
        )

    def close(self) -> None:
        for a in self.actors:
            ray.kill(a)
        self.actors = []
        if self._owns_ray:
            ray.shutdown()


__all__ = ["BackendUnavailable", "RayWorkers"]
