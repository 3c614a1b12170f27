"""Fixtures for conversation tests: a fresh bot per test on a temporary DATA_DIR."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from bot.sandbox import Sandbox
from tests.chat.harness import BotStarter, ChatDriver, make_settings, running
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
