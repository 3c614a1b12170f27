"""Cards that fade (issue 18): after ``CARD_TTL`` minutes, no name, contact or balance is left in
a staff chat; what Telegram refuses to edit is dropped quietly; a press on a closed card is
answered "closed".
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest

from bot.chat.context import services_of
from tests.chat.harness import MANAGER, STAFF, ChatDriver, ManualClock
from tests.chat.purchases import Till, record_purchase
from tests.chat.signups import sign_up

CLOSED = "This card is closed. Look the customer up again."


def bot_texts(bot: ChatDriver, chat_id: int = STAFF) -> list[str]:
    return [message["text"] for message in bot.fake.sent_messages(chat_id)]


def edits(bot: ChatDriver) -> int:
    """Edits the bot asked for, accepted or refused."""
    accepted = [call for call in bot.fake.calls if call.method == "editMessageText"]
    refused = [call for call, _ in bot.fake.rejected if call.method == "editMessageText"]
    return len(accepted) + len(refused)


def scheduled(bot: ChatDriver) -> list[dict[str, Any]]:
    """The fading schedule as stored on disk, read past the bot's own code."""
    path = services_of(bot.app).database.path
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM fades")]


async def test_a_card_fades_to_one_masked_line_after_card_ttl(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    card = (await till.text(STAFF, "demo-1002"))[0]
    till_clock.advance(minutes=29, seconds=59)
    await till.fade_due()
    assert "Nour El-Sayed" in till.fake.last_message(STAFF)["text"]

    till_clock.advance(seconds=1)
    await till.fade_due()

    faded = till.fake.last_message(STAFF)
    assert faded["message_id"] == card["message_id"]
    assert faded["text"] == "🔒 Customer \u2068demo-1002\u2069 · card closed"
    assert till.labels(faded) == []
    assert scheduled(till) == []


async def test_receipts_and_sign_ups_leave_no_name_contact_or_balance_behind(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await record_purchase(till, "450", customer_id="demo-1002")
    await sign_up(till, email="salma@example.com")
    shown = " ".join(bot_texts(till))
    for private in ("Nour El-Sayed", "Salma Nabil", "+201005551212", "salma@example.com"):
        assert private in shown
    assert "New balance" in shown

    till_clock.advance(minutes=30)
    await till.fade_due()

    left = " ".join(bot_texts(till))
    for private in ("Nour", "Salma", "1005551212", "salma@", "Available", "New balance"):
        assert private not in left
    closed = [text for text in bot_texts(till) if text.startswith("🔒")]
    assert "🔒 Customer \u2068demo-1002\u2069 · receipt closed" in closed
    assert "🔒 Customer \u2068walk-in-1\u2069 · sign-up closed" in closed
    assert "🔒 Customer \u2068walk-in-1\u2069 · card closed" in closed


async def test_the_closed_line_masks_a_phone_number_id_as_the_audit_log_does(
    till_with: Till, till_clock: ManualClock
) -> None:
    async with till_with(customer_id_scheme="mobile") as bot:
        await bot.text(STAFF, "0100 123 4567")
        assert all("1001234567" not in str(row) for row in scheduled(bot))
        till_clock.advance(minutes=30)
        await bot.fade_due()

        assert bot.fake.last_message(STAFF)["text"] == (
            "🔒 Customer \u2068+20•••••••567\u2069 · card closed"
        )
        assert not [text for text in bot_texts(bot) if "1001234567" in text]


async def test_an_arabic_card_fades_to_an_arabic_line(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await till.text(STAFF, "demo-1001", language_code="ar")
    till_clock.advance(minutes=30)
    await till.fade_due()

    assert till.fake.last_message(STAFF)["text"] == "🔒 العميل \u2068demo-1001\u2069، البطاقة مغلقة"


async def test_refreshing_a_card_keeps_it_for_another_card_ttl(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await till.text(STAFF, "demo-1001")
    till_clock.advance(minutes=20)
    await till.press(STAFF, "Refresh")

    till_clock.advance(minutes=29)
    await till.fade_due()
    assert "Omar Hassan" in till.fake.last_message(STAFF)["text"]
    till_clock.advance(minutes=1)
    await till.fade_due()

    assert "card closed" in till.fake.last_message(STAFF)["text"]


async def test_the_schedule_survives_a_restart(till_with: Till, till_clock: ManualClock) -> None:
    async with till_with() as bot:
        await bot.text(STAFF, "demo-1001")
    till_clock.advance(minutes=31)

    async with till_with() as restarted:
        await restarted.fade_due()

        assert "card closed" in restarted.fake.last_message(STAFF)["text"]
        assert "Omar Hassan" not in " ".join(bot_texts(restarted))


@pytest.mark.parametrize("button", ["Refresh", "Record purchase"])
async def test_a_card_telegram_no_longer_edits_is_dropped_quietly_and_its_buttons_say_closed(
    till: ChatDriver, till_clock: ManualClock, caplog: pytest.LogCaptureFixture, button: str
) -> None:
    card = (await till.text(STAFF, "demo-1001"))[0]
    till.fake.let_time_pass(STAFF, hours=49)
    till_clock.advance(minutes=30)
    sent_before = len(till.fake.sent_messages())

    with caplog.at_level(logging.INFO):
        await till.fade_due()
        await till.fade_due()
    old_copy = till.fake.last_message(STAFF)
    requests_before = len(till.sandbox.requests)
    answer = await till.process(till.fake.press_label(STAFF, button, message=old_copy, queue=False))

    assert edits(till) == 1  # tried once, then never again
    assert "can't be edited" in till.fake.rejected[-1][1]
    assert old_copy["text"] == card["text"]
    assert len(till.fake.sent_messages()) == sent_before  # nobody was told of the refusal
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert answer == []  # no new message, no card, no purchase
    assert till.calls("answerCallbackQuery")[-1]["text"] == CLOSED
    assert len(till.sandbox.requests) == requests_before


async def test_a_card_the_user_deleted_is_dropped_quietly(
    till: ChatDriver, till_clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    card = (await till.text(STAFF, "demo-1001"))[0]
    till.fake.user_deletes(STAFF, card["message_id"])
    till_clock.advance(minutes=30)

    with caplog.at_level(logging.INFO):
        await till.fade_due()
        await till.fade_due()

    assert edits(till) == 1
    assert "message to edit not found" in till.fake.rejected[-1][1]
    assert scheduled(till) == []
    assert till.fake.sent_messages(STAFF) == []
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_a_press_on_a_card_due_to_fade_closes_it_at_once(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    await till.text(STAFF, "demo-1001")
    till_clock.advance(minutes=30)
    requests_before = len(till.sandbox.requests)

    changed = await till.press(STAFF, "Refresh")

    assert [message["text"] for message in changed] == [
        "🔒 Customer \u2068demo-1001\u2069 · card closed"
    ]
    assert till.calls("answerCallbackQuery")[-1]["text"] == CLOSED
    assert len(till.sandbox.requests) == requests_before


async def test_a_stranger_pressing_a_closed_card_is_refused_as_before(
    till: ChatDriver, till_clock: ManualClock
) -> None:
    card = (await till.text(STAFF, "demo-1001"))[0]
    till.fake.let_time_pass(STAFF, hours=49)
    till_clock.advance(minutes=30)
    await till.fade_due()
    await till.text(MANAGER, "/staff")
    await till.press(MANAGER, "Revoke")
    await till.press(MANAGER, "Yes, revoke")

    await till.process(till.fake.press_label(STAFF, "Refresh", message=card, queue=False))

    assert "don't have access" in till.calls("answerCallbackQuery")[-1]["text"]


async def test_card_ttl_0_leaves_cards_as_they_are(
    till_with: Till, till_clock: ManualClock
) -> None:
    async with till_with(card_ttl=0) as bot:
        await bot.text(STAFF, "demo-1001")
        till_clock.advance(hours=47)
        await bot.fade_due()

        assert "Omar Hassan" in bot.fake.last_message(STAFF)["text"]
        assert scheduled(bot) == []
