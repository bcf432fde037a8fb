"""What a message sequence chart asks of a spec: its servers and what each step did.

The report layer owns this protocol; the engine never calls it. A spec whose states
have servers implements :class:`ServerChart` beside :class:`~zabmc.engine.Model` (its
model class names both), and a report reads it through :func:`server_chart`, which
gives a spec without servers an empty chart.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from zabmc.engine.model import Action

State = TypeVar("State", bound=Hashable)


@dataclass(frozen=True)
class Message:
    """A message on the channel from server ``src`` to server ``dst``, as a chart labels it."""

    src: int
    dst: int
    label: str  # the type and its key fields, zxids as epoch:counter, e.g. "PROPOSAL 1:2"


@dataclass(frozen=True)
class StepEvents:
    """What one step did, in the terms of a message sequence chart.

    Channels are FIFO per ordered pair, so a chart pairs the k-th message
    sent on (src, dst) with the k-th one received or lost there.
    ``lost`` counts messages that left a channel undelivered (a crash, a cut
    link, a connection reset). ``markers`` are (server, text) notes on a
    server's lane, such as "crash", "restart" or "partition from s2".
    """

    sent: tuple[Message, ...] = ()
    received: tuple[Message, ...] = ()
    lost: tuple[tuple[int, int, int], ...] = ()  # (src, dst, how many)
    markers: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class ServerLog:
    """A server's history as a chart shows it.

    ``entries`` are the zxids as ``epoch:counter``; the first ``committed`` of
    them are those the server knows to be committed. In a broken state
    ``committed`` may exceed ``len(entries)``; a chart shows that as it is.
    """

    entries: tuple[str, ...]
    committed: int


@runtime_checkable
class ServerChart(Protocol[State]):
    """A spec's servers as a chart draws them: one lane each, their status and logs,
    and the messages each step sent, received and lost."""

    def server_names(self) -> Sequence[str]:
        """The servers, one lane each, in id order (e.g. ``s1, s2, s3``)."""
        ...

    def server_status(self, state: State) -> Sequence[str]:
        """Each server's role and phase in ``state``, e.g. ``LEADING/BROADCAST``."""
        ...

    def step_events(self, before: State, action: Action, after: State) -> StepEvents:
        """The messages a step sent, received and lost, and its markers."""
        ...

    def server_logs(self, state: State) -> Sequence[ServerLog]:
        """Each server's history and its committed prefix, in id order."""
        ...


class NoServers:
    """The chart of a spec without servers: no lanes, no events."""

    def server_names(self) -> Sequence[str]:
        return ()

    def server_status(self, state: Hashable) -> Sequence[str]:
        return ()

    def step_events(self, before: Hashable, action: Action, after: Hashable) -> StepEvents:
        return StepEvents()

    def server_logs(self, state: Hashable) -> Sequence[ServerLog]:
        return ()


def server_chart(model: object) -> ServerChart:
    """``model``'s chart: the model itself when it implements :class:`ServerChart`."""
    return model if isinstance(model, ServerChart) else NoServers()


__all__ = ["Message", "NoServers", "ServerChart", "ServerLog", "StepEvents", "server_chart"]
