"""A lean HTTP/1.1 transport for httpx: keep-alive connections driven by asyncio protocols.

Why it exists: in a till rush the bot is CPU-bound on one event loop, and the stock transport
(httpcore over anyio) spent about a millisecond of CPU per request on cancel scopes, stream
wrappers and a scan of the whole pool, with a socket check for each idle connection, whenever a
request started or ended. A cashier's card needs four HTTP requests (three to Gameball, one to
Telegram), so that layer alone was most of the bot's CPU. This transport keeps everything above
it (``httpx.AsyncClient``, timeouts, the httpx exceptions PTB and the Gameball client map, and
``httpx.MockTransport`` in tests) and replaces only the connection layer:

- h11 speaks the protocol (framing, chunked bodies, keep-alive rules), as it does in httpcore;
- each connection is an :class:`asyncio.Protocol`, so the event loop tells it the moment its
  server closes it: idle connections need no checking before reuse and nothing is ever scanned;
- each origin keeps a LIFO stack of idle connections, so light traffic reuses one warm
  connection and a rush opens as many as it needs, up to ``max_connections`` per origin.

Bodies are read whole before the response is returned; both APIs the bot talks to answer small
JSON documents. Requests are buffered by the event loop: the read timeout covers the wait for
the whole answer, which for Telegram's long polling is exactly what PTB asks for.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from typing import Any

import h11
import httpx

logger = logging.getLogger("bot.transport")

Origin = tuple[str, str, int]  # scheme, host, port
Timeouts = dict[str, float | None]

DEFAULT_PORTS = {"http": 80, "https": 443}
#: How long an idle connection is kept for reuse. A cashier asks every minute or so, and a new
#: connection costs a TLS handshake (extra round trips) on top of the answer, so this is well
#: above httpx's 5 s; it stays under the 60 s idle timeout common to load balancers. A server
#: closing one earlier is noticed by the event loop and the connection is simply not reused.
KEEPALIVE_EXPIRY = 55.0


class Http11Transport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with keep-alive for any number of origins; see the module's docstring.

    It can be closed and used again: PTB reinitialises its request objects after a shutdown.
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._pools: dict[Origin, _Pool] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: Timeouts = request.extensions.get("timeout", {})
        body = await request.aread()
        head, content = await self._exchange(self._pool_for(request.url), request, body, timeouts)
        if logger.isEnabledFor(logging.DEBUG):  # the URL may hold a token: the log filter masks it
            logger.debug("HTTP %s %s %d", request.method, request.url, head.status_code)
        return httpx.Response(
            head.status_code,
            headers=head.headers.raw_items(),
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
        )

    async def _exchange(
        self, pool: _Pool, request: httpx.Request, body: bytes, timeouts: Timeouts
    ) -> tuple[h11.Response, bytes]:
        """One exchange; sent again when a kept-alive connection turns out to be closed.

        A server may close an idle connection just as a request leaves on it: the request was
        never read, so sending it again on another connection is safe even for a POST. Each
        retry uses up one such connection; a new connection that fails this way is an error.
        """
        while True:
            connection = await pool.acquire(timeouts.get("pool"), timeouts.get("connect"))
            try:
                return await connection.exchange(request, body, timeouts.get("read"))
            except _ClosedBeforeAnswer:
                if not connection.was_reused:
                    raise
            finally:
                pool.release(connection)

    async def aclose(self) -> None:
        """Close every idle connection; requests still in flight close theirs when done."""
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()

    def _pool_for(self, url: httpx.URL) -> _Pool:
        scheme = url.scheme
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        origin = (scheme, url.raw_host.decode("ascii"), url.port or DEFAULT_PORTS[scheme])
        pool = self._pools.get(origin)
        if pool is None:
            context = self._tls_context() if scheme == "https" else None
            pool = _Pool(origin, context, self._max_connections, self._keepalive_expiry)
            self._pools[origin] = pool
        return pool

    def _tls_context(self) -> ssl.SSLContext:
        """One context for all connections: each one loads the whole CA bundle."""
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
            self._ssl_context.set_alpn_protocols(["http/1.1"])
        return self._ssl_context


class _Pool:
    """The connections to one origin: idle ones on a stack, and a queue of requests waiting."""

    def __init__(
        self,
        origin: Origin,
        tls: ssl.SSLContext | None,
        max_connections: int,
        keepalive_expiry: float,
    ) -> None:
        self._origin = origin
        self._tls = tls
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._idle: list[_Connection] = []
        self._open = 0  # connections open or opening, idle or busy
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def acquire(
        self, pool_timeout: float | None, connect_timeout: float | None
    ) -> _Connection:
        """An idle connection, a new one, or (at the limit) the next one released."""
        loop = asyncio.get_running_loop()
        give_up_at = None if pool_timeout is None else loop.time() + pool_timeout
        while True:
            connection = self._pop_idle(loop.time())
            if connection is not None:
                return connection
            if self._open < self._max_connections:
                return await self._connect(connect_timeout)
            await self._wait_for_release(loop, give_up_at)

    def release(self, connection: _Connection) -> None:
        """Back to the stack if the exchange left it reusable; closed otherwise."""
        if connection.reusable and not self._closed:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            self._discard(connection)
        self._wake_one()

    def close(self) -> None:
        """Close the idle connections now, and each busy one when its request is done."""
        self._closed = True
        while self._idle:
            self._discard(self._idle.pop())

    def _pop_idle(self, now: float) -> _Connection | None:
        """The most recently used live connection; dead or expired ones on the way are closed."""
        oldest_allowed = now - self._keepalive_expiry
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable and connection.idle_since >= oldest_allowed:
                return connection
            self._discard(connection)
        return None

    async def _connect(self, connect_timeout: float | None) -> _Connection:
        _, host, port = self._origin
        loop = asyncio.get_running_loop()
        self._open += 1
        try:
            async with asyncio.timeout(connect_timeout):
                _, connection = await loop.create_connection(
                    _Connection,
                    host,
                    port,
                    ssl=self._tls,
                    server_hostname=host if self._tls else None,
                )
        except TimeoutError:
            self._connect_failed()
            raise httpx.ConnectTimeout("timed out while connecting") from None
        except OSError as error:  # refused, unreachable, name resolution, TLS
            self._connect_failed()
            raise httpx.ConnectError(str(error) or type(error).__name__) from None
        except BaseException:
            self._connect_failed()
            raise
        return connection

    def _connect_failed(self) -> None:
        self._open -= 1
        self._wake_one()

    def _discard(self, connection: _Connection) -> None:
        connection.close()
        self._open -= 1

    async def _wait_for_release(
        self, loop: asyncio.AbstractEventLoop, give_up_at: float | None
    ) -> None:
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(give_up_at):
                await waiter
        except TimeoutError:
            raise httpx.PoolTimeout("no connection became free in time") from None
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._wake_one()  # woken, then cancelled: pass the free connection on
            raise

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


MID_ANSWER = "server disconnected mid-answer"


class _ClosedBeforeAnswer(httpx.RemoteProtocolError):
    """The server closed the connection before a single byte of the answer."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, its answer collected by callbacks."""

    def __init__(self) -> None:
        self._h11 = h11.Connection(h11.CLIENT)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._head: h11.Response | None = None
        self._body: list[bytes] = []
        self._lost = False
        self._answered = False  # a byte of the current answer has arrived
        self._exchanges = 0
        self.idle_since = 0.0

    @property
    def reusable(self) -> bool:
        return not self._lost and self._h11.our_state is h11.IDLE

    @property
    def was_reused(self) -> bool:
        """The current exchange is not this connection's first."""
        return self._exchanges > 1

    async def exchange(
        self, request: httpx.Request, body: bytes, read_timeout: float | None
    ) -> tuple[h11.Response, bytes]:
        """Send one request and collect its whole answer; the connection stays open if it can."""
        assert self._transport is not None, "connection_made runs before the connection is used"
        data = self._send(
            h11.Request(
                method=request.method, target=request.url.raw_path, headers=request.headers.raw
            )
        )
        if body:
            data += self._send(h11.Data(data=body))
        data += self._send(h11.EndOfMessage())
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        self._head, self._body, self._answered = None, [], False
        self._exchanges += 1
        self._transport.write(data)
        timer = None if read_timeout is None else loop.call_later(read_timeout, self._time_out)
        try:
            await waiter  # on failure the exchange is unfinished: release() closes the connection
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        assert self._head is not None, "the waiter only succeeds after a response head"
        self._next_cycle()
        return self._head, b"".join(self._body)

    def close(self) -> None:
        self._lost = True
        if self._transport is not None:
            self._transport.close()

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self.close()  # a server does not speak unasked; whatever this is, start afresh
            return
        self._answered = True
        self._h11.receive_data(data)
        self._read_events()

    def eof_received(self) -> bool:
        self._lost = True
        if self._waiter is not None and self._answered:
            self._h11.receive_data(b"")
            self._read_events()
        return False  # and connection_lost() follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if not self._answered:
            self._fail(_ClosedBeforeAnswer("server closed the connection before answering"))
        elif exc is not None:
            self._fail(httpx.ReadError(f"connection lost ({exc})"))
        else:
            self._fail(httpx.RemoteProtocolError(MID_ANSWER))

    # -- internals ----------------------------------------------------------------------------

    def _send(self, event: Any) -> bytes:
        try:
            return self._h11.send(event) or b""
        except h11.LocalProtocolError as error:
            raise httpx.LocalProtocolError(str(error)) from None

    def _read_events(self) -> None:
        """Turn whatever h11 can parse into the response head and body; finish on its end."""
        while self._waiter is not None and not self._waiter.done():
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as error:
                self._fail(httpx.RemoteProtocolError(str(error)))
                self.close()
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Response):
                self._head = event
            elif isinstance(event, h11.Data):
                self._body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                self._waiter.set_result(None)
            elif isinstance(event, h11.ConnectionClosed):
                self._fail(httpx.RemoteProtocolError(MID_ANSWER))
            # h11.InformationalResponse (100 Continue and the like) carries nothing for us.

    def _next_cycle(self) -> None:
        """Ready the connection for the next request, or close it if it cannot be trusted.

        Bytes already received past the answer's end were not asked for: reading them as the
        next answer would hand one cashier another's card, so such a connection is closed.
        """
        h11_connection = self._h11
        finished = h11_connection.our_state is h11.DONE and h11_connection.their_state is h11.DONE
        extra, _ = h11_connection.trailing_data
        if finished and not extra:
            h11_connection.start_next_cycle()
        else:
            self.close()  # the server asked to close, the answer was cut short, or extra bytes

    def _time_out(self) -> None:
        self._fail(httpx.ReadTimeout("timed out waiting for the answer"))

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
