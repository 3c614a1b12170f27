"""Helpers for purchase tests: a pop-up till's settings and the taps of a purchase."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.sandbox import Sandbox
from tests.chat.harness import STAFF, ChatDriver

#: A till with every setting of a pop-up store.
TILL = {
    "checkout_actions": "purchase,reverse",
    "store_id": "POP1",
    "store_name": "City Stars pop-up",
    "branch_id": "B2",
    "branch_name": "Gate 2",
    "gameball_deadline": 1.0,
}
Till = Callable[..., AbstractAsyncContextManager[ChatDriver]]


def gameball_calls(sandbox: Sandbox, since: int = 0) -> list[str | None]:
    return [request.endpoint for request in sandbox.requests[since:]]


def orders_sent(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r.body for r in sandbox.requests if r.endpoint == "order"]


def available(sandbox: Sandbox, customer_id: str = "demo-1001") -> int:
    stored = sandbox.customer(customer_id)
    assert stored is not None
    return int(stored["points"])


async def start_purchase(
    bot: ChatDriver, amount: str, user: int = STAFF, customer_id: str = "demo-1001"
) -> list[dict[str, Any]]:
    """Look the customer up, tap Record purchase and type the amount: the preview is shown."""
    await bot.text(user, customer_id)
    sent = await bot.press(user, "Record purchase")
    assert "How much did the customer pay?" in sent[-1]["text"]
    return await bot.text(user, amount)


async def record_purchase(
    bot: ChatDriver, amount: str = "450", user: int = STAFF, customer_id: str = "demo-1001"
) -> list[dict[str, Any]]:
    """A whole purchase: look-up, Record purchase, the amount, Confirm; the bot's answers."""
    await start_purchase(bot, amount, user, customer_id)
    return await bot.press(user, "Confirm")


def receipts(bot: ChatDriver, chat_id: int = STAFF) -> list[str]:
    return [m["text"] for m in bot.fake.sent_messages(chat_id) if "Purchase recorded" in m["text"]]


async def confirm_with_gameball_down(
    bot: ChatDriver, status: int = 503, amount: str = "450"
) -> list[dict[str, Any]]:
    """A purchase previewed while Gameball answers, confirmed once it fails with ``status``."""
    await start_purchase(bot, amount)
    bot.sandbox.set_down(status)
    return await bot.press(STAFF, "Confirm")
