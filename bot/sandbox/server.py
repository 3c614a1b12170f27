"""The sandbox over real HTTP/1.1 on loopback, on aiohttp.web's low-level server.

Why the low-level server (``web.Server``, one handler for every request) rather than an
application with routes: the sandbox routes on the raw request target itself (see
:meth:`Sandbox.respond`), so no URL normalisation happens before the customer ID is split off.
Every request goes to the same :meth:`Sandbox.respond` the in-process transport reaches through
:meth:`Sandbox.handle`. An injected "status 0" (:class:`ConnectionDropped`) closes the socket
unanswered. There is no access log: a fake's paths can hold a secret (the tests' fake Bot API,
which runs on :class:`LoopbackServer` too, has the bot token in every path).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Final

from aiohttp import web

from bot.gameball.limits import DOCUMENTED
from bot.sandbox.emulator import ConnectionDropped, Sandbox
from bot.sandbox.wire import HttpRequest, HttpResponse, Responder
from bot.serving import listen

#: How long :meth:`LoopbackServer.stop` lets requests in flight finish before cancelling them
#: (a sandbox answer held back by its latency, a long poll nobody released).
STOP_GRACE_SECONDS: Final = 0.5


class LoopbackServer:
    """A :data:`Responder` served over HTTP/1.1: the sandbox's server and the tests' fake Bot API.

    ``cancel_on_hang_up``: a client that hangs up has its request cancelled (a long poll ends
    as on Telegram); otherwise the answer is computed and dropped.
    """

    def __init__(
        self, respond: Responder, host: str = "127.0.0.1", *, cancel_on_hang_up: bool = False
    ) -> None:
        self.host = host
        self.port = 0
        self._respond = respond
        self._cancel_on_hang_up = cancel_on_hang_up
        self._runner: web.ServerRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, port: int) -> None:
        """Listen on ``port``; 0 picks a free one (see ``.port``)."""
        server = web.Server(
            self._answer, handler_cancellation=self._cancel_on_hang_up, access_log=None
        )
        runner = web.ServerRunner(server, shutdown_timeout=STOP_GRACE_SECONDS)
        self.port = await listen(runner, self.host, port)
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening and close every connection, cancelling requests still running."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        # aiohttp decodes the request target with surrogateescape: this is the bytes as sent.
        target = request.raw_path.encode("utf-8", "surrogateescape")
        received = HttpRequest(request.method, target, request.headers, await request.read())
        response = await self._respond(received)
        if response is None:
            return _hang_up(request)
        return web.Response(
            status=response.status, body=response.body, content_type=response.content_type
        )


def _hang_up(request: web.BaseRequest) -> web.StreamResponse:
    """Close the socket unanswered; aiohttp finds it closed and writes nothing of the response."""
    if request.transport is not None:
        request.transport.close()
    return web.Response()


class SandboxServer(LoopbackServer):
    """A running loopback front end for one :class:`Sandbox`; create it with :func:`serve`."""

    def __init__(self, sandbox: Sandbox, host: str) -> None:
        super().__init__(self._respond_or_drop, host)
        self.sandbox = sandbox

    async def _respond_or_drop(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return await self.sandbox.respond(request)
        except ConnectionDropped:
            return None  # close the connection without an answer


async def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8090) -> SandboxServer:
    """Start serving ``sandbox`` over HTTP; port 0 picks a free port (see ``.port``/``.url``)."""
    server = SandboxServer(sandbox, host)
    await server.start(port)
    return server


def run_forever(
    host: str, port: int, *, welcome_bonus: int = 100, rate_limits: bool = True
) -> None:
    """Serve a fresh sandbox until Ctrl-C or SIGTERM (``checkout-bot sandbox``).

    ``rate_limits``: answer 429 beyond Gameball's documented limits, as a real account would.
    """
    sandbox = Sandbox(welcome_bonus=welcome_bonus, rate_limits=DOCUMENTED if rate_limits else None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_signalled(sandbox, host, port))


async def _serve_until_signalled(sandbox: Sandbox, host: str, port: int) -> None:
    server = await serve(sandbox, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still interrupts
            loop.add_signal_handler(signum, stop.set)
    _print_banner(server)
    try:
        await stop.wait()
    finally:
        await server.stop()


def _print_banner(server: SandboxServer) -> None:
    """The well-known sandbox keys are printed on purpose: they guard nothing real."""
    print(f"Gameball sandbox on {server.url} — APIKey/SecretKey: sandbox/sandbox", flush=True)
    limits = "Gameball's documented" if server.sandbox.enforces_rate_limits else "no"
    print(f"  {limits} rate limits", flush=True)
    for demo in server.sandbox.demo_customers:
        print(f"  {demo.customer_id:<15} {demo.name} — {demo.note}", flush=True)
