"""A manager runs the team from the chat (PRODUCT §3): invites, the staff list with Revoke, and the
activity log with its audit trail.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.chat.context import services_of
from bot.sandbox import Sandbox
from bot.storage import Database
from tests.chat.harness import (
    MANAGER,
    STAFF,
    BotStarter,
    ChatDriver,
    ManualClock,
    make_settings,
    running,
)
from tests.fakes.telegram import FakeTelegram

CO_MANAGER, NEWCOMER, LATECOMER = 112, 444, 555
NAMES = {MANAGER: "Maya", CO_MANAGER: "Omar", STAFF: "Sara", NEWCOMER: "Mona", LATECOMER: "Karim"}
INVITE_LINK = re.compile(r"https://t\.me/checkout_test_bot\?start=(?P<code>\S+)")
URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")
MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
#: A user ID as a copyable value: direction-isolated so it reads the same inside Arabic text.
ISOLATED_STAFF_ID = f"\u2068{STAFF}\u2069"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
async def timed_bot(
    tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox, clock: ManualClock
) -> AsyncIterator[ChatDriver]:
    """The bot on a database whose clock the test controls, with a second configured manager."""
    settings = make_settings(tmp_path, manager_ids=[MANAGER, CO_MANAGER])
    database = Database(settings.database_path, clock=clock)
    async with running(settings, fake, sandbox, database=database) as driver:
        yield driver


async def _say(bot: ChatDriver, user_id: int, text: str) -> list[dict[str, Any]]:
    """The user, under their Telegram name, sends ``text`` in their private chat."""
    return await bot.text(user_id, text, first_name=NAMES[user_id])


async def _invite(bot: ChatDriver) -> str:
    """The manager's /invite; returns the code of the deep link it offers."""
    sent = await _say(bot, MANAGER, "/invite")
    match = INVITE_LINK.search(sent[0]["text"])
    assert match is not None, sent[0]["text"]
    return match["code"]


async def _redeem(bot: ChatDriver, user_id: int, invite_code: str) -> str:
    sent = await _say(bot, user_id, f"/start {invite_code}")
    return str(sent[0]["text"])


async def _can_identify(bot: ChatDriver, user_id: int) -> bool:
    """Whether the user's customer ID gets a balance card (and so reached Gameball)."""
    requests_before = len(bot.sandbox.requests)
    sent = await _say(bot, user_id, "demo-1001")
    got_card = any("Refresh" in label for message in sent for label in bot.labels(message))
    assert got_card == (len(bot.sandbox.requests) > requests_before)
    return got_card


def _audit_rows(database_path: Path) -> list[dict[str, Any]]:
    """The audit table as stored on disk, read past the bot's own code."""
    with sqlite3.connect(f"file:{database_path}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM audit ORDER BY id")]


# --- invites ---------------------------------------------------------------------------------


async def test_invite_is_a_one_time_deep_link_with_an_unguessable_code(bot: ChatDriver) -> None:
    first, second = await _invite(bot), await _invite(bot)

    assert URL_SAFE.fullmatch(first)
    assert len(first) * 6 >= 128  # each url-safe character carries 6 bits
    assert first != second
    assert "works once" in bot.last_text(MANAGER)


async def test_an_invite_link_is_sent_without_a_link_preview(bot: ChatDriver) -> None:
    await _invite(bot)

    sent = [call for call in bot.fake.calls if call.method.lower() == "sendmessage"]
    assert INVITE_LINK.search(sent[-1].params["text"])
    assert sent[-1].params["link_preview_options"] == {"is_disabled": True}


async def test_opening_an_invite_makes_a_new_user_staff_and_tells_the_manager(
    bot: ChatDriver,
) -> None:
    invite_code = await _invite(bot)
    assert not await _can_identify(bot, NEWCOMER)

    welcome = await _redeem(bot, NEWCOMER, invite_code)

    assert "Welcome to the team" in welcome
    assert "Mona joined as staff" in bot.last_text(MANAGER)
    assert await _can_identify(bot, NEWCOMER)


async def test_an_invite_works_only_once(bot: ChatDriver) -> None:
    invite_code = await _invite(bot)
    await _redeem(bot, NEWCOMER, invite_code)

    refusal = await _redeem(bot, LATECOMER, invite_code)

    assert "already used" in refusal
    assert not await _can_identify(bot, LATECOMER)
    assert "Karim" not in bot.last_text(MANAGER)


