"""End to end over real sockets: ``checkout-bot run`` polls a fake Bot API on 127.0.0.1 and talks
to the Gameball sandbox served over HTTP. A new customer is identified, created and shown a card;
SIGTERM mid-conversation and a restart on the same DATA_DIR lose nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import Sandbox, serve
from tests.fakes.telegram import FakeTelegram, FakeTelegramServer

STAFF = 4242
ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def bot_process(
    env: dict[str, str], fake: FakeTelegram
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot run`` as an operator would start it; stopped with SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=env["DATA_DIR"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            stop(process, fake)
            await asyncio.wait_for(process.wait(), timeout=20)


def stop(process: asyncio.subprocess.Process, fake: FakeTelegram) -> None:
    """SIGTERM, as systemd or Docker would; the fake answers the parked long poll at once."""
    fake.release_pollers()
    process.send_signal(signal.SIGTERM)


async def say(fake: FakeTelegram, text: str, expect: str) -> dict[str, Any]:
    fake.user_text(STAFF, text)
    return await fake.wait_for_message(STAFF, expect, timeout=15)


async def tap(fake: FakeTelegram, label: str, expect: str) -> dict[str, Any]:
    fake.press_label(STAFF, label, exact=True)
    return await fake.wait_for_message(STAFF, expect, timeout=15)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[tuple[FakeTelegram, Sandbox, dict[str, str]]]:
    fake = FakeTelegram()
    sandbox = Sandbox()
    async with FakeTelegramServer(fake) as telegram:
        gameball = await serve(sandbox, port=0)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": telegram.base_url,
            "GAMEBALL_BASE_URL": gameball.url,
            "GAMEBALL_API_KEY": "sandbox",
            "GAMEBALL_SECRET_KEY": "sandbox",
            "STAFF_IDS": str(STAFF),
            "DATA_DIR": str(tmp_path),
            "LOG_LEVEL": "DEBUG",
        }
        try:
            yield fake, sandbox, env
        finally:
            await gameball.stop()


async def test_a_new_customer_is_created_over_real_sockets_and_survives_a_restart(
    services: tuple[FakeTelegram, Sandbox, dict[str, str]],
) -> None:
    fake, sandbox, env = services
    async with bot_process(env, fake) as process:
        await fake.wait_for_poller(timeout=30)
        commands = [c for c in fake.calls if c.method == "setMyCommands"]
        assert {c.params.get("language_code") for c in commands} >= {None, "ar"}
        await say(fake, "walk-in-7", "Create a loyalty profile")
        await tap(fake, "Create profile", "name")
        await say(fake, "Salma Nabil", "mobile")
        stop(process, fake)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
        output = (await process.stdout.read()).decode() if process.stdout else ""
    assert fake.token not in output
    assert "Traceback" not in output

    async with bot_process(env, fake):
        await say(fake, "+20 100 555 1212", "email")
        await tap(fake, "Skip", "Salma Nabil")
        await tap(fake, "Create", "Stars")
    card = fake.last_message(STAFF)["text"]
    assert "walk-in-7" in card
    assert "100 Stars" in card
    assert sandbox.customer("walk-in-7") is not None
    welcome = [m for m in fake.sent_messages(STAFF) if "Welcome aboard" in m["text"]]
    assert len(welcome) == 1
    assert not fake.rejected
