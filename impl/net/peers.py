"""Peer connections over asyncio TCP: one connection per pair of servers, dialed by the higher
id (as ZooKeeper's QuorumCnxManager does), re-dialed with back-off.

Each connection opens with a :class:`Hello` both ways, then carries framed, encoded messages.
Messages to one peer in one turn of the event loop go out in one write (fewer syscalls: a
leader sends a PROPOSAL and a COMMIT per txn to every follower).
Bytes that do not decode close that connection with one logged line; the server goes on.
What arrives is handed to ``on_event`` as core events (``PeerConnected``,
``MessageReceived``, ``PeerDisconnected``); in recorded runs each message's Lamport clock
(``None`` for a message sent without one) goes to ``on_clock`` just before the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from impl.core.errors import RemoteProtocolError
from impl.core.events import Event, MessageReceived, PeerConnected, PeerDisconnected
from impl.core.messages import Message
from impl.framing import DEFAULT_MAX_FRAME, NEED_DATA, PEER, FrameDecoder, encode_frames
from impl.wire.codec import VERSION, Hello, decode, decode_stamped, encode

Address = tuple[str, int]
HELLO_TIMEOUT = 5.0
MAX_BUFFERED = 64 << 20
BACKOFF_MIN, BACKOFF_MAX = 0.05, 2.0


@dataclass(eq=False)
class Connection:
    peer: int
    writer: asyncio.StreamWriter
    closed: bool = False
    unsent: list[bytes] = field(default_factory=list)
    """Frames to write at the end of this turn of the event loop."""


class PeerNetwork:
    def __init__(
        self,
        my_id: int,
        listen: Address,
        dial: dict[int, Address],
        servers: tuple[int, ...],
        on_event: Callable[[Event], None],
        log: logging.Logger,
        max_frame: int = DEFAULT_MAX_FRAME,
        on_clock: Callable[[int | None], None] | None = None,
    ) -> None:
        self.my_id = my_id
        self.listen = listen
        self.dial = dial
        self.servers = servers
        self.on_event = on_event
        self.log = log
        self.max_frame = max_frame
        self.on_clock = on_clock
        self.connections: dict[int, Connection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._running = False

    async def start(self) -> None:
        self._running = True
        self._server = await asyncio.start_server(self._accepted, *self.listen)
        for peer in self.servers:
            if peer < self.my_id:
                self._spawn(self._dial_loop(peer))

    async def stop(self) -> None:
        self._running = False
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self.connections.values()):
            self._close(conn)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def send(self, peer: int, message: Message, clock: int | None = None) -> None:
        """Queue ``message`` for ``peer`` (stamped with ``clock`` if given); dropped if there is
        no connection."""
        conn = self.connections.get(peer)
        if conn is None or conn.closed:
            return
        if not conn.unsent:
            asyncio.get_running_loop().call_soon(self._flush, conn)
        conn.unsent.append(encode_frames(encode(message, clock), self.max_frame))

    def _flush(self, conn: Connection) -> None:
        frames, conn.unsent = conn.unsent, []
        if conn.closed:
            return
        conn.writer.write(b"".join(frames))
        if conn.writer.transport.get_write_buffer_size() > MAX_BUFFERED:
            self.log.warning("peer %d: more than %d bytes unsent; closing", conn.peer, MAX_BUFFERED)
            self._drop(conn)

    def disconnect(self, peer: int) -> None:
        """The core ended the session: close without telling it again."""
        conn = self.connections.pop(peer, None)
        if conn is not None:
            self._close(conn)

    # --- connections -----------------------------------------------------------------------------

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            await self._serve(reader, writer, expected=None)
        except asyncio.CancelledError:
            # stop() cancelled this handler: end quietly, since asyncio's start_server logs a
            # handler task that ends cancelled as an error with its traceback
            if self._running:
                raise

    async def _dial_loop(self, peer: int) -> None:
        backoff = BACKOFF_MIN
        while self._running:
            try:
                reader, writer = await asyncio.open_connection(*self.dial[peer])
            except OSError:
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, BACKOFF_MAX)
                continue
            started = asyncio.get_running_loop().time()
            await self._serve(reader, writer, expected=peer)
            if asyncio.get_running_loop().time() - started > 1.0:
                backoff = BACKOFF_MIN
            await asyncio.sleep(backoff)
            backoff = min(2 * backoff, BACKOFF_MAX)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, expected: int | None
    ) -> None:
        decoder = FrameDecoder(PEER, self.max_frame)
        conn: Connection | None = None
        where = f"peer {expected}" if expected else f"connection from {_peername(writer)}"
        try:
            writer.write(encode_frames(encode(Hello(VERSION, self.my_id)), self.max_frame))
            hello = await asyncio.wait_for(self._read_hello(reader, decoder), HELLO_TIMEOUT)
            self._check_hello(hello, expected)
            where = f"peer {hello.server_id}"
            conn = self._register(hello.server_id, writer)
            while not conn.closed:
                data = await reader.read(1 << 16)
                if not data:
                    break
                decoder.receive_data(data)
                while not conn.closed:
                    body = decoder.next_frame()
                    if body is NEED_DATA:
                        break
                    assert isinstance(body, bytes)
                    message, clock = decode_stamped(body)
                    if isinstance(message, Hello):
                        raise RemoteProtocolError("a second Hello")
                    if self.on_clock is not None:
                        self.on_clock(clock)
                    self.on_event(MessageReceived(conn.peer, message))
        except RemoteProtocolError as exc:
            self.log.error("%s: malformed data (%s); closing the connection", where, exc)
        except TimeoutError:
            self.log.error(
                "%s: no Hello within %.0fs; closing the connection", where, HELLO_TIMEOUT
            )
        except (OSError, asyncio.IncompleteReadError, EOFError):
            pass
        finally:
            if conn is not None:
                self._drop(conn)
            else:
                writer.close()

    async def _read_hello(self, reader: asyncio.StreamReader, decoder: FrameDecoder) -> Hello:
        while True:
            body = decoder.next_frame()
            if body is not NEED_DATA:
                assert isinstance(body, bytes)
                message = decode(body)
                if not isinstance(message, Hello):
                    raise RemoteProtocolError(f"expected Hello, got {type(message).__name__}")
                return message
            data = await reader.read(1 << 16)
            if not data:
                raise EOFError
            decoder.receive_data(data)

    def _check_hello(self, hello: Hello, expected: int | None) -> None:
        if hello.version != VERSION:
            raise RemoteProtocolError(f"codec version {hello.version}, we speak {VERSION}")
        sid = hello.server_id
        if expected is not None and sid != expected:
            raise RemoteProtocolError(f"server {sid} answered, expected {expected}")
        if expected is None and (sid not in self.servers or sid <= self.my_id):
            raise RemoteProtocolError(f"server {sid} may not dial server {self.my_id}")

    def _register(self, peer: int, writer: asyncio.StreamWriter) -> Connection:
        old = self.connections.get(peer)
        if old is not None:
            self._drop(old)
        conn = Connection(peer, writer)
        self.connections[peer] = conn
        self.on_event(PeerConnected(peer))
        return conn

    def _drop(self, conn: Connection) -> None:
        """The connection ended on its own (or was refused): tell the core."""
        if conn.closed:
            return
        self._close(conn)
        if self.connections.get(conn.peer) is conn:
            del self.connections[conn.peer]
            self.on_event(PeerDisconnected(conn.peer))

    @staticmethod
    def _close(conn: Connection) -> None:
        conn.closed = True
        conn.writer.close()


def _peername(writer: asyncio.StreamWriter) -> str:
    name = writer.get_extra_info("peername")
    return f"{name[0]}:{name[1]}" if name else "?"
