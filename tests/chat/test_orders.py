"""``/orders``, reversals and orders in ``/activity`` (PRODUCT §8), through the real Application."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.chat.context import services_of
from bot.domain.orders import Sale, Store
from bot.sandbox import Sandbox
from bot.sandbox.emulator import REFUND_PATH
from bot.storage import Cashier
from tests.chat.harness import MANAGER, STAFF, ChatDriver, ManualClock
from tests.chat.purchases import (
    Till,
    available,
    confirm_with_gameball_down,
    gameball_calls,
    record_purchase,
)
from tests.sandbox import AUTH


def refunds_sent(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r.body for r in sandbox.requests if r.endpoint == "refund"]


async def reverse(bot: ChatDriver, label: str = "Reverse") -> list[dict[str, Any]]:
    """The manager opens /orders, taps Reverse on the newest order and answers Yes."""
    await bot.text(MANAGER, "/orders")
    question = await bot.press(MANAGER, label)
    assert "Reverse the purchase of" in question[-1]["text"]
    return await bot.press(MANAGER, "Yes, reverse")


# --- the list -----------------------------------------------------------------------------------


async def test_orders_lists_what_the_bot_recorded_newest_first(till: ChatDriver) -> None:
    await record_purchase(till, "450")
    await record_purchase(till, "120", customer_id="demo-1003")

    page = (await till.text(MANAGER, "/orders"))[-1]

    text = page["text"]
    assert text.startswith("🧾 Orders")
    assert text.index("demo-1003") < text.index("demo-1001")
    assert "EGP450.00 · +45 Stars" in text
    assert "EGP120.00 · +12 Stars" in text
    assert "\u2068Staff\u2069" in text  # who recorded it (the fake's first name)
    assert till.labels(page) == [
        "↩️ Reverse EGP120.00 for \u2068demo-1003\u2069",
        "↩️ Reverse EGP450.00 for \u2068demo-1001\u2069",
    ]


async def test_orders_pages_back(till: ChatDriver) -> None:
    for amount in ("110", "120", "130", "140", "150", "160"):
        await record_purchase(till, amount)

    first = (await till.text(MANAGER, "/orders"))[-1]
    older = (await till.press(MANAGER, "Older"))[-1]

    assert "EGP160.00" in first["text"]
    assert "EGP110.00" not in first["text"]
    assert "EGP110.00" in older["text"]
    assert "EGP160.00" not in older["text"]
    assert "Older" not in till.labels(older)


async def test_orders_can_be_shown_for_one_store(till_with: Till) -> None:
    async with till_with() as bot:
        await record_purchase(bot, "450")
    async with till_with(
        store_name="Mall kiosk", store_id="K1", branch_id="", branch_name=""
    ) as bot:
        await record_purchase(bot, "120")
        everything = (await bot.text(MANAGER, "/orders"))[-1]
        mall = (await bot.press(MANAGER, "Mall kiosk"))[-1]
        back = (await bot.press(MANAGER, "All stores"))[-1]

    assert "EGP450.00" in everything["text"]
    assert "EGP120.00" in everything["text"]
    assert mall["text"].startswith("🧾 Orders · \u2068Mall kiosk\u2069")
    assert "EGP450.00" not in mall["text"]
    assert "EGP450.00" in back["text"]


async def test_orders_are_for_managers_only(till: ChatDriver) -> None:
    await record_purchase(till)

    sent = await till.text(STAFF, "/orders")

    assert sent[-1]["text"] == "That is for managers only."


async def test_without_reverse_the_list_offers_no_reversal(till_with: Till) -> None:
    async with till_with(checkout_actions="purchase") as bot:
        await record_purchase(bot)
        page = (await bot.text(MANAGER, "/orders"))[-1]
    assert "EGP450.00" in page["text"]
    assert not any("Reverse" in label for label in bot.labels(page))


async def test_no_orders_yet_says_so(till: ChatDriver) -> None:
    sent = await till.text(MANAGER, "/orders")

    assert "No orders recorded yet." in sent[-1]["text"]


# --- reversing ----------------------------------------------------------------------------------


async def test_a_manager_reverses_an_order_once(till: ChatDriver) -> None:
    await record_purchase(till, "450")

    sent = await reverse(till)

    assert sent[-1]["text"] == (
        "↩️ Reversed: EGP450.00 for \u2068demo-1001\u2069.\n45 Stars taken back."
    )
    assert available(till.sandbox) == 1250
    (refund,) = refunds_sent(till.sandbox)
    (order,) = [r.body for r in till.sandbox.requests if r.endpoint == "order"]
    assert refund["reverseTransactionId"] == order["orderId"]
    assert refund["refundTransactionId"].startswith(order["orderId"] + "-R")
    assert "refundAmount" not in refund
    assert refund["merchant"] == {
        "uniqueId": "POP1",
        "name": "City Stars pop-up",
        "branch": {"uniqueId": "B2", "name": "Gate 2"},
    }
    page = (await till.text(MANAGER, "/orders"))[-1]
    assert "↩️" in page["text"]
    assert "reversed −45 Stars" in page["text"]
    assert till.labels(page) == []


async def test_reversing_twice_is_impossible(till: ChatDriver) -> None:
    await record_purchase(till)
    await reverse(till)
    old_question = till.message_with_button(MANAGER, "Reverse")

    await till.press(MANAGER, "Reverse", message=old_question)

    assert "is reversed already" in till.last_text(MANAGER)
    assert len(refunds_sent(till.sandbox)) == 1


async def test_saying_no_reverses_nothing(till: ChatDriver) -> None:
    await record_purchase(till)
    await till.text(MANAGER, "/orders")
    await till.press(MANAGER, "Reverse")

    sent = await till.press(MANAGER, "No")

    assert sent[-1]["text"] == "Nothing changed."
    assert refunds_sent(till.sandbox) == []


async def test_an_order_gameball_had_reversed_already_is_marked_reversed(till: ChatDriver) -> None:
    await record_purchase(till)
    (order,) = [r.body for r in till.sandbox.requests if r.endpoint == "order"]
    async with httpx.AsyncClient(
        transport=till.sandbox.transport(), base_url="http://sandbox", headers=AUTH
    ) as dashboard:  # someone reversed it in Gameball's dashboard
        refund = {
            "customerId": "demo-1001",
            "refundTransactionId": "dashboard-1",
            "reverseTransactionId": order["orderId"],
            "transactionTime": order["orderDate"],
        }
        assert (await dashboard.post(REFUND_PATH, json=refund)).status_code == 200

    sent = await reverse(till)

    assert "Gameball had already reversed EGP450.00" in sent[-1]["text"]
    assert available(till.sandbox) == 1250  # taken back once
    assert "reversed" in (await till.text(MANAGER, "/orders"))[-1]["text"]


async def test_an_order_gameball_does_not_know_cannot_be_reversed(till: ChatDriver) -> None:
    orders = services_of(till.app).database.orders
    now = services_of(till.app).database.now()
    sale = Sale("POP1-B2-LOST", "demo-1001", Decimal(100), "EGP", Store(), now)
    order = orders.claim(sale, Cashier(STAFF, STAFF, "en"))
    assert order is not None
    orders.mark_recorded(order.id, 10)

    sent = await reverse(till)

    assert "Gameball does not know this order" in sent[-1]["text"]
    assert "Nothing was reversed." in sent[-1]["text"]


class NotReversible(httpx.AsyncBaseTransport):
    """The sandbox, except that Gameball refuses every refund as non-reversible (code 9000)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = sandbox.transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == REFUND_PATH:
            body = {"code": 9000, "type": "TRANSACTION_ERROR", "message": "Non-reversible"}
            return httpx.Response(422, json=body)
        return await self._inner.handle_async_request(request)