async def test_an_invite_expires_after_24_hours(timed_bot: ChatDriver, clock: ManualClock) -> None:
    on_time, too_late = await _invite(timed_bot), await _invite(timed_bot)

    clock.advance(hours=23, minutes=59)
    welcome = await _redeem(timed_bot, NEWCOMER, on_time)
    clock.advance(minutes=1)
    refusal = await _redeem(timed_bot, LATECOMER, too_late)

    assert "Welcome to the team" in welcome
    assert "expired" in refusal
    assert not await _can_identify(timed_bot, LATECOMER)


async def test_a_made_up_invite_code_is_refused(bot: ChatDriver) -> None:
    refusal = await _redeem(bot, NEWCOMER, "A" * 32)

    assert "not valid" in refusal
    assert not await _can_identify(bot, NEWCOMER)


async def test_guessing_invite_codes_is_throttled(bot: ChatDriver) -> None:
    invite_code = await _invite(bot)
    refusals = [await _redeem(bot, NEWCOMER, f"guess-{attempt}") for attempt in range(5)]

    throttled = await _redeem(bot, NEWCOMER, invite_code)

    assert all("not valid" in refusal for refusal in refusals)
    assert "Too many invalid invite links" in throttled
    assert not await _can_identify(bot, NEWCOMER)
    assert "Welcome to the team" in await _redeem(bot, LATECOMER, invite_code)


# --- the staff list and revocation ------------------------------------------------------------


async def test_staff_lists_the_team_with_a_revoke_button_per_staff_member(
    timed_bot: ChatDriver, clock: ManualClock
) -> None:
    await _say(timed_bot, STAFF, "demo-1001")
    await _say(timed_bot, CO_MANAGER, "/queue")
    clock.advance(days=2)
    await _redeem(timed_bot, NEWCOMER, await _invite(timed_bot))

    team = (await _say(timed_bot, MANAGER, "/staff"))[0]

    lines = team["text"].splitlines()
    assert lines[0] == "Team (4)"
    assert lines[1].startswith("• Maya (manager)")
    assert lines[2].startswith("• Omar (manager)")
    assert "Sara (staff)" in lines[3]
    assert "since 3 Mar 2025" in lines[3]
    assert "Mona (staff)" in lines[4]
    assert "since 5 Mar 2025" in lines[4]
    assert timed_bot.labels(team) == ["🚫 Revoke Sara", "🚫 Revoke Mona"]


async def test_staff_details_are_listed_with_the_readers_commas(timed_bot: ChatDriver) -> None:
    await _say(timed_bot, STAFF, "demo-1001")

    english = (await _say(timed_bot, MANAGER, "/staff"))[0]["text"].splitlines()
    arabic = (await timed_bot.text(MANAGER, "/staff", first_name="Maya", language_code="ar"))[0]

    assert english[3] == f"• Sara (staff), {ISOLATED_STAFF_ID}, since 3 Mar 2025"
    assert arabic["text"].splitlines()[3] == (
        f"• Sara (موظف)، و{ISOLATED_STAFF_ID}، ومنذ 3 مارس 2025"
    )


async def test_activity_times_are_written_the_readers_way(
    timed_bot: ChatDriver, clock: ManualClock
) -> None:
    clock.advance(hours=5, minutes=7)
    await _say(timed_bot, STAFF, "demo-1001")

    english = (await _say(timed_bot, MANAGER, "/activity"))[0]["text"]
    arabic = (await timed_bot.text(MANAGER, "/activity", first_name="Maya", language_code="ar"))[0]

    assert "Mar 3, 14:07 · \u2068Sara\u2069: looked up \u2068demo-1001\u2069" in english
    assert "3 مارس، 14:07، \u2068Sara\u2069: البحث عن \u2068demo-1001\u2069" in arabic["text"]


async def test_revoke_asks_first_and_cuts_the_person_off_at_once(bot: ChatDriver) -> None:
    await _say(bot, STAFF, "demo-1001")
    old_card = bot.message_with_button(STAFF, "Refresh")
    await _say(bot, MANAGER, "/staff")

    question = await bot.press(MANAGER, "Revoke Sara")
    assert "Revoke access for Sara?" in question[0]["text"]
    assert await _can_identify(bot, STAFF)  # nothing happens before the manager confirms
    answer = await bot.press(MANAGER, "Yes, revoke")

    assert answer[0]["text"] == "Access revoked."
    assert not await _can_identify(bot, STAFF)
    requests_before = len(bot.sandbox.requests)
    assert await bot.press(STAFF, "Refresh", message=old_card) == []
    assert len(bot.sandbox.requests) == requests_before
    team = (await _say(bot, MANAGER, "/staff"))[0]
    assert "Sara" not in team["text"]
    assert str(STAFF) not in team["text"]


