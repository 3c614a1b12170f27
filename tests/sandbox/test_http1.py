"""The HTTP/1.1 server the sandbox and the fake Bot API share, spoken to byte for byte on loopback.

Raw sockets rather than httpx: what is under test is the framing a client sees (keep-alive,
pipelining, ``Connection`` headers, HEAD), which a client library would hide.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.sandbox.http1 import HttpRequest, HttpResponse, HttpServer


@dataclass
class EchoHandler:
    """Answers with what it received; ``/slow`` takes a while, ``/park`` never answers."""

    running: int = 0
    most_at_once: int = 0
    cancelled: list[bytes] = field(default_factory=list)
    parked: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, request: HttpRequest) -> HttpResponse | None:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            return await self._answer(request)
        except asyncio.CancelledError:
            self.cancelled.append(request.target)
            raise
        finally:
            self.running -= 1

    async def _answer(self, request: HttpRequest) -> HttpResponse | None:
        if request.target.startswith(b"/slow"):
            await asyncio.sleep(0.05)
        elif request.target.startswith(b"/park"):
            self.parked.set()
            await asyncio.Event().wait()
        elif request.target.startswith(b"/fail"):
            raise RuntimeError("a bug in the handler")
        elif request.target == b"/drop":
            return None
        echo = {
            "method": request.method,
            "target": request.target.decode(),
            "headers": dict(request.headers),
            "body": request.body.decode(),
        }
        return HttpResponse(200, json.dumps(echo).encode())


@pytest.fixture
def handler() -> EchoHandler:
    return EchoHandler()


@pytest.fixture
async def server(handler: EchoHandler) -> AsyncIterator[HttpServer]:
    running = HttpServer(handler, "127.0.0.1")
    await running.start(0)
    yield running
    await running.stop()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.body)
        return loaded


async def connect(server: HttpServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


def get(target: str, *headers: str, method: str = "GET", version: str = "1.1") -> bytes:
    lines = [f"{method} {target} HTTP/{version}", "Host: test", *headers, "", ""]
    return "\r\n".join(lines).encode()


async def read_response(reader: asyncio.StreamReader, *, head_only: bool = False) -> Response:
    """One response, framed by its Content-Length (a HEAD response announces a body it omits)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
    headers = {}
    for line in lines:
        name, _, value = line.partition(": ")
        headers[name.lower()] = value
    length = 0 if head_only else int(headers["content-length"])
    return Response(int(status_line.split()[1]), headers, await reader.readexactly(length))


async def assert_closed(reader: asyncio.StreamReader) -> None:
    assert await asyncio.wait_for(reader.read(), 5) == b""


async def test_a_kept_alive_connection_serves_one_request_after_another(
    server: HttpServer,
) -> None:
    reader, writer = await connect(server)
    for number in range(3):
        writer.write(get(f"/item/{number}"))
        response = await read_response(reader)
        assert (response.status, response.json()["target"]) == (200, f"/item/{number}")
        assert "connection" not in response.headers  # HTTP/1.1 keeps alive without saying so
    writer.close()


async def test_pipelined_requests_are_answered_in_order_one_at_a_time(
    server: HttpServer, handler: EchoHandler
) -> None:
    reader, writer = await connect(server)
    writer.write(get("/slow/1") + get("/slow/2") + get("/slow/3"))
    targets = [(await read_response(reader)).json()["target"] for _ in range(3)]
    assert targets == ["/slow/1", "/slow/2", "/slow/3"]
    assert handler.most_at_once == 1
    writer.close()


async def test_connection_close_is_answered_then_the_socket_closed(server: HttpServer) -> None:
    reader, writer = await connect(server)
    writer.write(get("/last", "Connection: close") + get("/never"))
    response = await read_response(reader)
    assert response.json()["target"] == "/last"
    assert response.headers["connection"] == "close"
    await assert_closed(reader)
    writer.close()


