"""A lean HTTP/1.1 server for loopback fakes: one ``asyncio.Protocol`` per connection, httptools.

Both fakes a benchmark or an end-to-end test talks to (the Gameball sandbox and the tests' fake
Telegram Bot API) run on it. On a two-core machine they compete with the bot for CPU, and
their queueing is part of every wait the benchmark measures, so the plumbing is kept thin:
httptools (llhttp, in C) parses, and responses are written by hand. What they ran on before
(asyncio streams with h11 for the sandbox, tornado for the fake) spent more CPU per request than
the fakes' own work.

What it does: keep-alive (unless the client sent ``Connection: close`` or spoke HTTP/1.0 without
keep-alive); pipelined requests answered in order, one at a time; no body for HEAD; the raw
request target handed over as sent, so nothing normalises a path before routing. What it does
not: TLS, chunked responses, ``Expect: 100-continue``, protocol switches (a request to upgrade
is answered as HTTP/1.1 and the connection closed after it). No access log: a fake's paths can
hold a secret (the Bot API token).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final, cast

import httptools

log = logging.getLogger(__name__)

#: Room for hundreds of clients connecting at the same instant (benchmarks, load tests).
_BACKLOG: Final = 1024
_REASONS: Final = {status.value: status.phrase.encode() for status in HTTPStatus}
#: The ``Connection`` header line a response carries: HTTP/1.1 keeps alive without saying so,
#: HTTP/1.0 must be told, and a closing connection is announced.
_CLOSE: Final = b"connection: close\r\n"
_KEEP_ALIVE: Final = b"connection: keep-alive\r\n"
_IMPLIED: Final = b""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as received: ``target`` is the raw request target, query included."""

    method: str
    target: bytes
    headers: Mapping[str, str]  # names in lower case; repeated headers joined with ", "
    body: bytes


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"


#: Answers a request; None closes the connection without an answer (a fake's dropped connection).
Handler = Callable[[HttpRequest], Awaitable[HttpResponse | None]]

_INTERNAL_ERROR: Final = HttpResponse(500, b"Internal Server Error", "text/plain")


class HttpServer:
    """A listening socket whose connections hand every request to ``handler``."""

    def __init__(self, handler: Handler, host: str) -> None:
        self.host = host
        self.port = 0
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, port: int) -> None:
        """Listen on ``port``; 0 picks a free one (see ``.port``)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self._handler, self._connections), self.host, port, backlog=_BACKLOG
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listening socket and every open connection, cancelling requests in flight."""
        if self._server is None:
            return
        self._server.close()
        in_flight = [connection.close() for connection in list(self._connections)]
        await asyncio.gather(*(task for task in in_flight if task), return_exceptions=True)
        await self._server.wait_closed()
        self._server = None


class _Connection(asyncio.Protocol):
    """One client socket. httptools calls the ``on_*`` methods as it parses; complete requests
    wait in line and are answered one at a time, each in a task of its own (so that a client
    that hangs up, or :meth:`HttpServer.stop`, can cancel it).
    """

    def __init__(self, handler: Handler, connections: set[_Connection]) -> None:
        self._handler = handler
        self._connections = connections
        self._parser = httptools.HttpRequestParser(self)
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._waiting: deque[tuple[HttpRequest, bytes]] = deque()
        self._answering: asyncio.Task[None] | None = None
        self._reading = True  # False once a request has asked to close the connection
        self._drained: asyncio.Future[None] | None = None  # set while the client reads slowly
        self._target = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    # -- the socket -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        """A client that hung up gets no answer: its request stops here (long polls end)."""
        self._connections.discard(self)
        if self._answering is not None:
            self._answering.cancel()

    def data_received(self, data: bytes) -> None:
        if not self._reading:
            return  # the last request closes the connection; nothing after it is read
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            if self._reading:
                self.close()  # a malformed request: closing the connection is the answer
                return
            # llhttp refuses bytes after a request that closes the connection (or asks to
            # upgrade it); they are not read, and that request is still answered
        self._answer_next()

    def pause_writing(self) -> None:
        self._drained = self._loop.create_future()

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def close(self) -> asyncio.Task[None] | None:
        """Close the socket; returns the request task it cancelled, if one was running."""
        if self._transport is not None:
            self._transport.close()
        if self._answering is not None:
            self._answering.cancel()
        return self._answering

    # -- parsing (called by httptools) ------------------------------------------------------

    def on_message_begin(self) -> None:
        self._target, self._headers, self._body = b"", {}, []

    def on_url(self, url: bytes) -> None:
        self._target += url  # the target may arrive in pieces

    def on_header(self, name: bytes, value: bytes) -> None:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        earlier = self._headers.get(key)
        self._headers[key] = text if earlier is None else f"{earlier}, {text}"

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        method = self._parser.get_method().decode("ascii")
        request = HttpRequest(method, self._target, self._headers, b"".join(self._body))
        connection = self._connection_header()
        self._waiting.append((request, connection))
        self._reading = connection != _CLOSE

    def _connection_header(self) -> bytes:
        if not self._parser.should_keep_alive() or self._parser.should_upgrade():
            return _CLOSE
        return _KEEP_ALIVE if self._parser.get_http_version() == "1.0" else _IMPLIED

    # -- answering --------------------------------------------------------------------------

    def _answer_next(self) -> None:
        transport = self._transport
        if self._answering is None and self._waiting and transport and not transport.is_closing():
            self._answering = self._loop.create_task(self._answer(*self._waiting.popleft()))
            self._answering.add_done_callback(self._answered)

    def _answered(self, _: asyncio.Task[None]) -> None:
        self._answering = None
        self._answer_next()

    async def _answer(self, request: HttpRequest, connection: bytes) -> None:
        assert self._transport is not None  # requests only arrive on a connected socket
        response = await self._respond(request)
        if response is None:
            self._transport.close()
            return
        self._transport.write(_serialised(response, connection, head_only=request.method == "HEAD"))
        if connection == _CLOSE:
            self._transport.close()
        elif self._drained is not None:
            await self._drained  # a client that does not read gets nothing more for now

    async def _respond(self, request: HttpRequest) -> HttpResponse | None:
        """The handler's answer; a bug in it is logged (without the target) and answered 500."""
        try:
            return await self._handler(request)
        except Exception:
            log.exception("answering a %s request failed", request.method)
            return _INTERNAL_ERROR


def _serialised(response: HttpResponse, connection: bytes, *, head_only: bool) -> bytes:
    """Status line, headers and (except for HEAD) the body, framed by Content-Length."""
    head = b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n%s\r\n" % (
        response.status,
        _REASONS.get(response.status, b""),
        response.content_type.encode("latin-1"),
        len(response.body),
        connection,
    )
    return head if head_only else head + response.body
