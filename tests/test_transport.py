"""The lean HTTP/1.1 transport against a scriptable HTTP server on loopback.

What a cashier would notice if the transport were wrong: a card that never comes (a hung or
confused connection), someone else's answer (a late reply read by the next request), or a
rush that queues behind too few connections. Each test scripts the server's side of one of
those situations.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
import trustme

from bot import eventloop
from bot.transport import Http11Transport


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    connection: int


def answer(body: bytes = b"{}", status: int = 200, *, close: bool = False) -> bytes:
    extra = b"Connection: close\r\n" if close else b""
    return (
        b"HTTP/1.1 %d Whatever\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s"
        % (status, extra, len(body), body)
    )


Script = Callable[[Received], Awaitable[bytes | None]]


async def echo(request: Received) -> bytes:
    """Answers with the request's target and body, so each answer names its request."""
    return answer(f"{request.method} {request.target} ".encode() + request.body)


class LoopbackServer:
    """Reads HTTP/1.1 requests and answers what ``script`` returns; ``None`` hangs up instead."""

    def __init__(self, script: Script = echo) -> None:
        self.script = script
        self.connections = 0
        self.open_connections = 0
        self.received: list[Received] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.url = ""
        self.afterwards = b""  # written a moment after each answer, unasked
        self._writers: list[asyncio.StreamWriter] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_connections += 1
        number = self.connections
        self._writers.append(writer)
        try:
            while True:
                request = await self._read(reader, number)
                self.received.append(request)
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                try:
                    reply = await self.script(request)
                finally:
                    self.in_flight -= 1
                if reply is None:
                    return
                writer.write(reply)
                await writer.drain()
                if self.afterwards:
                    await asyncio.sleep(0.02)
                    writer.write(self.afterwards)
                if b"Connection: close" in reply:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            self.open_connections -= 1
            writer.close()

    async def close_idle_connections(self) -> None:
        """What a server does to keep-alive connections that stayed idle too long."""
        for writer in self._writers:
            writer.close()
        await asyncio.sleep(0.05)  # let the FIN reach the client's event loop

    @staticmethod
    async def _read(reader: asyncio.StreamReader, number: int) -> Received:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.strip().split("\r\n")
        method, target, _ = request_line.split(" ")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Received(method, target, headers, body, number)


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    fake = LoopbackServer()
    listener = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    fake.url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    async with listener:
        yield fake
        listener.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=Http11Transport(max_connections=4)) as http:
        yield http