async def test_a_non_reversible_order_says_so(till_with: Till, sandbox: Sandbox) -> None:
    async with till_with(gameball_transport=NotReversible(sandbox)) as bot:
        await record_purchase(bot)
        sent = await reverse(bot)
        page = (await bot.text(MANAGER, "/orders"))[-1]

    assert "Gameball says this order cannot be reversed." in sent[-1]["text"]
    assert available(sandbox) == 1250 + 45
    assert any("Reverse" in label for label in bot.labels(page))  # nothing changed


async def test_gameball_down_reverses_nothing_and_offers_a_retry(till: ChatDriver) -> None:
    await record_purchase(till)
    till.sandbox.set_down(503)

    sent = await reverse(till)
    assert "Nothing was reversed." in sent[-1]["text"]
    assert till.labels(sent[-1]) == ["Retry"]
    till.sandbox.set_down(None)
    sent = await till.press(MANAGER, "Retry")

    assert "Reversed: EGP450.00" in sent[-1]["text"]
    assert available(till.sandbox) == 1250


async def test_a_reversal_whose_answer_times_out_is_found_not_resent(till: ChatDriver) -> None:
    await record_purchase(till)
    till.sandbox.slow_next(1, 5.0, endpoint="refund")
    before = len(till.sandbox.requests)

    sent = await reverse(till)

    assert gameball_calls(till.sandbox, before) == ["refund", "order-transactions"]
    assert "Reversed: EGP450.00" in sent[-1]["text"]
    assert available(till.sandbox) == 1250


