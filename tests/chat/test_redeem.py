"""Redeeming points at the till (PRODUCT §8), branch by branch, through the real Application.

The sandbox's clock is the test's, so a hold can run out on Gameball's side; the till's clock is
the database's (the queue job, the hold kept while staff work). A restart is a new Application
on the same database file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.chat.context import services_of
from bot.sandbox import Sandbox
from bot.sandbox.emulator import HOLD_PATH
from bot.sandbox.holds import DEMO_OTP
from tests.chat.harness import MANAGER, STAFF, ChatDriver, ManualClock
from tests.chat.purchases import Till, available, orders_sent, receipts
from tests.chat.redemptions import (
    REDEEMING,
    buy_with_held_points,
    hold_points,
    holds,
    price_held_points,
    sent_to,
)
from tests.chat.test_orders import audit_rows, reverse
from tests.chat.test_scan import stored
from tests.images import GAMEBALL_HASH
from tests.sandbox import sandbox_client


@pytest.fixture
def gameball_clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def sandbox(gameball_clock: ManualClock) -> Sandbox:
    return Sandbox(clock=gameball_clock)


@pytest.fixture
async def till(till_with: Till) -> Any:
    async with till_with(**REDEEMING) as driver:
        yield driver


def hold_entries(bot: ChatDriver) -> list[dict[str, Any]]:
    """The audit log's entries about holds, oldest first."""
    return [row for row in audit_rows(bot) if row["action"] == "hold"]


def said(message: dict[str, Any]) -> str:
    """A message's text without the bidi isolates around customer IDs."""
    return str(message["text"]).replace("\u2068", "").replace("\u2069", "")


# --- the card ------------------------------------------------------------------------------------


async def test_the_card_offers_redeem_points_when_the_customer_has_points(
    till_with: Till,
) -> None:
    async with till_with(**REDEEMING) as bot:
        with_points = (await bot.text(STAFF, "demo-1001"))[-1]
        without_points = (await bot.text(STAFF, "demo-1004"))[-1]
    async with till_with() as bot:  # purchase and reverse only
        redeem_off = (await bot.text(STAFF, "demo-1001"))[-1]

    assert bot.labels(with_points)[:2] == ["🛒 Record purchase", "🎁 Redeem points"]
    assert "🎁 Redeem points" not in bot.labels(without_points)
    assert "🎁 Redeem points" not in bot.labels(redeem_off)


async def test_redeem_points_asks_points_or_money_up_to_what_the_customer_has(
    till: ChatDriver,
) -> None:
    await till.text(STAFF, "demo-1001")
    question = (await till.press(STAFF, "Redeem points"))[-1]

    assert said(question).startswith("🎁 Redeem points for demo-1001: 1,250 Stars available")
    assert till.labels(question) == ["⭐ Points", "💵 Money amount", "Cancel"]
    by_points = (await till.press(STAFF, "Points"))[-1]
    assert "Up to 1,250 Stars." in by_points["text"]
    assert till.labels(by_points) == ["All: 1,250 Stars", "Cancel"]


# --- holding, then the purchase ------------------------------------------------------------------


async def test_some_points_pay_part_of_the_purchase(till: ChatDriver) -> None:
    held = (await hold_points(till, "200"))[-1]

    assert said(held).splitlines() == [
        "🎁 200 Stars held for demo-1001",
        "💸 EGP20.00 off the purchase.",
        "⌛ The hold runs out in 10 minutes.",
    ]
    assert till.labels(held) == ["🛒 Record purchase", "Cancel"]
    assert available(till.sandbox) == 1250  # held, not spent yet
    (hold,) = sent_to(till.sandbox, "hold")
    assert hold | {"transactionTime": "-"} == {
        "customerId": "demo-1001",
        "transactionTime": "-",
        "pointsToHold": 200,
    }
    price = (await till.press(STAFF, "Record purchase"))[-1]
    assert "What is the price before the discount?" in price["text"]
    preview = (await till.text(STAFF, "450"))[-1]
    assert said(preview).splitlines()[2:] == [
        "🎁 200 Stars redeemed: EGP20.00 off",
        "💵 To pay: EGP430.00",
        "⭐ The customer will earn 43 Stars.",
    ]

    sent = await till.press(STAFF, "Confirm")

    receipt = said(sent[-1])
    assert "Amount: EGP450.00" in receipt
    assert "🎁 Redeemed: 200 Stars (EGP20.00 off)" in receipt
    assert "💵 Paid: EGP430.00" in receipt
    assert "Earned: 43 Stars" in receipt
    assert "New balance: 1,093 Stars (worth EGP109.30)" in receipt
    (order,) = orders_sent(till.sandbox)
    assert (order["totalPrice"], order["totalPaid"]) == (450.0, 430.0)
    assert order["redemption"] == {"pointsHoldReference": till.sandbox.holds()[0].reference}
    assert holds(till.sandbox) == [(200, "used")]
    assert available(till.sandbox) == 1250 - 200 + 43


