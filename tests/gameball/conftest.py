"""Fixtures of the client tests: clients wired to a fake Gameball, sleeps recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.gameball import GameballClient
from tests.gameball.fakes import (
    API_KEY,
    BASE_URL,
    SECRET_KEY,
    ClientFactory,
    FakeGameball,
    SleepRecorder,
)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def connect(sleeps: SleepRecorder) -> AsyncIterator[ClientFactory]:
    """Build clients wired to a fake server; jitter factor 1 makes delays predictable."""
    clients: list[GameballClient] = []

    def factory(gameball: FakeGameball, **options: Any) -> GameballClient:
        settings: dict[str, Any] = {
            "base_url": BASE_URL,
            "transport": httpx.MockTransport(gameball),
            "sleep": sleeps,
            "rng": lambda: 1.0,
        }
        client = GameballClient(API_KEY, SECRET_KEY, **(settings | options))
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