async def test_staff_cannot_reverse_even_with_an_old_button(till: ChatDriver) -> None:
    await record_purchase(till)
    await till.text(MANAGER, "/orders")
    question = (await till.press(MANAGER, "Reverse"))[-1]
    yes = next(d for label, d in till.fake.buttons(question) if label == "Yes, reverse")
    forged = till.fake.press_button(MANAGER, question, yes, queue=False)
    forged["callback_query"]["from"]["id"] = STAFF

    await till.process(forged)

    assert refunds_sent(till.sandbox) == []
    assert till.calls("answerCallbackQuery")[-1]["text"] == "That is for managers only."


# --- /activity ----------------------------------------------------------------------------------


def audit_rows(bot: ChatDriver) -> list[dict[str, Any]]:
    path = services_of(bot.app).database.path
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM audit ORDER BY id")]


@pytest.mark.parametrize("scheme", ["id", "mobile"])
async def test_purchases_and_reversals_are_audited_without_contact_details(
    till_with: Till, scheme: str
) -> None:
    customer = "demo-1001" if scheme == "id" else "0100 123 4567"
    async with till_with(customer_id_scheme=scheme) as bot:
        await record_purchase(bot, "450", customer_id=customer)
        await reverse(bot)
        rows = [row for row in audit_rows(bot) if row["action"] != "lookup"]

    assert [(row["action"], row["result"]) for row in rows] == [
        ("preview", "ok"),
        ("order", "recorded"),
        ("reverse", "reversed"),
    ]
    assert [row["actor_id"] for row in rows] == [STAFF, STAFF, MANAGER]
    assert {row["store"] for row in rows} == {"City Stars pop-up"}
    details = [json.loads(row["detail"]) for row in rows]
    assert {(d["amount"], d["currency"]) for d in details} == {("450", "EGP")}
    assert [d["points"] for d in details] == [45, 45, 45]
    stored = json.dumps(rows)
    assert "1001234567" not in stored  # the mobile-derived ID is masked


async def test_activity_shows_orders_readably_and_opens_the_order_list(till: ChatDriver) -> None:
    await record_purchase(till, "450")

    page = (await till.text(MANAGER, "/activity"))[-1]
    orders = (await till.press(MANAGER, "Orders"))[-1]

    (line,) = [line for line in page["text"].splitlines() if "recorded a purchase" in line]
    assert (
        "recorded a purchase of EGP450.00 for \u2068demo-1001\u2069, +45 Stars, \u2068POP1-B2-"
        in line
    )
    assert line.endswith(", at \u2068City Stars pop-up\u2069")
    assert "Purchases waiting in the queue: 0" in page["text"]
    assert till.labels(page)[0] == "🧾 Orders"
    assert orders["message_id"] == page["message_id"]
    assert orders["text"].startswith("🧾 Orders")


async def test_a_queued_purchase_is_audited_when_queued_and_when_recorded(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await confirm_with_gameball_down(till)
    till.sandbox.set_down(None)
    till_clock.advance(minutes=1)

    await till.run_queue()

    actions = [(row["action"], row["result"]) for row in audit_rows(till)]
    assert ("order", "queued") in actions
    assert actions[-1] == ("order_queue", "recorded")