async def test_http_1_0_closes_unless_it_asks_for_keep_alive(server: HttpServer) -> None:
    reader, writer = await connect(server)
    writer.write(get("/kept", "Connection: keep-alive", version="1.0"))
    assert (await read_response(reader)).headers["connection"] == "keep-alive"
    writer.write(get("/closed", version="1.0"))
    assert (await read_response(reader)).headers["connection"] == "close"
    await assert_closed(reader)
    writer.close()


async def test_head_announces_the_length_of_a_body_it_does_not_send(server: HttpServer) -> None:
    reader, writer = await connect(server)
    writer.write(get("/same", method="HEAD") + get("/same"))
    head = await read_response(reader, head_only=True)
    full = await read_response(reader)  # would be misread if HEAD had sent a body
    assert head.status == full.status == 200
    assert int(head.headers["content-length"]) > 0
    assert full.json()["method"] == "GET"
    writer.close()


async def test_the_handler_gets_the_raw_target_headers_and_a_chunked_body(
    server: HttpServer,
) -> None:
    reader, writer = await connect(server)
    writer.write(
        b"POST /a/%2E%2E/b?x=1 HTTP/1.1\r\nHost: test\r\nX-Twice: 1\r\nx-twice: 2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    echo = (await read_response(reader)).json()
    assert echo["target"] == "/a/%2E%2E/b?x=1"  # nothing normalised
    assert echo["body"] == "abcde"
    assert echo["headers"]["x-twice"] == "1, 2"  # type: ignore[index]
    writer.close()


async def test_a_request_to_upgrade_is_answered_then_the_socket_closed(server: HttpServer) -> None:
    reader, writer = await connect(server)
    writer.write(get("/up", "Connection: Upgrade", "Upgrade: h2c") + b"not HTTP/1.1 any more")
    response = await read_response(reader)
    assert (response.status, response.headers["connection"]) == (200, "close")
    await assert_closed(reader)
    writer.close()


async def test_a_malformed_request_closes_the_socket_unanswered(server: HttpServer) -> None:
    reader, writer = await connect(server)
    writer.write(b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n")
    await assert_closed(reader)
    writer.close()


async def test_no_answer_from_the_handler_closes_the_socket(server: HttpServer) -> None:
    reader, writer = await connect(server)
    writer.write(get("/drop") + get("/never"))
    await assert_closed(reader)
    writer.close()


async def test_a_failing_handler_answers_500_and_logs_no_target(
    server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    reader, writer = await connect(server)
    with caplog.at_level(logging.ERROR, logger="bot.sandbox.http1"):
        writer.write(get("/fail/secret-token") + get("/after"))
        failed, after = await read_response(reader), await read_response(reader)
    assert failed.status == 500
    assert after.json()["target"] == "/after"  # the connection survives
    assert caplog.records
    assert "secret-token" not in caplog.text
    writer.close()


async def test_a_client_that_hangs_up_cancels_its_request(
    server: HttpServer, handler: EchoHandler
) -> None:
    _, writer = await connect(server)
    writer.write(get("/park/hung-up"))
    await asyncio.wait_for(handler.parked.wait(), 5)
    writer.close()
    for _ in range(100):
        if handler.cancelled:
            break
        await asyncio.sleep(0.01)
    assert handler.cancelled == [b"/park/hung-up"]


async def test_stop_cancels_requests_in_flight_and_closes_connections(
    server: HttpServer, handler: EchoHandler
) -> None:
    reader, writer = await connect(server)
    idle_reader, idle_writer = await connect(server)
    writer.write(get("/park/at-stop"))
    await asyncio.wait_for(handler.parked.wait(), 5)
    await asyncio.wait_for(server.stop(), 5)
    assert handler.cancelled == [b"/park/at-stop"]
    await assert_closed(reader)
    await assert_closed(idle_reader)
    with pytest.raises(ConnectionRefusedError):
        await connect(server)
    writer.close()
    idle_writer.close()
