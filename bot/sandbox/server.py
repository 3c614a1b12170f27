"""The sandbox over real HTTP/1.1 on loopback, on the lean server in :mod:`bot.sandbox.http1`.

Every request goes to the same :meth:`Sandbox.respond` the in-process transport reaches through
:meth:`Sandbox.handle`, with its raw request target, so no URL normalisation happens before
routing. An injected "status 0" (:class:`ConnectionDropped`) closes the socket unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from bot.sandbox.emulator import ConnectionDropped, Sandbox
from bot.sandbox.http1 import HttpRequest, HttpResponse, HttpServer


class SandboxServer(HttpServer):
    """A running loopback front end for one :class:`Sandbox`; create it with :func:`serve`."""

    def __init__(self, sandbox: Sandbox, host: str) -> None:
        super().__init__(self._respond, host)
        self.sandbox = sandbox

    async def _respond(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return await self.sandbox.respond(request)
        except ConnectionDropped:
            return None  # close the connection without an answer


async def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8090) -> SandboxServer:
    """Start serving ``sandbox`` over HTTP; port 0 picks a free port (see ``.port``/``.url``)."""
    server = SandboxServer(sandbox, host)
    await server.start(port)
    return server


def run_forever(host: str, port: int, *, welcome_bonus: int = 100) -> None:
    """Serve a fresh sandbox until Ctrl-C or SIGTERM (``checkout-bot sandbox``)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_signalled(host, port, welcome_bonus))


async def _serve_until_signalled(host: str, port: int, welcome_bonus: int) -> None:
    server = await serve(Sandbox(welcome_bonus=welcome_bonus), host, port)
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
    for demo in server.sandbox.demo_customers:
        print(f"  {demo.customer_id:<15} {demo.name} — {demo.note}", flush=True)