async def test_all_points_are_redeemed_with_one_tap(till: ChatDriver) -> None:
    held = (await hold_points(till, None))[-1]
    assert "1,250 Stars held" in said(held)
    assert "EGP125.00 off" in held["text"]

    sent = await buy_with_held_points(till, "450")

    assert "💵 Paid: EGP325.00" in sent[-1]["text"]
    assert "Earned: 32 Stars" in sent[-1]["text"]
    assert holds(till.sandbox) == [(1250, "used")]
    assert available(till.sandbox) == 32


async def test_a_money_amount_holds_the_points_it_is_worth(till: ChatDriver) -> None:
    question = (await hold_points(till, None, how="Money amount"))[-2]
    assert "Up to EGP125.00." in question["text"]
    await till.press(STAFF, "Cancel")

    held = (await hold_points(till, "EGP 20", how="Money amount"))[-1]

    assert "200 Stars held" in said(held)
    assert sent_to(till.sandbox, "hold")[-1]["amountToHold"] == 20.0
    await buy_with_held_points(till, "450")
    assert orders_sent(till.sandbox)[0]["totalPaid"] == 430.0
    assert holds(till.sandbox) == [(1250, "released"), (200, "used")]


@pytest.mark.parametrize(
    ("how", "typed", "reason"),
    [
        ("Points", "12.5", "Points are redeemed in whole numbers."),
        ("Points", "1300", "The customer has 1,250 Stars available."),
        ("Points", "two hundred", "That is not a number of points."),
        ("Points", "0", "The number of points must be more than zero."),
        ("Money amount", "130", "The customer's points are worth EGP125.00 at most."),
        ("Money amount", "USD 20", "That is another currency: the programme uses EGP."),
    ],
)
async def test_what_cannot_be_redeemed_is_refused_with_a_reason_and_asked_again(
    till: ChatDriver, how: str, typed: str, reason: str
) -> None:
    sent = await hold_points(till, typed, how=how)

    assert sent[-1]["text"].startswith(f"⚠️ {reason}")
    assert sent[-1]["text"].endswith("Please try again.")
    assert sent_to(till.sandbox, "hold") == []
    assert "held for" in (await till.text(STAFF, "20"))[-1]["text"]


async def test_a_price_below_the_discount_is_refused(till: ChatDriver) -> None:
    await hold_points(till, "200")
    await till.press(STAFF, "Record purchase")

    sent = await till.text(STAFF, "15")

    assert "The points take EGP20.00 off, more than EGP15.00." in sent[-1]["text"]
    assert "reward-preview" not in [r.endpoint for r in till.sandbox.requests]


# --- with the customer's code (REDEEM_OTP) -------------------------------------------------------


async def test_with_codes_on_gameball_texts_a_code_and_staff_type_what_the_customer_reads(
    till_with: Till,
) -> None:
    async with till_with(**REDEEMING, redeem_otp=True) as bot:
        asked = (await hold_points(bot, "200"))[-1]
        assert "Gameball has texted the customer a code" in asked["text"]
        assert bot.labels(asked) == ["Send a new code", "Cancel"]
        assert sent_to(bot.sandbox, "otp") == [{"customerId": "demo-1001", "points": 200}]
        assert sent_to(bot.sandbox, "hold") == []

        wrong = (await bot.text(STAFF, "135790"))[-1]
        assert "Gameball refused the code: Invalid value: otp." in wrong["text"]
        assert bot.labels(wrong) == ["Send a new code", "Cancel"]
        again = (await bot.press(STAFF, "Send a new code"))[-1]
        assert "A new code is on its way" in again["text"]
        held = (await bot.text(STAFF, DEMO_OTP))[-1]

    assert "200 Stars held" in said(held)
    assert len(sent_to(bot.sandbox, "otp")) == 2
    assert [body.get("otp") for body in sent_to(bot.sandbox, "hold")] == ["135790", DEMO_OTP]
    assert holds(bot.sandbox) == [(200, "active")]


