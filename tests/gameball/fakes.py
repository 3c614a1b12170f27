"""A fake Gameball for client tests (``conftest.py`` wires clients to it).

Backoff sleeps go through an injected recorder, so retry tests run instantly and can assert the
exact delays the client chose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bot.gameball import GameballClient

API_KEY = "gb_test_api_key_0123456789"
SECRET_KEY = "gb_secret_key_abcdefghij"
BASE_URL = "https://api.gameball.test"
BALANCE = {"availablePointsBalance": 1200, "availablePointsValue": 60.0, "currency": "USD"}
NASTY_IDS = ["../x", "a/b", "x?y", "x#y", "%2F", "..x", ".a.", "a b", "عميل", "+201001234567"]

Answer = httpx.Response | Exception | Callable[[], Awaitable[httpx.Response]]


class FakeGameball:
    """Records requests and plays its answers in order; the last answer repeats forever."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers) or [httpx.Response(200, json=BALANCE)]
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return await answer()

    @property
    def only_request(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]


class SleepRecorder:
    """Stands in for asyncio.sleep: remembers each backoff delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


ClientFactory = Callable[..., GameballClient]


def error(status: int, body: Any = None, *, text: str | None = None) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers={"Content-Type": "text/html"})
    return httpx.Response(status, json=body)


async def hang() -> httpx.Response:
    """A server that accepted the request and never answers."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")
