"""Recording a purchase from the card (PRODUCT §8), branch by branch, through the real Application.

A restart is a new Application on the same database file; the sandbox's faults stand in for an
unreachable, failing or slow Gameball.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from bot.chat.context import services_of
from bot.sandbox import Sandbox
from bot.sandbox.emulator import ORDERS_PREFIX
from tests.chat.harness import MANAGER, STAFF, ChatDriver, ManualClock
from tests.chat.purchases import (
    Till,
    available,
    confirm_with_gameball_down,
    gameball_calls,
    orders_sent,
    receipts,
    record_purchase,
    start_purchase,
)
from tests.sandbox import AUTH

# --- the card -----------------------------------------------------------------------------------


async def test_the_card_offers_record_purchase_only_when_the_till_records_purchases(
    till_with: Till,
) -> None:
    async with till_with(checkout_actions="") as bot:
        plain = (await bot.text(STAFF, "demo-1001"))[-1]
    async with till_with(checkout_actions="reverse,redeem") as bot:
        without_purchase = (await bot.text(STAFF, "demo-1001"))[-1]
    async with till_with() as bot:
        card = (await bot.text(STAFF, "demo-1001"))[-1]

    assert bot.labels(plain) == ["🔄 Refresh", "➡️ Next customer"]
    assert bot.labels(without_purchase) == ["🎁 Redeem points", "🔄 Refresh", "➡️ Next customer"]
    assert bot.labels(card) == ["🛒 Record purchase", "🔄 Refresh", "➡️ Next customer"]
    rows = card["reply_markup"]["inline_keyboard"]
    assert [len(row) for row in rows] == [1, 2]


async def test_a_long_customer_id_still_gets_a_working_record_purchase_button(
    till: ChatDriver,
) -> None:
    long_id = "store-" + "ز" * 40
    till.sandbox.add_customer(long_id, name="Long Id", points=5)

    card = (await till.text(STAFF, long_id))[-1]
    sent = await till.press(STAFF, "Record purchase", message=card)

    assert all(len(data.encode()) <= 64 for _, data in till.fake.buttons(card))
    assert long_id in sent[-1]["text"]


# --- the happy path -----------------------------------------------------------------------------


async def test_a_purchase_is_previewed_confirmed_and_receipted(till: ChatDriver) -> None:
    before = len(till.sandbox.requests)
    preview = (await start_purchase(till, "EGP 455.50"))[-1]

    assert "Purchase of EGP455.50" in preview["text"]
    assert "The customer will earn 45 Stars." in preview["text"]
    assert till.labels(preview) == ["✅ Confirm", "Change amount", "Cancel"]
    assert gameball_calls(till.sandbox, before) == [
        "balance",
        "details",
        "tier-progress",
        "reward-preview",
    ]

    sent = await till.press(STAFF, "Confirm")

    receipt = sent[-1]["text"]
    assert "Purchase recorded" in receipt
    assert "Amount: EGP455.50" in receipt
    assert "Earned: 45 Stars" in receipt
    assert "New balance: 1,295 Stars (worth EGP129.50)" in receipt
    assert till.labels(sent[-1]) == ["➡️ Next customer"]
    assert available(till.sandbox) == 1250 + 45
    (order,) = orders_sent(till.sandbox)
    assert order["orderId"] in receipt
    assert re.fullmatch(r"POP1-B2-\d{8}-[0-9A-Z]{10}", order["orderId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", order["orderDate"])
    assert order | {"orderId": "-", "orderDate": "-"} == {
        "customerId": "demo-1001",
        "orderId": "-",
        "orderDate": "-",
        "totalPaid": 455.5,
        "totalPrice": 455.5,
        "channel": "pos",
        "merchant": {
            "uniqueId": "POP1",
            "name": "City Stars pop-up",
            "branch": {"uniqueId": "B2", "name": "Gate 2"},
        },
    }


async def test_next_customer_under_the_receipt_asks_for_the_next_id(till: ChatDriver) -> None:
    await record_purchase(till)

    sent = await till.press(STAFF, "Next customer")
    assert "Send the customer ID" in sent[-1]["text"]
    sent = await till.text(STAFF, "demo-1003")
    assert "Abdullah" in sent[-1]["text"]


async def test_without_store_settings_no_merchant_is_sent(till_with: Till) -> None:
    async with till_with(store_id="", store_name="", branch_id="", branch_name="") as bot:
        await record_purchase(bot)
        (order,) = orders_sent(bot.sandbox)
    assert "merchant" not in order
    assert order["orderId"].startswith("TG-")


@pytest.mark.parametrize(
    ("typed", "paid"), [("٤٥٠", 450.0), ("1,250.50", 1250.5), ("450 ج.م.", 450.0)]
)
async def test_amounts_are_read_in_the_ways_staff_type_them(
    till: ChatDriver, typed: str, paid: float
) -> None:
    await record_purchase(till, typed)

    assert orders_sent(till.sandbox)[0]["totalPaid"] == paid


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0", "The amount must be more than zero."),
        ("-450", "An amount can't be negative."),
        ("12.345", "An amount has at most two decimals."),
        ("forty", "That is not an amount."),
        ("demo-1003", "That is not an amount."),
        ("2000000", "That is far more than one purchase."),
        ("USD 450", "That is another currency: the programme uses EGP."),
    ],
)
async def test_a_bad_amount_says_why_with_an_example_and_asks_again(
    till: ChatDriver, typed: str, reason: str
) -> None:
    sent = await start_purchase(till, typed)

    assert sent[-1]["text"] == f"⚠️ {reason} Example: 1,250.50. Please try again."
    assert "reward-preview" not in gameball_calls(till.sandbox)
    assert gameball_calls(till.sandbox).count("balance") == 1  # the amount was no look-up
    sent = await till.text(STAFF, "450")
    assert "The customer will earn 45 Stars." in sent[-1]["text"]


async def test_a_sticker_instead_of_an_amount_gets_a_hint(till: ChatDriver) -> None:
    await till.text(STAFF, "demo-1001")
    await till.press(STAFF, "Record purchase")

    sent = await till.sticker(STAFF)

    assert "Please type the amount the customer paid" in sent[-1]["text"]


async def test_text_where_confirm_is_expected_gets_a_hint_and_records_nothing(
    till: ChatDriver,
) -> None:
    await start_purchase(till, "450")

    sent = await till.text(STAFF, "yes")

    assert "use the buttons above" in sent[-1]["text"]
    assert orders_sent(till.sandbox) == []


async def test_change_amount_keeps_the_order_id_and_records_the_new_amount(
    till: ChatDriver,
) -> None:
    await start_purchase(till, "4500")
    sent = await till.press(STAFF, "Change amount")
    assert "How much did the customer pay?" in sent[-1]["text"]
    await till.text(STAFF, "450")
    await till.press(STAFF, "Confirm")

    (order,) = orders_sent(till.sandbox)
    assert order["totalPaid"] == 450.0


async def test_a_preview_gameball_cannot_answer_still_lets_staff_record(
    till: ChatDriver,
) -> None:
    till.sandbox.fail_next(10, 503, endpoint="reward-preview")

    preview = (await start_purchase(till, "450"))[-1]
    assert "Gameball cannot say now what this earns" in preview["text"]
    sent = await till.press(STAFF, "Confirm")

    assert "Earned: 45 Stars" in sent[-1]["text"]


# --- leaving ------------------------------------------------------------------------------------


async def test_cancel_records_nothing(till: ChatDriver) -> None:
    await start_purchase(till, "450")

    sent = await till.press(STAFF, "Cancel")

    assert "The purchase for \u2068demo-1001\u2069 was not recorded." in sent[-1]["text"]
    assert orders_sent(till.sandbox) == []
    sent = await till.text(STAFF, "demo-1002")  # plain text is a look-up again
    assert "Nour" in sent[-1]["text"]


async def test_the_cancel_command_works_while_the_amount_is_asked(till: ChatDriver) -> None:
    await till.text(STAFF, "demo-1001")
    await till.press(STAFF, "Record purchase")

    sent = await till.text(STAFF, "/cancel")

    assert len(sent) == 1
    assert "was not recorded" in sent[0]["text"]


async def test_next_customer_mid_purchase_drops_it_and_asks_for_the_next_id(
    till: ChatDriver,
) -> None:
    await till.text(STAFF, "demo-1001")
    card = till.message_with_button(STAFF, "Next customer")
    await till.press(STAFF, "Record purchase")

    sent = await till.press(STAFF, "Next customer", message=card)

    assert "was not recorded" in sent[0]["text"]
    assert "Send the customer ID" in sent[-1]["text"]
    sent = await till.text(STAFF, "demo-1003")
    assert "Abdullah" in sent[-1]["text"]


async def test_an_unanswered_purchase_expires_with_a_message(till_with: Till) -> None:
    async with till_with(conversation_timeout=0.3) as bot:
        await start_purchase(bot, "450")
        expired = await bot.fake.wait_for_message(STAFF, "expired", timeout=5)
        assert "This purchase was not recorded" in expired["text"]
        assert bot.fake.buttons(bot.message_with_button(STAFF, "Confirm"))
        sent = await bot.press(STAFF, "Confirm")
        assert sent == []
        assert orders_sent(bot.sandbox) == []


# --- never twice --------------------------------------------------------------------------------


async def test_a_double_tap_on_confirm_records_once(till: ChatDriver) -> None:
    await start_purchase(till, "450")
    preview = till.message_with_button(STAFF, "Confirm")
    data = next(d for label, d in till.fake.buttons(preview) if "Confirm" in label)

    first = till.fake.press_button(STAFF, preview, data, queue=False)
    second = till.fake.press_button(STAFF, preview, data, queue=False)
    await asyncio.gather(till.process(first), till.process(second))

    assert len(orders_sent(till.sandbox)) == 1
    assert len(receipts(till)) == 1
    assert available(till.sandbox) == 1250 + 45


async def test_an_order_gameball_says_exists_counts_as_recorded(till: ChatDriver) -> None:
    await start_purchase(till, "450")
    draft = till.app.user_data[STAFF]["purchase"]
    async with httpx.AsyncClient(
        transport=till.sandbox.transport(), base_url="http://sandbox", headers=AUTH
    ) as gameball:  # the same order reached Gameball by another way (a retried request)
        order = {"customerId": "demo-1001", "orderId": draft["order_id"], "totalPaid": 450}
        order["orderDate"] = "2026-01-01T00:00:00.000Z"
        assert (await gameball.post(ORDERS_PREFIX, json=order)).status_code == 200

    sent = await till.press(STAFF, "Confirm")

    assert "Earned: 45 Stars" in sent[-1]["text"]  # Gameball answered 9004, then showed it
    assert available(till.sandbox) == 1250 + 45


async def test_a_timeout_is_followed_by_asking_gameball_not_by_sending_again(
    till: ChatDriver,
) -> None:
    await start_purchase(till, "450")
    till.sandbox.slow_next(1, 5.0, endpoint="order")  # recorded, but the answer comes too late
    before = len(till.sandbox.requests)

    sent = await till.press(STAFF, "Confirm")

    assert gameball_calls(till.sandbox, before) == ["order", "order-transactions", "balance"]
    assert "Earned: 45 Stars" in sent[-1]["text"]
    assert available(till.sandbox) == 1250 + 45
    await till.run_queue()
    assert len(orders_sent(till.sandbox)) == 1
    assert len(receipts(till)) == 1


async def test_a_lost_answer_with_nothing_recorded_is_queued_and_sent_once_later(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await start_purchase(till, "450")
    till.sandbox.fail_next(1, 0, endpoint="order")  # the connection drops before Gameball acts

    sent = await till.press(STAFF, "Confirm")

    assert "Saved. The purchase will be recorded as soon as Gameball answers" in sent[-1]["text"]
    assert available(till.sandbox) == 1250
    till_clock.advance(minutes=1)
    await till.run_queue()
    assert gameball_calls(till.sandbox)[-3:] == ["order-transactions", "order", "balance"]
    assert available(till.sandbox) == 1250 + 45
    (told,) = [m["text"] for m in till.fake.sent_messages(STAFF) if "went through" in m["text"]]
    assert "Earned: 45 Stars" in told


async def test_gameball_down_queues_the_purchase_which_is_sent_later_and_told_once(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    sent = await confirm_with_gameball_down(till, 503)
    assert "Gameball is not answering" in sent[-1]["text"]
    assert "Saved." in sent[-1]["text"]
    assert till.labels(sent[-1]) == ["➡️ Next customer"]
    queue = (await till.text(MANAGER, "/queue"))[-1]["text"]
    assert "Purchases waiting in the queue: 1" in queue

    till_clock.advance(minutes=1)
    await till.run_queue()  # still down: it stays queued, nobody is told anything
    assert not [m for m in till.fake.sent_messages(STAFF) if "went through" in m["text"]]
    till.sandbox.set_down(None)
    await till.run_queue()  # back, but the backoff has not run out
    assert available(till.sandbox) == 1250
    till_clock.advance(minutes=2)
    await till.run_queue()
    await till.run_queue()

    assert available(till.sandbox) == 1250 + 45
    refused, accepted = orders_sent(till.sandbox)  # the first met Gameball down
    assert refused == accepted
    told = [m["text"] for m in till.fake.sent_messages(STAFF) if "went through" in m["text"]]
    assert len(told) == 1
    assert "The purchase of EGP450.00 for \u2068demo-1001\u2069 went through." in told[0]
    assert "New balance: 1,295 Stars" in told[0]
    queue = (await till.text(MANAGER, "/queue"))[-1]["text"]
    assert "Purchases waiting in the queue: 0" in queue


async def test_a_queued_purchase_gameball_refuses_is_reported_with_the_reason(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await confirm_with_gameball_down(till)
    till.sandbox.set_down(None)
    till.sandbox.fail_next(1, 422, endpoint="order")

    till_clock.advance(minutes=1)
    await till.run_queue()
    await till.run_queue()

    (told,) = [
        m["text"] for m in till.fake.sent_messages(STAFF) if "could not be recorded" in m["text"]
    ]
    assert "Invalid value" in told


async def test_a_purchase_gameball_refuses_says_why_and_is_not_queued(till: ChatDriver) -> None:
    await start_purchase(till, "450")
    till.sandbox.fail_next(1, 422, endpoint="order")

    sent = await till.press(STAFF, "Confirm")

    assert "Gameball did not accept this: Invalid value" in sent[-1]["text"]
    assert "The purchase was not recorded." in sent[-1]["text"]
    assert services_of(till.app).database.orders.queued_count() == 0


async def test_rejected_keys_keep_the_purchase_and_alert_managers(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    sent = await confirm_with_gameball_down(till, 401)

    assert "credentials are rejected" in sent[-1]["text"]
    assert "Saved." in sent[-1]["text"]
    assert any("rejects the bot's API keys" in m["text"] for m in till.fake.sent_messages(MANAGER))
    till.sandbox.set_down(None)  # a manager fixed the keys
    till_clock.advance(minutes=1)
    await till.run_queue()
    assert available(till.sandbox) == 1250 + 45


# --- restarts -----------------------------------------------------------------------------------


async def confirm_and_crash(bot: ChatDriver) -> None:
    """Tap Confirm; the process dies while the order is on its way to Gameball."""
    preview = bot.message_with_button(STAFF, "Confirm")
    press = bot.fake.press_label(STAFF, "Confirm", message=preview, queue=False)
    handling = asyncio.ensure_future(bot.process(press))
    for _ in range(500):  # until Gameball has the request (5 s at most)
        if "order" in gameball_calls(bot.sandbox):
            break
        await asyncio.sleep(0.01)
    handling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handling


@pytest.mark.parametrize("reached_gameball", [True, False], ids=["after", "before"])
async def test_a_restart_mid_send_records_the_purchase_once_and_tells_once(
    till_with: Till, sandbox: Sandbox, reached_gameball: bool
) -> None:
    async with till_with(gameball_deadline=30.0) as bot:
        await start_purchase(bot, "450")
        if reached_gameball:
            sandbox.slow_next(1, 60.0, endpoint="order")  # Gameball records it, then the crash
        else:
            sandbox.latency = 60.0  # the crash comes before Gameball acts
        await confirm_and_crash(bot)
    sandbox.latency = 0.0
    assert available(sandbox) == 1250 + (45 if reached_gameball else 0)

    async with till_with() as bot:
        await bot.run_queue()
        await bot.run_queue()
        orders = orders_sent(sandbox)
    async with till_with() as bot:
        await bot.run_queue()

    assert available(sandbox) == 1250 + 45
    assert len(orders) == (1 if reached_gameball else 2)  # the second is the one that counted
    assert len({order["orderId"] for order in orders}) == 1
    told = [m for m in bot.fake.sent_messages(STAFF) if "went through" in m["text"]]
    assert len(told) == 1
    assert "Earned: 45 Stars" in told[0]["text"]


async def test_a_purchase_waiting_for_confirm_survives_a_restart(
    till_with: Till, sandbox: Sandbox
) -> None:
    async with till_with() as bot:
        await start_purchase(bot, "450")
    async with till_with() as bot:
        sent = await bot.press(STAFF, "Confirm")
    assert "Purchase recorded" in sent[-1]["text"]
    assert available(sandbox) == 1250 + 45


# --- above the limit ----------------------------------------------------------------------------


async def test_above_the_limit_staff_are_told_a_manager_must_record_it(till: ChatDriver) -> None:
    before = len(till.sandbox.requests)
    sent = await start_purchase(till, "15000")

    assert sent[-1]["text"] == (
        "⚠️ EGP15,000.00 is more than EGP10,000.00, the most staff can record. "
        "A manager must record this purchase."
    )
    assert till.labels(sent[-1]) == ["Change amount", "Cancel"]
    assert "reward-preview" not in gameball_calls(till.sandbox, before)


async def test_a_forged_confirm_above_the_limit_is_refused_for_staff(till: ChatDriver) -> None:
    await start_purchase(till, "15000")
    message = till.message_with_button(STAFF, "Change amount")
    change = next(d for label, d in till.fake.buttons(message) if label == "Change amount")
    forged = till.fake.press_button(STAFF, message, change, queue=False)
    forged["callback_query"]["data"] = change.replace(":amount", ":ok")

    await till.process(forged)

    answer = till.calls("answerCallbackQuery")[-1]
    assert answer["text"] == "Only a manager can record a purchase above EGP10,000.00."
    assert orders_sent(till.sandbox) == []


async def test_a_manager_can_record_above_the_limit(till: ChatDriver) -> None:
    preview = (await start_purchase(till, "15000", user=MANAGER))[-1]
    assert "Above the staff limit of EGP10,000.00." in preview["text"]

    sent = await till.press(MANAGER, "Confirm")

    assert "Earned: 1,500 Stars" in sent[-1]["text"]
    assert orders_sent(till.sandbox)[0]["totalPaid"] == 15000.0


async def test_the_limit_is_max_order_amount(till_with: Till) -> None:
    async with till_with(max_order_amount="500") as bot:
        sent = await start_purchase(bot, "600")
    assert "is more than EGP500.00" in sent[-1]["text"]


async def test_a_cashier_revoked_mid_purchase_cannot_confirm(till: ChatDriver) -> None:
    await start_purchase(till, "450")
    services_of(till.app).database.staff.revoke(STAFF)

    sent = await till.press(STAFF, "Confirm")

    assert sent == []
    assert orders_sent(till.sandbox) == []


# --- in Arabic ----------------------------------------------------------------------------------


async def test_an_arabic_cashier_gets_an_arabic_receipt(till: ChatDriver) -> None:
    await till.text(STAFF, "demo-1001", language_code="ar")
    await till.press(STAFF, "تسجيل", language_code="ar")
    preview = (await till.text(STAFF, "٤٥٠", language_code="ar"))[-1]
    assert "سيكسب العميل 45 Stars" in preview["text"]

    sent = await till.press(STAFF, "تأكيد", language_code="ar")

    receipt = sent[-1]["text"]
    assert "تم تسجيل الشراء" in receipt
    assert "450.00" in receipt
    assert "ج.م" in receipt