async def test_with_codes_off_no_code_is_asked_for_or_sent(till: ChatDriver) -> None:
    await hold_points(till, "200")

    assert sent_to(till.sandbox, "otp") == []
    assert "otp" not in sent_to(till.sandbox, "hold")[0]


async def test_a_code_that_is_not_digits_is_refused_before_gameball(till_with: Till) -> None:
    async with till_with(**REDEEMING, redeem_otp=True) as bot:
        await hold_points(bot, "200")
        sent = await bot.text(STAFF, "hello")
    assert "Type the digits of the code" in sent[-1]["text"]
    assert sent_to(bot.sandbox, "hold") == []


# --- Gameball says no ----------------------------------------------------------------------------


async def hold_directly(sandbox: Sandbox, points: int) -> httpx.Response:
    """Another till (or the web shop) holds some of the customer's points."""
    async with sandbox_client(sandbox) as gameball:
        body = {"customerId": "demo-1001", "pointsToHold": points}
        body["transactionTime"] = "2026-01-01T00:00:00.000Z"
        return await gameball.post(HOLD_PATH, json=body)


async def test_insufficient_points_says_so_and_asks_for_fewer(till: ChatDriver) -> None:
    await till.text(STAFF, "demo-1001")
    await till.press(STAFF, "Redeem points")
    await till.press(STAFF, "Points")
    assert (await hold_directly(till.sandbox, 1200)).status_code == 200

    sent = await till.text(STAFF, "200")

    assert sent[-2]["text"] == (
        "⚠️ The customer does not have that many points available now. Choose fewer."
    )
    assert "How many points does the customer redeem?" in sent[-1]["text"]
    assert "50 Stars held" in said((await till.text(STAFF, "50"))[-1])
    rows = hold_entries(till)
    assert [r["result"] for r in rows] == ["refused", "placed"]
    assert json.loads(rows[0]["detail"])["points"] == 200  # what was asked for


