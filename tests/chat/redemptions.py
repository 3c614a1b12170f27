"""Helpers for redemption tests: a till that redeems, and the taps of a redemption."""

from __future__ import annotations

from typing import Any

from bot.sandbox import Sandbox
from tests.chat.harness import STAFF, ChatDriver

#: A till that records purchases, redeems points and reverses.
REDEEMING = {"checkout_actions": "purchase,redeem,reverse"}


async def hold_points(
    bot: ChatDriver,
    value: str | None = "200",
    *,
    how: str = "Points",
    user: int = STAFF,
    customer_id: str = "demo-1001",
) -> list[dict[str, Any]]:
    """Look the customer up, tap Redeem points and ``how``, then type ``value`` (None: All)."""
    await bot.text(user, customer_id)
    await bot.press(user, "Redeem points")
    await bot.press(user, how)
    if value is None:
        return await bot.press(user, "All")
    return await bot.text(user, value)


async def price_held_points(
    bot: ChatDriver, value: str = "200", price: str = "450"
) -> list[dict[str, Any]]:
    """Hold ``value`` points of demo-1001, tap Record purchase, type ``price``: the preview."""
    await hold_points(bot, value)
    await bot.press(STAFF, "Record purchase")
    return await bot.text(STAFF, price)


async def buy_with_held_points(
    bot: ChatDriver, amount: str = "450", user: int = STAFF
) -> list[dict[str, Any]]:
    """Record purchase under the held points, type the price, Confirm; the bot's answers."""
    await bot.press(user, "Record purchase")  # under the held points, the latest message
    await bot.text(user, amount)
    return await bot.press(user, "Confirm")


def holds(sandbox: Sandbox) -> list[tuple[int, str]]:
    """Every hold the sandbox saw: its points and the state it ended in (or is in)."""
    return [(hold.points, hold.state) for hold in sandbox.holds()]


def sent_to(sandbox: Sandbox, endpoint: str) -> list[Any]:
    """The bodies of the requests the sandbox saw at ``endpoint``."""
    return [request.body for request in sandbox.requests if request.endpoint == endpoint]
