"""The Gameball client's own connection pool, against a keep-alive HTTP server on loopback.

A rush of cashiers must get as many connections as ``max_connections`` allows (not one small
pool's worth), and a quiet till must keep reusing the connection it already has.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.gameball import GameballClient

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class LoopbackGameball:
    """Answers every GET with ``{}`` after ``delay``; counts connections and requests in flight."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.connections = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")  # a GET has no body
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                await asyncio.sleep(self.delay)
                self.in_flight -= 1
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()


@pytest.fixture
async def gameball() -> AsyncIterator[tuple[LoopbackGameball, str]]:
    fake = LoopbackGameball(delay=0.05)
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake, f"http://127.0.0.1:{port}"


async def test_a_rush_gets_every_connection_allowed_and_no_more(
    gameball: tuple[LoopbackGameball, str],
) -> None:
    fake, url = gameball
    allowed = 12
    async with GameballClient("key", "secret", base_url=url, max_connections=allowed) as client:
        await asyncio.gather(*(client.get_balance(f"c{n}") for n in range(3 * allowed)))

    assert fake.peak_in_flight == allowed


async def test_one_request_at_a_time_reuses_one_connection(
    gameball: tuple[LoopbackGameball, str],
) -> None:
    fake, url = gameball
    async with GameballClient("key", "secret", base_url=url) as client:
        for n in range(5):
            await client.get_balance(f"c{n}")

    assert fake.connections == 1