class BusyOnce(httpx.AsyncBaseTransport):
    """Gameball, busy once with another request for the same customer (code 2001)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox.transport()
        self.busy = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.busy and request.method == "POST" and request.url.path == HOLD_PATH:
            self.busy = False
            body = {"code": 2001, "type": "REQUEST_ERROR", "message": "Concurrent request"}
            return httpx.Response(422, json=body)
        return await self._sandbox.handle_async_request(request)


async def test_a_busy_customer_is_explained_and_the_hold_tried_again(
    till_with: Till, sandbox: Sandbox
) -> None:
    async with till_with(gameball_transport=BusyOnce(sandbox), **REDEEMING) as bot:
        busy = (await hold_points(bot, "200"))[-1]
        assert busy["text"] == (
            "⏳ Gameball is still busy with another request for this customer.\n"
            "Nothing is held yet."
        )
        assert bot.labels(busy) == ["🔁 Try again", "Cancel"]
        held = (await bot.press(STAFF, "Try again"))[-1]

    assert "200 Stars held" in said(held)
    assert holds(sandbox) == [(200, "active")]


async def test_gameball_down_holds_nothing_and_offers_to_try_again(till: ChatDriver) -> None:
    till.sandbox.fail_next(1, 503, endpoint="hold")

    sent = await hold_points(till, "200")

    assert "Gameball is not answering right now." in sent[-1]["text"]
    assert holds(till.sandbox) == []
    assert services_of(till.app).database.holds.active() == []


# --- the hold runs out before the purchase -------------------------------------------------------


async def test_a_hold_that_ran_out_is_explained_and_can_be_placed_again(
    till: ChatDriver, gameball_clock: ManualClock
) -> None:
    await price_held_points(till)
    gameball_clock.advance(minutes=11)

    lapsed = (await till.press(STAFF, "Confirm"))[-1]

    assert said(lapsed) == (
        "⌛ The points held for demo-1001 ran out before the purchase was recorded. "
        "Nothing was recorded. Hold the points again?"
    )
    assert till.labels(lapsed) == ["🔁 Hold again", "Cancel"]
    assert orders_sent(till.sandbox) == []
    assert "200 Stars held" in said((await till.press(STAFF, "Hold again"))[-1])
    sent = await buy_with_held_points(till, "450")
    assert "💵 Paid: EGP430.00" in sent[-1]["text"]
    assert holds(till.sandbox) == [(200, "expired"), (200, "used")]
    assert len(orders_sent(till.sandbox)) == 1


async def test_an_order_gameball_refuses_for_its_lapsed_hold_is_explained(
    till: ChatDriver, gameball_clock: ManualClock
) -> None:
    await price_held_points(till)
    gameball_clock.advance(minutes=11)
    till.sandbox.fail_next(10, 503, endpoint="hold-details")  # the bot cannot ask first

    sent = await till.press(STAFF, "Confirm")

    assert sent[-1]["text"].startswith(
        "⌛ Gameball no longer holds these points: the hold ran out.\n"
        "❌ The purchase was not recorded. Look the customer up again to redeem their points anew."
    )
    assert holds(till.sandbox) == [(200, "expired")]
    assert services_of(till.app).database.holds.active() == []
    assert available(till.sandbox) == 1250


# --- no hold left behind -------------------------------------------------------------------------


async def leave_by_cancel(bot: ChatDriver) -> list[dict[str, Any]]:
    return await bot.press(STAFF, "Cancel")


async def leave_at_confirm(bot: ChatDriver) -> list[dict[str, Any]]:
    await bot.press(STAFF, "Record purchase")
    await bot.text(STAFF, "450")
    return await bot.press(STAFF, "Cancel")


async def leave_by_command(bot: ChatDriver) -> list[dict[str, Any]]:
    return await bot.text(STAFF, "/cancel")


async def leave_for_the_next_customer(bot: ChatDriver) -> list[dict[str, Any]]:
    return await bot.press(STAFF, "Next customer")


async def leave_for_another_customer(bot: ChatDriver) -> list[dict[str, Any]]:
    return await bot.text(STAFF, "/identify demo-1002")


async def leave_by_starting_over_from_the_card(bot: ChatDriver) -> list[dict[str, Any]]:
    card = bot.message_with_button(STAFF, "Redeem points")
    return await bot.press(STAFF, "Record purchase", message=card)


@pytest.mark.parametrize(
    "leave",
    [
        leave_by_cancel,
        leave_at_confirm,
        leave_by_command,
        leave_for_the_next_customer,
        leave_for_another_customer,
        leave_by_starting_over_from_the_card,
    ],
)
async def test_leaving_the_purchase_gives_the_held_points_back(
    till: ChatDriver, leave: Any
) -> None:
    await hold_points(till, "200")

    sent = await leave(till)

    (told,) = [m for m in sent if "held are back" in m["text"]]
    assert said(told).splitlines() == [
        "The purchase for demo-1001 was not recorded.",
        "↩️ The 200 Stars held are back with the customer.",
    ]
    assert holds(till.sandbox) == [(200, "released")]
    assert available(till.sandbox) == 1250
    assert orders_sent(till.sandbox) == []


async def test_an_unanswered_redemption_expires_and_gives_the_points_back(
    till_with: Till,
) -> None:
    async with till_with(**REDEEMING, conversation_timeout=0.3) as bot:
        await hold_points(bot, "200")
        expired = await bot.fake.wait_for_message(STAFF, "held are back", timeout=5)
        assert any("This purchase was not recorded" in m["text"] for m in bot.fake.sent_messages())
        assert "200 Stars held are back" in expired["text"]
        assert holds(bot.sandbox) == [(200, "released")]


async def test_after_a_restart_an_abandoned_hold_is_released_when_the_flow_would_expire(
    till_with: Till, till_clock: ManualClock, sandbox: Sandbox
) -> None:
    async with till_with(**REDEEMING) as bot:
        await hold_points(bot, "200")
    async with till_with(**REDEEMING) as bot:
        await bot.run_queue()
        assert holds(sandbox) == [(200, "active")]  # staff may still be coming back
        till_clock.advance(minutes=11)
        await bot.run_queue()
        rows = hold_entries(bot)

    assert holds(sandbox) == [(200, "released")]
    assert [(r["result"], r["actor_id"]) for r in rows] == [("placed", STAFF), ("released", STAFF)]


async def test_a_release_gameball_does_not_answer_is_retried_by_the_queue(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await hold_points(till, "200")
    till.sandbox.set_down(503)

    sent = await till.press(STAFF, "Cancel")

    assert (
        "The 200 Stars held go back to the customer as soon as Gameball answers."
        in (sent[-1]["text"])
    )
    till.sandbox.set_down(None)
    await till.run_queue()
    assert holds(till.sandbox) == [(200, "active")]  # its backoff has not run out
    till_clock.advance(minutes=1)
    await till.run_queue()
    assert holds(till.sandbox) == [(200, "released")]
    assert services_of(till.app).database.holds.active() == []


async def test_leaving_after_the_hold_ran_out_needs_no_release(
    till: ChatDriver, gameball_clock: ManualClock
) -> None:
    await hold_points(till, "200")
    gameball_clock.advance(minutes=11)

    sent = await till.press(STAFF, "Cancel")

    assert "The 200 Stars held are back with the customer." in sent[-1]["text"]
    assert holds(till.sandbox) == [(200, "expired")]
    results = [r["result"] for r in hold_entries(till)]
    assert results == ["placed", "expired"]


async def test_a_release_is_not_retried_past_the_holds_own_expiry(
    till: ChatDriver, till_clock: ManualClock, gameball_clock: ManualClock
) -> None:
    await hold_points(till, "200")
    till.sandbox.set_down(503)
    await till.press(STAFF, "Cancel")
    till_clock.advance(hours=2)  # Gameball was down for longer than the hold lasts
    gameball_clock.advance(hours=2)

    await till.run_queue()

    assert services_of(till.app).database.holds.active() == []
    results = [r["result"] for r in hold_entries(till)]
    assert results == ["placed", "expired"]
    assert holds(till.sandbox) == [(200, "expired")]  # Gameball gave the points back itself


async def test_staff_still_at_work_keep_their_hold(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await hold_points(till, "200")
    await till.press(STAFF, "Record purchase")
    till_clock.advance(minutes=9)
    await till.text(STAFF, "450")  # a step: the hold is kept another CONVERSATION_TIMEOUT
    till_clock.advance(minutes=9)

    await till.run_queue()

    assert holds(till.sandbox) == [(200, "active")]
    assert "Purchase recorded" in (await till.press(STAFF, "Confirm"))[-1]["text"]


# --- never twice, never lost ---------------------------------------------------------------------


async def test_a_double_tap_on_confirm_uses_the_hold_once(till: ChatDriver) -> None:
    await price_held_points(till)
    preview = till.message_with_button(STAFF, "Confirm")
    data = next(d for label, d in till.fake.buttons(preview) if "Confirm" in label)

    first = till.fake.press_button(STAFF, preview, data, queue=False)
    second = till.fake.press_button(STAFF, preview, data, queue=False)
    await till.process(first)
    await till.process(second)

    assert len(orders_sent(till.sandbox)) == 1
    assert len(receipts(till)) == 1
    assert holds(till.sandbox) == [(200, "used")]
    assert available(till.sandbox) == 1250 - 200 + 43


async def test_a_redemption_gameball_could_not_take_is_sent_later_with_its_hold(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await price_held_points(till)
    till.sandbox.set_down(503)

    sent = await till.press(STAFF, "Confirm")

    assert "Saved." in sent[-1]["text"]
    till.sandbox.set_down(None)
    till_clock.advance(minutes=1)
    await till.run_queue()
    (told,) = [m["text"] for m in till.fake.sent_messages(STAFF) if "went through" in m["text"]]
    assert "🎁 Redeemed: 200 Stars (EGP20.00 off)" in told
    assert holds(till.sandbox) == [(200, "used")]
    assert services_of(till.app).database.holds.active() == []
    assert ("hold", "used") in [(r["action"], r["result"]) for r in audit_rows(till)]


async def test_a_refused_redemption_gives_the_points_back(till: ChatDriver) -> None:
    await price_held_points(till)
    till.sandbox.fail_next(1, 422, endpoint="order")

    sent = await till.press(STAFF, "Confirm")

    assert "The purchase was not recorded." in sent[-1]["text"]
    assert "The 200 Stars held are back with the customer." in sent[-1]["text"]
    assert holds(till.sandbox) == [(200, "released")]


async def test_reversing_a_redemption_gives_the_redeemed_points_back(till: ChatDriver) -> None:
    await hold_points(till, "200")
    await buy_with_held_points(till, "450")
    await till.text(MANAGER, "/orders")
    question = (await till.press(MANAGER, "Reverse"))[-1]
    assert "The 200 Stars redeemed with it go back to the customer." in question["text"]

    done = (await reverse(till))[-1]

    assert "43 Stars taken back." in done["text"]
    assert "200 Stars given back." in done["text"]
    assert available(till.sandbox) == 1250


# --- the customer's scanned code -----------------------------------------------------------------


async def test_the_scanned_hash_goes_with_the_first_hold_only(till: ChatDriver) -> None:
    valid = till.sandbox.customer_hash("demo-1001")
    await till.web_app_data(STAFF, "demo-1001" + valid)
    await till.press(STAFF, "Redeem points")
    await till.press(STAFF, "Points")
    await till.text(STAFF, "200")
    await till.press(STAFF, "Cancel")

    await hold_points(till, "100")

    assert [body.get("hash") for body in sent_to(till.sandbox, "hold")] == [valid, None]
    assert holds(till.sandbox) == [(200, "released"), (100, "active")]


async def test_a_refused_scan_asks_for_a_fresh_code_and_holds_nothing(till: ChatDriver) -> None:
    await till.web_app_data(STAFF, "demo-1001" + GAMEBALL_HASH)  # not the customer's hash now
    await till.press(STAFF, "Redeem points")
    await till.press(STAFF, "Points")

    sent = await till.text(STAFF, "200")

    assert sent[-1]["text"] == (
        "❌ Gameball refused the customer's scanned code: Invalid value: hash. Ask the customer "
        "to refresh their QR code and scan it again.\nNothing is held."
    )
    assert holds(till.sandbox) == []
    assert GAMEBALL_HASH not in json.dumps([m["text"] for m in till.fake.sent_messages()])


# --- the audit log, and what is never kept -------------------------------------------------------


async def test_holds_are_audited_and_no_hash_or_code_is_stored(
    till_with: Till, tmp_path: Path
) -> None:
    async with till_with(**REDEEMING, redeem_otp=True) as bot:
        valid = bot.sandbox.customer_hash("demo-1001")
        await bot.web_app_data(STAFF, "demo-1001" + valid)
        await bot.press(STAFF, "Redeem points")
        await bot.press(STAFF, "Points")
        await bot.text(STAFF, "200")
        await bot.text(STAFF, DEMO_OTP)
        await buy_with_held_points(bot, "450")
        rows = hold_entries(bot)
        draft_after = bot.app.user_data[STAFF]

    assert [r["result"] for r in rows] == ["placed", "used"]
    details = [json.loads(r["detail"]) for r in rows]
    assert {(d["amount"], d["points"], d["currency"]) for d in details} == {("20.00", 200, "EGP")}
    assert details[0]["order"] == orders_sent(bot.sandbox)[0]["orderId"]
    kept = stored(tmp_path)
    assert valid.encode() not in kept
    assert DEMO_OTP.encode() not in kept
    assert "purchase" not in draft_after


# --- access and language -------------------------------------------------------------------------


async def test_a_cashier_revoked_mid_redemption_cannot_go_on_and_the_points_go_back(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await hold_points(till, "200")
    services_of(till.app).database.staff.revoke(STAFF)

    sent = await till.press(STAFF, "Record purchase")

    assert sent == []
    till_clock.advance(minutes=11)
    await till.run_queue()
    assert holds(till.sandbox) == [(200, "released")]
    assert orders_sent(till.sandbox) == []


async def test_an_arabic_cashier_redeems_in_arabic(till: ChatDriver) -> None:
    await till.text(STAFF, "demo-1001", language_code="ar")
    question = (await till.press(STAFF, "استبدال", language_code="ar"))[-1]
    await till.press(STAFF, "نقاط", message=question, language_code="ar")
    held = (await till.text(STAFF, "٢٠٠", language_code="ar"))[-1]

    assert "200 Stars" in held["text"]
    assert "ج.م" in held["text"]
    assert "Record" not in held["text"]
    assert holds(till.sandbox) == [(200, "active")]
