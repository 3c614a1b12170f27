"""Helpers for sign-up tests: the taps and answers of a whole sign-up at the till."""

from __future__ import annotations

from typing import Any

from tests.chat.harness import STAFF, ChatDriver

SALMA = "Salma Nabil"
SALMAS_MOBILE = "0100 555 1212"


async def fill_in(
    bot: ChatDriver,
    customer_id: str = "walk-in-1",
    *,
    mobile: str | None = SALMAS_MOBILE,
    email: str | None = None,
) -> dict[str, Any]:
    """An unknown ID, Create profile, Salma's name, then the contacts (None: Skip): the summary."""
    await bot.text(STAFF, customer_id)
    await bot.press(STAFF, "Create profile")
    await bot.text(STAFF, SALMA)
    sent = await (bot.text(STAFF, mobile) if mobile else bot.press(STAFF, "Skip"))
    sent = await (bot.text(STAFF, email) if email else bot.press(STAFF, "Skip"))
    return sent[-1]


async def sign_up(
    bot: ChatDriver,
    customer_id: str = "walk-in-1",
    *,
    mobile: str | None = SALMAS_MOBILE,
    email: str | None = None,
    gameball_down: bool = False,
) -> None:
    """A whole sign-up; with ``gameball_down`` Gameball fails at Create and it is queued."""
    await fill_in(bot, customer_id, mobile=mobile, email=email)
    bot.sandbox.set_down(503 if gameball_down else None)
    await bot.press(STAFF, "Create")
    if gameball_down:
        await bot.press(STAFF, "Queue it")
        bot.sandbox.set_down(None)
