"""Concurrent across chats, strictly ordered within a chat (the update processor)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from telegram import Update

from bot.sandbox import Sandbox
from tests.chat.harness import ChatDriver, make_settings, running
from tests.fakes.telegram import FakeTelegram


async def enqueue(bot: ChatDriver, raw: dict[str, object]) -> None:
    """Deliver an update the way polling does: through the application's update queue."""
    await bot.app.update_queue.put(Update.de_json(raw, bot.app.bot))


async def test_one_chat_is_answered_in_the_order_it_wrote(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    """Under plain concurrent processing the /cancel would overtake the slow look-up."""
    sandbox = Sandbox()
    sandbox.latency = 0.2
    staff = list(range(500, 520))
    settings = make_settings(tmp_path, staff_ids=staff)
    async with running(settings, fake, sandbox) as bot:
        for user in staff:
            await enqueue(bot, fake.user_text(user, f"new-{user}", queue=False))
            await enqueue(bot, fake.user_text(user, "/cancel", queue=False))
        for user in staff:
            await fake.wait_for_message(user, "Cancelled", timeout=10)
    for user in staff:
        texts = [m["text"] for m in fake.sent_messages(user)]
        assert "No customer" in texts[0]
        assert texts[1].startswith("Cancelled")


class InFlight(httpx.AsyncBaseTransport):
    """Counts Gameball requests in flight at once, around the sandbox transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


async def test_different_chats_are_served_at_the_same_time(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    sandbox = Sandbox()
    sandbox.latency = 0.05
    counter = InFlight(sandbox.transport())
    staff = list(range(600, 610))
    settings = make_settings(tmp_path, staff_ids=staff)
    async with running(settings, fake, sandbox, gameball_transport=counter) as bot:
        for user in staff:
            await enqueue(bot, fake.user_text(user, "demo-1001", queue=False))
        await asyncio.gather(*(fake.wait_for_message(u, "Omar", timeout=10) for u in staff))
    # Each card makes three calls at once; ten chats at once make thirty.
    assert counter.peak >= 3 * len(staff)