async def test_requests_one_after_another_share_one_connection(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    answers = [(await client.get(f"{server.url}/customers/{n}")).text for n in range(5)]

    assert answers == [f"GET /customers/{n} " for n in range(5)]
    assert server.connections == 1


async def test_a_post_body_and_headers_arrive_intact(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        f"{server.url}/api/v4.0/integrations/customers?x=1",
        json={"customerId": "عميل-1"},
        headers={"APIKey": "k"},
    )

    assert response.status_code == 200
    assert response.text == 'POST /api/v4.0/integrations/customers?x=1 {"customerId":"عميل-1"}'
    assert server.received[0].headers["apikey"] == "k"
    assert server.received[0].headers["host"] == server.url.removeprefix("http://")


async def test_a_connection_the_server_closed_while_idle_is_not_reused(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    await client.get(f"{server.url}/first")
    await server.close_idle_connections()

    response = await client.get(f"{server.url}/second")

    assert response.text == "GET /second "
    assert server.connections == 2


async def test_connection_close_in_an_answer_is_honoured(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    async def closing(request: Received) -> bytes:
        return answer(request.target.encode(), close=True)

    server.script = closing
    answers = [(await client.get(f"{server.url}/{n}")).text for n in range(3)]

    assert answers == ["/0", "/1", "/2"]
    assert server.connections == 3


async def test_a_request_meeting_a_connection_closed_as_it_left_goes_again_on_a_new_one(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    async def close_when_reused(request: Received) -> bytes | None:
        served_before = sum(seen.connection == request.connection for seen in server.received)
        return None if served_before > 1 else await echo(request)

    server.script = close_when_reused
    first = await client.post(f"{server.url}/first", content=b"one")
    second = await client.post(f"{server.url}/second", content=b"two")

    assert (first.text, second.text) == ("POST /first one", "POST /second two")
    assert [(seen.target, seen.connection) for seen in server.received] == [
        ("/first", 1),
        ("/second", 1),  # the server hung up on it, unanswered
        ("/second", 2),
    ]


async def test_an_answer_cut_short_on_a_reused_connection_is_not_sent_again(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    async def cut_when_reused(request: Received) -> bytes:
        if len(server.received) > 1:
            return b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"
        return await echo(request)

    server.script = cut_when_reused
    await client.post(f"{server.url}/first")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(f"{server.url}/second")

    assert len(server.received) == 2  # the server may have acted on it: no second try


@pytest.mark.parametrize("later", [False, True], ids=["same-packet", "while-idle"])
async def test_bytes_after_an_answer_never_become_the_next_answer(
    server: LoopbackServer, client: httpx.AsyncClient, later: bool
) -> None:
    stale = answer(b"stale")

    async def answer_twice(request: Received) -> bytes:
        return await echo(request) + (b"" if later else stale)

    server.script = answer_twice
    server.afterwards = stale if later else b""
    first = await client.get(f"{server.url}/first")
    await asyncio.sleep(0.1)  # the extra bytes reach the idle connection
    second = await client.get(f"{server.url}/second")

    assert (first.text, second.text) == ("GET /first ", "GET /second ")
    assert server.connections == 2


@pytest.mark.parametrize(
    ("reply", "connections"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n',
            1,
        ),
        (b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"a": 1}', 2),
    ],
    ids=["chunked", "until-close"],
)
async def test_an_answer_framed_without_a_length_is_read_whole(
    server: LoopbackServer, client: httpx.AsyncClient, reply: bytes, connections: int
) -> None:
    async def framed(_: Received) -> bytes:
        return reply

    server.script = framed
    first = await client.get(f"{server.url}/x")
    second = await client.get(f"{server.url}/y")

    assert first.json() == {"a": 1} == second.json()
    assert server.connections == connections  # a chunked answer leaves the connection reusable


async def test_an_interim_answer_is_skipped_for_the_real_one(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    async def continue_first(request: Received) -> bytes:
        return b"HTTP/1.1 100 Continue\r\n\r\n" + await echo(request)

    server.script = continue_first
    response = await client.post(f"{server.url}/x", content=b"body")

    assert (response.status_code, response.text) == (200, "POST /x body")


async def test_the_answer_to_a_head_request_ends_with_its_head(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    async def head_only(_: Received) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"

    server.script = head_only
    response = await client.head(f"{server.url}/x")

    assert (response.status_code, response.headers["content-length"]) == (200, "42")
    assert response.content == b""


async def test_a_header_that_would_break_its_line_is_refused_before_anything_is_sent(
    server: LoopbackServer, client: httpx.AsyncClient
) -> None:
    with pytest.raises(httpx.LocalProtocolError) as refused:
        await client.get(f"{server.url}/x", headers={"APIKey": "secret\r\nInjected: yes"})

    assert "secret" not in str(refused.value)
    assert server.received == []


async def test_a_rush_uses_every_connection_allowed_and_no_more(server: LoopbackServer) -> None:
    async def slow(request: Received) -> bytes:
        await asyncio.sleep(0.05)
        return await echo(request)

    server.script = slow
    async with httpx.AsyncClient(transport=Http11Transport(max_connections=3)) as client:
        answers = await asyncio.gather(*(client.get(f"{server.url}/{n}") for n in range(12)))

    assert [response.text for response in answers] == [f"GET /{n} " for n in range(12)]
    assert server.peak_in_flight == 3
    assert server.connections == 3


async def test_when_every_connection_stays_busy_a_request_gives_up_after_the_pool_timeout(
    server: LoopbackServer,
) -> None:
    release = asyncio.Event()

    async def stuck(request: Received) -> bytes:
        await release.wait()
        return await echo(request)

    server.script = stuck
    async with httpx.AsyncClient(
        transport=Http11Transport(max_connections=1), timeout=httpx.Timeout(5.0, pool=0.05)
    ) as client:
        busy = asyncio.create_task(client.get(f"{server.url}/busy"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await client.get(f"{server.url}/waiting")
        release.set()
        assert (await busy).text == "GET /busy "
        # The connection the timed-out request waited for is still there for the next one.
        assert (await client.get(f"{server.url}/after")).text == "GET /after "
    assert server.connections == 1


async def test_a_slow_answer_times_out_and_never_reaches_the_next_request(
    server: LoopbackServer,
) -> None:
    async def slow_first(request: Received) -> bytes:
        if request.target == "/slow":
            await asyncio.sleep(0.3)
        return await echo(request)

    server.script = slow_first
    async with httpx.AsyncClient(
        transport=Http11Transport(max_connections=1), timeout=httpx.Timeout(0.1)
    ) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{server.url}/slow")
        await asyncio.sleep(0.3)  # the late answer arrives on the abandoned connection

        assert (await client.get(f"{server.url}/next")).text == "GET /next "
    assert server.connections == 2


async def test_a_cancelled_request_leaves_no_answer_behind(server: LoopbackServer) -> None:
    async def slow_first(request: Received) -> bytes:
        if request.target == "/cancelled":
            await asyncio.sleep(0.2)
        return await echo(request)

    server.script = slow_first
    async with httpx.AsyncClient(transport=Http11Transport(max_connections=1)) as client:
        task = asyncio.create_task(client.get(f"{server.url}/cancelled"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        assert (await client.get(f"{server.url}/next")).text == "GET /next "


@pytest.mark.parametrize(
    "reply",
    [
        None,
        b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"a"',
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
    ],
    ids=["hang-up", "cut-short", "not-http"],
)
async def test_anything_but_a_whole_answer_is_a_protocol_error(
    server: LoopbackServer, client: httpx.AsyncClient, reply: bytes | None
) -> None:
    async def misbehave(_: Received) -> bytes | None:
        return reply

    server.script = misbehave
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(f"{server.url}/x")


async def test_a_refused_connection_is_a_connect_error_and_costs_no_slot() -> None:
    listener = await asyncio.start_server(LoopbackServer().serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    async with httpx.AsyncClient(transport=Http11Transport(max_connections=1)) as client:
        for _ in range(3):  # a leaked slot would turn the later attempts into pool timeouts
            with pytest.raises(httpx.ConnectError) as caught:
                await client.get(f"http://127.0.0.1:{port}/secret-token/path")
            assert "secret-token" not in str(caught.value)


@pytest.fixture
async def tls_server() -> AsyncIterator[tuple[LoopbackServer, trustme.CA]]:
    """The echo server behind TLS, with a certificate for 127.0.0.1 from a throwaway CA."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    fake = LoopbackServer()
    listener = await asyncio.start_server(fake.serve, "127.0.0.1", 0, ssl=context)
    fake.url = f"https://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    async with listener:
        yield fake, authority
        listener.close()


async def test_https_requests_share_one_verified_connection(
    tls_server: tuple[LoopbackServer, trustme.CA],
) -> None:
    server, authority = tls_server
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    async with httpx.AsyncClient(transport=Http11Transport(ssl_context=trusting)) as client:
        answers = [(await client.get(f"{server.url}/{n}")).text for n in range(3)]

    assert answers == ["GET /0 ", "GET /1 ", "GET /2 "]
    assert server.connections == 1


async def test_a_certificate_nobody_vouches_for_is_refused(
    tls_server: tuple[LoopbackServer, trustme.CA],
) -> None:
    server, _ = tls_server
    async with httpx.AsyncClient(transport=Http11Transport()) as client:  # the public CAs only
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(f"{server.url}/x")
    assert not server.received


async def test_an_unknown_scheme_is_refused() -> None:
    async with httpx.AsyncClient(transport=Http11Transport()) as client:
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("ftp://127.0.0.1/file")


async def test_a_closed_transport_can_be_used_again(server: LoopbackServer) -> None:
    transport = Http11Transport()
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get(f"{server.url}/before")
    await transport.aclose()
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get(f"{server.url}/after")).text == "GET /after "
    assert server.connections == 2


async def test_closing_the_transport_closes_a_connection_busy_at_the_time(
    server: LoopbackServer,
) -> None:
    async def slow(request: Received) -> bytes:
        await asyncio.sleep(0.1)
        return await echo(request)

    server.script = slow
    transport = Http11Transport()
    async with httpx.AsyncClient(transport=transport) as client:
        busy = asyncio.create_task(client.get(f"{server.url}/busy"))
        await asyncio.sleep(0.05)
        await transport.aclose()
        assert (await busy).text == "GET /busy "  # the request in flight still gets its answer
        await asyncio.sleep(0.05)

        assert server.open_connections == 0  # closed once done, not kept for reuse
        assert (await client.get(f"{server.url}/after")).text == "GET /after "


def test_at_least_one_connection_is_required() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        Http11Transport(max_connections=0)


def test_the_transport_works_on_the_event_loop_production_runs_on() -> None:
    """uvloop's transports are not ``asyncio.Transport`` subclasses; nothing may assume so."""

    async def two_requests() -> list[str]:
        fake = LoopbackServer()
        listener = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
        async with listener, httpx.AsyncClient(transport=Http11Transport()) as client:
            answers = [await client.get(f"{url}/{n}") for n in range(2)]
            listener.close()
        return [answer.text for answer in answers]

    assert eventloop.loop_kind() == ("asyncio" if sys.platform == "win32" else "uvloop")
    assert eventloop.run(two_requests()) == ["GET /0 ", "GET /1 "]
