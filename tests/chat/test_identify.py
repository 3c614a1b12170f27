"""The identify conversation, branch by branch (PRODUCT §4 and §5), through the real Application."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.contacts import example_mobile
from bot.sandbox import Sandbox
from tests.chat.harness import MANAGER, STAFF, BotStarter, ChatDriver, make_settings, running
from tests.fakes.telegram import FakeTelegram


def upserts(sandbox: Sandbox) -> list[dict[str, object]]:
    return [r.body for r in sandbox.requests if r.endpoint == "upsert"]


async def start_new_customer(bot: ChatDriver, customer_id: str = "new-42") -> None:
    """Staff send an unknown ID and tap Create profile: the bot asks for the name."""
    sent = await bot.text(STAFF, customer_id)
    assert "No customer" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["Create profile", "Cancel"]
    sent = await bot.press(STAFF, "Create profile")
    assert "name" in sent[-1]["text"]


async def fill_in_new_customer(bot: ChatDriver, name: str = "Mona") -> None:
    """An unknown ID, Create profile, a name and a mobile, no email: the summary is shown."""
    await start_new_customer(bot)
    await bot.text(STAFF, name)
    await bot.text(STAFF, "01001234567")
    sent = await bot.press(STAFF, "Skip")
    assert bot.labels(sent[-1]) == ["Create", "Edit", "Cancel"]


# --- found --------------------------------------------------------------------------------------


async def test_plain_text_of_an_existing_customer_is_one_card(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "demo-1001")
    assert len(sent) == 1
    card = sent[0]["text"]
    assert "Omar Hassan" in card
    assert "demo-1001" in card
    assert "1,250 Stars" in card
    assert "EGP" in card
    assert "Silver" in card
    assert "Gold" in card
    assert "None" not in card
    assert bot.labels(sent[0]) == ["🔄 Refresh", "➡️ Next customer"]
    balance_calls = [r for r in bot.sandbox.requests if r.endpoint == "balance"]
    assert len(balance_calls) == 1
    assert not upserts(bot.sandbox)


async def test_card_shows_pending_and_expiring_points(bot: ChatDriver) -> None:
    card = (await bot.text(STAFF, "demo-1002"))[0]["text"]
    assert "Pending: 300 Stars" in card
    assert "200 Stars expire on" in card


async def test_zero_balance_customer_without_tier_progress_shows_no_empty_lines(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    sandbox = Sandbox(with_tiers=False)
    async with running(make_settings(tmp_path), fake, sandbox) as bot:
        card = (await bot.text(STAFF, "demo-1004"))[0]["text"]
    assert "0 Stars" in card
    assert "Tier" not in card
    assert "Pending" not in card
    assert "expire" not in card


async def test_identify_command_with_the_id_looks_up_at_once(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "/identify demo-1003")
    assert "Abdullah Al-Qahtani" in sent[-1]["text"]


async def test_identify_command_without_id_asks_for_it(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "/identify")
    assert "Send the customer ID" in sent[-1]["text"]
    sent = await bot.text(STAFF, "demo-1001")
    assert "Omar Hassan" in sent[-1]["text"]


async def test_invalid_id_is_refused_with_a_second_chance(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "x" * 101)
    assert "at most 100 characters" in sent[-1]["text"]
    assert not bot.sandbox.requests
    sent = await bot.text(STAFF, "demo-1001")
    assert "Omar Hassan" in sent[-1]["text"]


async def test_next_customer_button_asks_for_the_next_id(bot: ChatDriver) -> None:
    await bot.text(STAFF, "demo-1001")
    sent = await bot.press(STAFF, "Next customer")
    assert "Send the customer ID" in sent[-1]["text"]
    sent = await bot.text(STAFF, "demo-1003")
    assert "Abdullah" in sent[-1]["text"]


async def test_refresh_updates_the_card_in_place(bot: ChatDriver) -> None:
    card = (await bot.text(STAFF, "demo-1004"))[0]
    assert "Available: 0 Stars" in card["text"]
    bot.sandbox.credit("demo-1004", 40)  # she just bought something at another till
    sent = await bot.press(STAFF, "Refresh")
    assert [m["message_id"] for m in sent] == [card["message_id"]]
    assert "Available: 40 Stars" in sent[0]["text"]
    assert "فاطمة الزهراء" in sent[0]["text"]


async def test_refresh_of_an_unchanged_card_is_quietly_accepted(bot: ChatDriver) -> None:
    await bot.text(STAFF, "demo-1004")
    sent = await bot.press(STAFF, "Refresh")  # Telegram refuses an edit that changes nothing
    assert sent == []  # no apology: the refused edit is not an error
    assert bot.calls("answerCallbackQuery")


async def test_a_long_customer_id_still_gets_a_working_refresh_button(bot: ChatDriver) -> None:
    long_id = "store-" + "ز" * 40
    bot.sandbox.add_customer(long_id, name="Long Id", points=5)
    card = (await bot.text(STAFF, long_id))[-1]
    data = [d for _, d in bot.fake.buttons(card)]
    assert all(len(d.encode()) <= 64 for d in data)
    await bot.press(STAFF, "Refresh")
    balance_ids = [r.customer_id for r in bot.sandbox.requests if r.endpoint == "balance"]
    assert balance_ids == [long_id, long_id]


# --- balance ----------------------------------------------------------------------------------


async def test_balance_command_shows_a_card(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "/balance demo-1001")
    assert "1,250 Stars" in sent[-1]["text"]


async def test_balance_of_an_unknown_customer_never_creates(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "/balance nobody-here")
    assert "No customer with ID" in sent[-1]["text"]
    assert "Create profile" not in bot.labels(sent[-1])
    assert not upserts(bot.sandbox)


async def test_balance_without_argument_explains_usage(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "/balance")
    assert "Usage: /balance" in sent[-1]["text"]


# --- create -----------------------------------------------------------------------------------


async def test_full_sign_up_creates_the_profile_and_shows_the_welcome_bonus(
    bot_with: BotStarter, sandbox: Sandbox
) -> None:
    async with bot_with(store_name="Cairo Festival City pop-up") as bot:
        await start_new_customer(bot)
        sent = await bot.text(STAFF, "Mona Hassan")
        assert "mobile" in sent[-1]["text"]
        sent = await bot.text(STAFF, "0100 123 4567")
        assert "email" in sent[-1]["text"]
        sent = await bot.text(STAFF, "Mona@Example.COM")
        summary = sent[-1]["text"]
        for expected in ("new-42", "Mona Hassan", "+201001234567", "Mona@example.com"):
            assert expected in summary
        assert bot.labels(sent[-1]) == ["Create", "Edit", "Cancel"]
        sent = await bot.press(STAFF, "Create")
    texts = [m["text"] for m in sent]
    assert any("Welcome aboard" in text and "Mona Hassan" in text for text in texts)
    assert "100 Stars" in texts[-1]
    assert upserts(sandbox) == [
        {
            "customerId": "new-42",
            "mobile": "+201001234567",
            "email": "Mona@example.com",
            "customerAttributes": {
                "displayName": "Mona Hassan",
                "firstName": "Mona",
                "lastName": "Hassan",
                "email": "Mona@example.com",
                "mobile": "+201001234567",
                "preferredLanguage": "en",
                "channel": "pos",
                "custom": {"store": "Cairo Festival City pop-up"},
            },
        }
    ]


async def test_skipping_name_and_mobile_makes_the_email_required(bot: ChatDriver) -> None:
    await start_new_customer(bot)
    await bot.press(STAFF, "Skip")
    sent = await bot.press(STAFF, "Skip")
    assert "needed because there is no mobile" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == []
    sent = await bot.text(STAFF, "not-an-email")
    assert "valid email" in sent[0]["text"]
    sent = await bot.text(STAFF, "guest@example.com")
    assert "Create" in bot.labels(sent[-1])
    await bot.press(STAFF, "Create")
    assert upserts(bot.sandbox)[0]["email"] == "guest@example.com"
    assert "mobile" not in upserts(bot.sandbox)[0]


async def test_email_can_be_skipped_when_a_mobile_was_given(bot: ChatDriver) -> None:
    await start_new_customer(bot)
    await bot.text(STAFF, "Karim")
    sent = await bot.text(STAFF, "+20 122 765 4300")
    assert bot.labels(sent[-1]) == ["Skip"]
    sent = await bot.press(STAFF, "Skip")
    assert "+201227654300" in sent[-1]["text"]


async def test_invalid_mobile_says_why_shows_an_example_and_asks_again(bot: ChatDriver) -> None:
    await start_new_customer(bot)
    await bot.text(STAFF, "Karim")
    sent = await bot.text(STAFF, "0100 12")
    example = example_mobile("EG")
    assert sent[0]["text"] == f"⚠️ That number is too short. Example: {example}. Please try again."
    assert "mobile number" in sent[-1]["text"]
    sent = await bot.text(STAFF, "٠١٠٠١٢٣٤٥٦٧")
    assert "email" in sent[-1]["text"]


async def test_a_shared_contact_card_is_accepted_as_the_mobile(bot: ChatDriver) -> None:
    await start_new_customer(bot)
    await bot.text(STAFF, "Karim")
    sent = await bot.contact(STAFF, "201001234567")
    assert "email" in sent[-1]["text"]
    sent = await bot.press(STAFF, "Skip")
    assert "+201001234567" in sent[-1]["text"]


async def test_edit_from_the_summary_changes_one_field(bot: ChatDriver) -> None:
    await fill_in_new_customer(bot)
    sent = await bot.press(STAFF, "Edit")
    assert bot.labels(sent[-1]) == ["Name", "Mobile", "Email", "Back"]
    await bot.press(STAFF, "Name")
    sent = await bot.text(STAFF, "Mona Adel")
    assert "Mona Adel" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["Create", "Edit", "Cancel"]


async def test_a_double_tap_on_create_creates_once(bot: ChatDriver) -> None:
    await fill_in_new_customer(bot)
    summary = bot.message_with_button(STAFF, "Create")
    data = next(d for text, d in bot.fake.buttons(summary) if text == "Create")
    first = bot.fake.press_button(STAFF, summary, data, queue=False)
    second = bot.fake.press_button(STAFF, summary, data, queue=False)
    await bot.process(first)
    await bot.process(second)
    assert len(upserts(bot.sandbox)) == 1
    welcomes = [m for m in bot.fake.sent_messages(STAFF) if "Welcome aboard" in m["text"]]
    assert len(welcomes) == 1


async def test_cancel_on_not_found_creates_nothing(bot: ChatDriver) -> None:
    await bot.text(STAFF, "new-42")
    sent = await bot.press(STAFF, "Cancel")
    assert "Cancelled" in sent[-1]["text"]
    assert not upserts(bot.sandbox)


@pytest.mark.parametrize("answers", [[], ["Mona"], ["Mona", "01001234567"]])
async def test_cancel_command_works_at_every_step(bot: ChatDriver, answers: list[str]) -> None:
    await start_new_customer(bot)
    for answer in answers:
        await bot.text(STAFF, answer)
    sent = await bot.text(STAFF, "/cancel")
    assert "Cancelled" in sent[-1]["text"]
    sent = await bot.text(STAFF, "demo-1001")
    assert "Omar Hassan" in sent[-1]["text"]
    assert not upserts(bot.sandbox)


async def test_cancel_outside_a_flow_says_there_is_nothing_to_cancel(bot: ChatDriver) -> None:
    sent = await bot.text(STAFF, "/cancel")
    assert "Nothing to cancel" in sent[-1]["text"]


async def test_a_sticker_mid_flow_gets_a_hint(bot: ChatDriver) -> None:
    await start_new_customer(bot)
    sent = await bot.sticker(STAFF)
    assert "type the customer's name" in sent[-1]["text"]
    sent = await bot.text(STAFF, "Mona")
    assert "mobile" in sent[-1]["text"]


async def test_text_where_a_button_is_expected_gets_a_hint(bot: ChatDriver) -> None:
    await fill_in_new_customer(bot)
    sent = await bot.text(STAFF, "create it please")
    assert "use the buttons above" in sent[-1]["text"]


async def test_a_button_of_an_earlier_flow_does_nothing(bot: ChatDriver) -> None:
    await bot.text(STAFF, "new-1")
    old_offer = bot.message_with_button(STAFF, "Create profile")
    await bot.text(STAFF, "new-2")
    await bot.press(STAFF, "Create profile", message=old_offer)
    answers = bot.calls("answerCallbackQuery")
    assert "earlier customer" in answers[-1]["text"]
    assert not upserts(bot.sandbox)


async def test_a_new_id_while_not_found_is_a_new_lookup(bot: ChatDriver) -> None:
    await bot.text(STAFF, "new-42")
    sent = await bot.text(STAFF, "demo-1001")
    assert "Omar Hassan" in sent[-1]["text"]


async def test_an_unanswered_flow_expires_with_a_message(
    bot_with: BotStarter, fake: FakeTelegram
) -> None:
    async with bot_with(conversation_timeout=0.3) as bot:
        await bot.text(STAFF, "new-42")
        expired = await fake.wait_for_message(STAFF, "expired", timeout=5)
        assert "Send the customer's ID" in expired["text"]
        sent = await bot.text(STAFF, "demo-1001")
        assert "Omar Hassan" in sent[-1]["text"]


# --- scheme: mobile -----------------------------------------------------------------------------


async def test_mobile_scheme_derives_the_id_from_the_number(bot_with: BotStarter) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        sent = await bot.text(STAFF, "0100-123-4567")
    assert "Mariam Adel" in sent[-1]["text"]


async def test_mobile_scheme_sign_up_skips_the_mobile_step(
    bot_with: BotStarter, sandbox: Sandbox
) -> None:
    async with bot_with(customer_id_scheme="mobile", customer_id_template="mobile_{digits}") as bot:
        sent = await bot.text(STAFF, "/identify 0020 122 000 1111")
        assert "mobile_201220001111" in sent[-1]["text"]
        await bot.press(STAFF, "Create profile")
        sent = await bot.text(STAFF, "Hany Saleh")
        assert "email" in sent[-1]["text"]
        assert bot.labels(sent[-1]) == ["Skip"]
        await bot.press(STAFF, "Skip")
        sent = await bot.press(STAFF, "Edit")
        assert "Mobile" not in bot.labels(sent[-1])
        await bot.press(STAFF, "Back")
        await bot.press(STAFF, "Create")
    body = upserts(sandbox)[0]
    assert body["customerId"] == "mobile_201220001111"
    assert body["mobile"] == "+201220001111"


async def test_mobile_scheme_refuses_text_that_is_not_a_number(
    bot_with: BotStarter, sandbox: Sandbox
) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        sent = await bot.text(STAFF, "hello there")
    assert "phone number" in sent[-1]["text"]
    assert not sandbox.requests


async def test_mobile_scheme_balance_accepts_a_plain_id_too(bot_with: BotStarter) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        sent = await bot.text(MANAGER, "/balance demo-1003")
    assert "Abdullah" in sent[-1]["text"]


# --- restart ----------------------------------------------------------------------------------


async def test_a_conversation_survives_a_restart(bot_with: BotStarter, sandbox: Sandbox) -> None:
    async with bot_with() as bot:
        await start_new_customer(bot)
        await bot.text(STAFF, "Mona")
    async with bot_with() as bot:
        sent = await bot.text(STAFF, "01001234567")
        assert "email" in sent[-1]["text"]
        await bot.press(STAFF, "Skip")
        await bot.press(STAFF, "Create")
    assert upserts(sandbox)[0]["customerAttributes"]["displayName"] == "Mona"


async def test_a_flow_older_than_the_timeout_expires_after_a_restart(
    bot_with: BotStarter, sandbox: Sandbox
) -> None:
    async with bot_with() as bot:
        await start_new_customer(bot)
    async with bot_with(conversation_timeout=0.01) as bot:
        sent = await bot.text(STAFF, "Mona")
    assert "expired" in sent[-1]["text"]
    assert not upserts(sandbox)


async def test_sandbox_mode_works_even_when_real_keys_are_configured(
    tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox
) -> None:
    settings = make_settings(
        tmp_path, gameball_api_key="gb_live_configured", gameball_secret_key="configured"
    )
    async with running(settings, fake, sandbox, gameball_transport=None) as bot:
        sent = await bot.text(STAFF, "demo-1001")
    assert "Omar Hassan" in sent[-1]["text"]
