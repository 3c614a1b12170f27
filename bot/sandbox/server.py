"""The sandbox over real HTTP/1.1 on loopback: asyncio streams plus ``h11``, no thread per request.

``h11`` (already installed with httpx) parses the wire format; every request becomes an
``httpx.Request`` for the same :meth:`Sandbox.handle` the in-process transport uses. The raw
request target travels in ``extensions["target"]`` so no URL normalisation happens before routing.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import h11
import httpx

from bot.sandbox.emulator import ConnectionDropped, Sandbox

_READ_SIZE = 65_536
#: Room for hundreds of clients connecting at the same instant (benchmarks, load tests).
_BACKLOG = 1024


class SandboxServer:
    """A running loopback front end for one :class:`Sandbox`; create it with :func:`serve`."""

    def __init__(self, sandbox: Sandbox, host: str) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, port: int) -> None:
        self._server = await asyncio.start_server(
            self._on_connection, self.host, port, backlog=_BACKLOG
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listening socket and every open keep-alive connection."""
        if self._server is None:
            return
        self._server.close()
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Own each connection's task so stop() can cancel it.

        Returning a coroutine instead would let asyncio create the task, and Python 3.11 then
        reports a cancelled connection as an "unhandled exception".
        """
        task = asyncio.create_task(self._serve_connection(reader, writer))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            await _Connection(self.sandbox, self.url, reader, writer).serve()
        except (h11.ProtocolError, OSError):
            pass  # a malformed request or a vanished client: closing the socket is the answer
        finally:
            writer.close()


class _Connection:
    """One client socket: requests are answered in order until either side closes."""

    def __init__(
        self,
        sandbox: Sandbox,
        base_url: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._sandbox = sandbox
        self._base_url = httpx.URL(base_url)
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(h11.SERVER)

    async def serve(self) -> None:
        while (request := await self._read_request()) is not None:
            try:
                response = await self._sandbox.handle(request)
            except ConnectionDropped:
                return
            await self._write_response(request, response)
            if self._h11.our_state is not h11.DONE or self._h11.their_state is not h11.DONE:
                return  # the client asked to close, or did not finish its request
            self._h11.start_next_cycle()

    async def _read_request(self) -> httpx.Request | None:
        head: h11.Request | None = None
        body = bytearray()
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                self._h11.receive_data(await self._reader.read(_READ_SIZE))
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage) and head is not None:
                return self._to_httpx(head, bytes(body))
            elif isinstance(event, h11.ConnectionClosed):
                return None

    def _to_httpx(self, head: h11.Request, body: bytes) -> httpx.Request:
        try:
            url = self._base_url.copy_with(raw_path=head.target)
        except httpx.InvalidURL:
            url = self._base_url  # routing reads the raw target below, never this URL
        return httpx.Request(
            head.method.decode("ascii"),
            url,
            headers=list(head.headers),
            content=body,
            extensions={"target": head.target},
        )

    async def _write_response(self, request: httpx.Request, response: httpx.Response) -> None:
        """Send the response; h11 frames it (Content-Length from httpx, no body for HEAD)."""
        content = b"" if request.method == "HEAD" else response.content
        head = h11.Response(status_code=response.status_code, headers=response.headers.raw)
        self._writer.write(
            self._h11.send(head)
            + self._h11.send(h11.Data(data=content))
            + self._h11.send(h11.EndOfMessage())
        )
        await self._writer.drain()


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