async def test_answering_no_to_revoke_changes_nothing(bot: ChatDriver) -> None:
    await _say(bot, STAFF, "demo-1001")
    await _say(bot, MANAGER, "/staff")
    await bot.press(MANAGER, "Revoke Sara")

    answer = await bot.press(MANAGER, "No")

    assert answer[0]["text"] == "Nothing changed."
    assert await _can_identify(bot, STAFF)


async def test_a_revoked_cashier_cannot_finish_a_sign_up_in_progress(bot: ChatDriver) -> None:
    await _say(bot, STAFF, "new-42")
    await bot.press(STAFF, "Create profile")
    await _say(bot, STAFF, "Mona Aly")
    await _say(bot, STAFF, "0100 123 4567")
    await bot.press(STAFF, "Skip")
    summary = bot.message_with_button(STAFF, "Create")
    await _say(bot, MANAGER, "/staff")
    await bot.press(MANAGER, "Revoke Sara")
    await bot.press(MANAGER, "Yes, revoke")
    requests_before = len(bot.sandbox.requests)

    sent = await bot.press(STAFF, "Create", message=summary)

    assert sent == []
    assert len(bot.sandbox.requests) == requests_before
    assert bot.sandbox.customer("new-42") is None


# --- audit and /activity ---------------------------------------------------------------------


async def test_a_sign_up_is_audited_without_contact_details(bot_with: BotStarter) -> None:
    async with bot_with(store_name="Mall Pop-up") as bot:
        database_path = services_of(bot.app).database.path
        await _say(bot, STAFF, "new-42")
        await bot.press(STAFF, "Create profile")
        await _say(bot, STAFF, "Mona Aly")
        await _say(bot, STAFF, "0100 123 4567")
        await _say(bot, STAFF, "Mona.Aly@Example.com")
        await bot.press(STAFF, "Create")
        assert "🔄 Refresh" in bot.labels(bot.fake.last_message(STAFF))

    rows = _audit_rows(database_path)

    assert [(row["action"], row["result"]) for row in rows] == [
        ("lookup", "not_found"),
        ("create", "created"),
    ]
    for row in rows:
        assert (row["actor_id"], row["actor_name"]) == (STAFF, "Sara")
        assert (row["customer_id"], row["store"]) == ("new-42", "Mall Pop-up")
    stored = " ".join(str(value) for row in rows for value in row.values()).lower()
    assert "1001234567" not in stored
    assert "mona.aly" not in stored


async def _look_up_many(bot: ChatDriver, user_id: int, count: int) -> None:
    """``count`` look-ups of unknown customers named after the user: ``sara-01``, ``sara-02``…"""
    for number in range(1, count + 1):
        await _say(bot, user_id, f"{NAMES[user_id].lower()}-{number:02}")


async def test_activity_pages_back_and_filters_by_person(bot: ChatDriver) -> None:
    await _look_up_many(bot, STAFF, 7)
    await _look_up_many(bot, MANAGER, 5)

    newest = (await _say(bot, MANAGER, "/activity"))[0]
    older = (await bot.press(MANAGER, "Older"))[0]
    saras = (await bot.press(MANAGER, "👤 Sara"))[0]

    shown = [f"maya-{n:02}" for n in range(1, 6)] + [f"sara-{n:02}" for n in range(3, 8)]
    assert all(customer_id in newest["text"] for customer_id in shown)
    assert "sara-02" not in newest["text"]
    assert "sara-01" in older["text"]
    assert "sara-02" in older["text"]
    assert "maya" not in older["text"]
    assert "Older" not in bot.labels(older)
    assert all(f"sara-{n:02}" in saras["text"] for n in range(1, 8))
    assert "maya-" not in saras["text"]
    assert "Everyone" in bot.labels(saras)


async def test_activity_offers_no_older_page_when_everything_fits(bot: ChatDriver) -> None:
    await _look_up_many(bot, STAFF, 10)

    page = (await _say(bot, MANAGER, "/activity"))[0]

    assert all(f"sara-{n:02}" in page["text"] for n in range(1, 11))
    assert "Older" not in bot.labels(page)


async def test_activity_masks_phone_derived_customer_ids(bot_with: BotStarter) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        database_path = services_of(bot.app).database.path
        await _say(bot, STAFF, "0100 123 4567")
        page = (await _say(bot, MANAGER, "/activity"))[0]

    assert "+20•••••••567" in page["text"]
    assert "1001234567" not in page["text"]
    assert [row["customer_id"] for row in _audit_rows(database_path)] == ["+20•••••••567"]
