"""A lean HTTP/1.1 transport for httpx: keep-alive connections driven by asyncio protocols.

Why it exists: in a till rush the bot is CPU-bound on one event loop, and the stock transport
(httpcore over anyio) spent about a millisecond of CPU per request on cancel scopes, stream
wrappers and a scan of the whole pool, with a socket check for each idle connection, whenever a
request started or ended. A cashier's card needs four HTTP requests (three to Gameball, one to
Telegram), so that layer alone was most of the bot's CPU. This transport keeps everything above
it (``httpx.AsyncClient``, timeouts, the httpx exceptions PTB and the Gameball client map, and
``httpx.MockTransport`` in tests) and replaces only the connection layer:

- httptools (llhttp, Node.js's parser, in C) reads the answers: framing, chunked bodies and
  keep-alive rules; requests are written directly, every header checked first;
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
import re
import ssl
from collections import deque
from typing import cast

import httptools
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
        answer = await self._exchange(self._pool_for(request.url), request, body, timeouts)
        if logger.isEnabledFor(logging.DEBUG):  # the URL may hold a token: the log filter masks it
            logger.debug("HTTP %s %s %d", request.method, request.url, answer.status)
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=httpx.ByteStream(b"".join(answer.body)),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
        )

    async def _exchange(
        self, pool: _Pool, request: httpx.Request, body: bytes, timeouts: Timeouts
    ) -> _Answer:
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
#: A header name is an RFC 9110 token; a value may not break out of its line.
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LINE_BREAKING = re.compile(rb"[\r\n\0]")
_REQUEST_TARGET = re.compile(rb"[\x21-\x7e]+")
#: Framing is the transport's job: these request headers are written from the body itself.
_FRAMING_HEADERS = frozenset({b"content-length", b"transfer-encoding"})
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class _ClosedBeforeAnswer(httpx.RemoteProtocolError):
    """The server closed the connection before a single byte of the answer."""


class _UnaskedAnswer(Exception):
    """A second answer began where only one was asked for."""


def request_head(request: httpx.Request, body: bytes) -> bytes:
    """The request line and headers, framed by ``Content-Length`` for the whole ``body``.

    Everything is checked before it is written: a header value holding a line break would let
    whoever controls it add headers or a second request. Errors name the header, never its
    value (values carry the API keys).
    """
    method, target = request.method.encode("ascii"), request.url.raw_path
    if not _TOKEN.fullmatch(method) or not _REQUEST_TARGET.fullmatch(target):
        raise httpx.LocalProtocolError("malformed request line")
    lines = [b"%s %s HTTP/1.1\r\n" % (method, target)]
    for name, value in request.headers.raw:
        if not _TOKEN.fullmatch(name) or _LINE_BREAKING.search(value):
            raise httpx.LocalProtocolError(f"illegal header {name[:40]!r}")
        if name.lower() not in _FRAMING_HEADERS:
            lines.append(b"%s: %s\r\n" % (name, value))
    if body or request.method in _METHODS_WITH_BODY:
        lines.append(b"Content-Length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    return b"".join(lines)


class _Answer:
    """One response as the parser reports it."""

    def __init__(self) -> None:
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.framed = False  # Content-Length or chunked: the parser sees its end by itself
        self.head_done = False
        self.complete = False


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, its answer collected by callbacks.

    ``httptools`` (llhttp, the parser of Node.js) reads the answers and calls the ``on_*``
    methods below as it goes.
    """

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._answer = _Answer()
        self._no_body = False  # the answer to a HEAD request ends with its head
        self._keep_alive = False  # the last answer lets the connection carry another request
        self._lost = False
        self._answered = False  # a byte of the current answer has arrived
        self._exchanges = 0
        self.idle_since = 0.0

    @property
    def reusable(self) -> bool:
        return not self._lost and self._keep_alive and self._waiter is None

    @property
    def was_reused(self) -> bool:
        """The current exchange is not this connection's first."""
        return self._exchanges > 1

    async def exchange(
        self, request: httpx.Request, body: bytes, read_timeout: float | None
    ) -> _Answer:
        """Send one request and collect its whole answer; the connection stays open if it can."""
        assert self._transport is not None, "connection_made runs before the connection is used"
        data = request_head(request, body) + body
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        self._answer, self._answered, self._keep_alive = _Answer(), False, False
        self._no_body = request.method == "HEAD"
        self._exchanges += 1
        self._transport.write(data)
        timer = None if read_timeout is None else loop.call_later(read_timeout, self._time_out)
        try:
            await waiter  # on failure keep_alive stays False: release() closes the connection
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        return self._answer

    def close(self) -> None:
        self._lost = True
        if self._transport is not None:
            self._transport.close()

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's do not inherit from asyncio.Transport, hence no check.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self.close()  # a server does not speak unasked; whatever this is, start afresh
            return
        self._answered = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("the server switched protocols unasked"))
            self.close()
        except httptools.HttpParserError as error:
            # Bytes past a whole answer were not asked for: reading them as the next answer
            # would hand one cashier another's card. The answer stands; the connection goes.
            if not self._answer.complete:
                self._fail(httpx.RemoteProtocolError(f"malformed answer ({error})"))
            self.close()

    def eof_received(self) -> bool:
        self._lost = True
        answer = self._answer
        if self._answered and answer.head_done and not answer.framed and not answer.complete:
            self._finish(keep_alive=False)  # the body of an unframed answer ends with the stream
        return False  # and connection_lost() follows

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if not self._answered:
            self._fail(_ClosedBeforeAnswer("server closed the connection before answering"))
        elif exc is not None:
            self._fail(httpx.ReadError(f"connection lost ({exc})"))
        else:
            self._fail(httpx.RemoteProtocolError(MID_ANSWER))

    # -- httptools callbacks --------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._answer.complete:
            raise _UnaskedAnswer

    def on_status(self, reason: bytes) -> None:
        self._answer.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._answer.headers.append((name, value))
        if name.lower() in _FRAMING_HEADERS:
            self._answer.framed = True

    def on_headers_complete(self) -> None:
        answer = self._answer
        answer.status = self._parser.get_status_code()
        answer.head_done = True
        if self._no_body and answer.status >= 200:
            # The head says how long a body would be; none follows, which the parser cannot
            # be told, so this connection carries nothing more.
            self._finish(keep_alive=False)

    def on_body(self, body: bytes) -> None:
        if not self._answer.complete:
            self._answer.body.append(body)

    def on_message_complete(self) -> None:
        if self._answer.complete:
            return
        if self._answer.status < 200:
            self._answer = _Answer()  # 100 Continue and the like: the real answer follows
            return
        self._finish(keep_alive=self._parser.should_keep_alive())

    # -- internals ----------------------------------------------------------------------------

    def _finish(self, *, keep_alive: bool) -> None:
        self._answer.complete = True
        self._keep_alive = keep_alive and not self._lost
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _time_out(self) -> None:
        self._fail(httpx.ReadTimeout("timed out waiting for the answer"))

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
