"""Fixtures for conversation tests: a fresh bot per test on a temporary DATA_DIR."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.storage import Database
from tests.chat.harness import BotStarter, ChatDriver, ManualClock, make_settings, running
from tests.chat.purchases import TILL, Till
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def bot_with(tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox) -> BotStarter:
    """Start a bot with some settings overridden: ``async with bot_with(store_name=...)``.

    The same DATA_DIR every time, so starting it twice in one test is a restart.
    """

    def start(**overrides: object) -> AbstractAsyncContextManager[ChatDriver]:
        return running(make_settings(tmp_path, **overrides), fake, sandbox)

    return start


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox) -> AsyncIterator[ChatDriver]:
    async with running(make_settings(tmp_path), fake, sandbox) as driver:
        yield driver


@pytest.fixture
def till_clock() -> ManualClock:
    """The database's clock: an hour ago, so moving it on never dates an order in the future."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))


@pytest.fixture
def till_with(
    tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox, till_clock: ManualClock
) -> Till:
    """Start the till (again: the same database file, so a second start is a restart)."""

    def start(
        gameball_transport: httpx.AsyncBaseTransport | None = None, **overrides: Any
    ) -> AbstractAsyncContextManager[ChatDriver]:
        settings = make_settings(tmp_path, **(TILL | overrides))
        database = Database.in_data_dir(tmp_path, clock=till_clock)
        transport = gameball_transport or sandbox.transport()
        return running(settings, fake, sandbox, database=database, gameball_transport=transport)

    return start


@pytest.fixture
async def till(till_with: Till) -> AsyncIterator[ChatDriver]:
    async with till_with() as driver:
        yield driver
