"""“Did you mean…?” before a sign-up (issue 18): existing profiles a new one would duplicate are
offered first, within Gameball's budget, and staff can still create.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from typing import Any

import pytest

from bot.chat.context import services_of
from bot.domain.variants import mobile_variants
from bot.gameball.limits import account_limits
from bot.services.duplicates import MAX_SIMILAR_LOOKUPS
from tests.chat.harness import STAFF, BotStarter, ChatDriver, ManualClock
from tests.chat.purchases import Till
from tests.chat.signups import fill_in, sign_up
from tests.chat.test_identify import upserts

MARIAM = "+201001234567"  # a demo customer whose ID is her mobile


def endpoint_calls(bot: ChatDriver, endpoint: str, since: int = 0) -> list[str | None]:
    return [r.customer_id for r in bot.sandbox.requests[since:] if r.endpoint == endpoint]


def database_rows(bot: ChatDriver) -> dict[str, list[dict[str, Any]]]:
    """Every table of the database file, read past the bot's own code."""
    path = services_of(bot.app).database.path
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
        return {
            table: [dict(row) for row in connection.execute(f"SELECT * FROM {table}")]
            for table in tables
            if not table.startswith("sqlite_") and "_by_" not in table and "_due" not in table
        }


# --- CUSTOMER_ID_SCHEME=mobile: the numbers one slip away are looked up --------------------------


@pytest.mark.parametrize(
    ("settings", "existing", "typed"),
    [
        pytest.param({}, MARIAM, "0100 123 4576", id="two digits swapped"),
        pytest.param({}, "+2001005551212", "0100 555 1212", id="extra leading zero"),
        pytest.param({}, "+225123456789", "+225 01 23 45 67 89", id="missing leading zero"),
        pytest.param(
            {"customer_id_template": "mobile_{digits}"},
            "mobile_1005551212",
            "0100 555 1212",
            id="missing country code",
        ),
        pytest.param(
            {"default_region": "SA"}, "+966501234567", "+971 50 123 4567", id="wrong country code"
        ),
    ],
)
async def test_a_profile_one_slip_away_is_offered_before_creating(
    bot_with: BotStarter, settings: dict[str, str], existing: str, typed: str
) -> None:
    async with bot_with(customer_id_scheme="mobile", **settings) as bot:
        if bot.sandbox.customer(existing) is None:
            bot.sandbox.add_customer(existing, name="Rana Fawzy", points=40)

        offer = (await bot.text(STAFF, typed))[-1]

        assert "these existing profiles are close" in offer["text"]
        name = "Mariam Adel" if existing == MARIAM else "Rana Fawzy"
        assert bot.labels(offer) == [f"👤 {existing} · {name}", "Create profile", "Cancel"]
        assert not upserts(bot.sandbox)


async def test_the_look_ups_are_bounded_and_paced_like_any_other(bot_with: BotStarter) -> None:
    async with bot_with(customer_id_scheme="mobile", gameball_limits="5") as bot:
        bot.sandbox.set_rate_limits(account_limits(5))  # Gameball refuses what comes faster
        offer = (await bot.text(STAFF, "0100 123 4576"))[-1]

    balances = endpoint_calls(bot, "balance")
    assert balances[0] == "+201001234576"  # the typed number first, then its variants
    assert 1 < len(balances) <= 1 + MAX_SIMILAR_LOOKUPS
    assert len(set(balances)) == len(balances)
    assert MARIAM in balances
    # The typed number's name is asked with its balance, as for any card; then only the found one's.
    assert endpoint_calls(bot, "details") == ["+201001234576", MARIAM]
    assert bot.sandbox.rate_limited == 0
    assert bot.labels(offer)[0] == f"👤 {MARIAM} · Mariam Adel"


async def test_no_more_than_the_bound_is_spent_on_one_sign_up(bot_with: BotStarter) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        await bot.text(STAFF, "+49 1512 3456789")  # a German mobile: eleven near numbers

    assert len(mobile_variants("+4915123456789", "EG")) > MAX_SIMILAR_LOOKUPS
    assert len(endpoint_calls(bot, "balance")) == 1 + MAX_SIMILAR_LOOKUPS


async def test_no_near_profile_means_the_usual_question(bot_with: BotStarter) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        offer = (await bot.text(STAFF, "0100 555 1212"))[-1]

    assert "Create a loyalty profile?" in offer["text"]
    assert bot.labels(offer) == ["Create profile", "Cancel"]
    assert endpoint_calls(bot, "details") == ["+201005551212"]  # asked with its balance


async def test_choosing_the_offered_profile_shows_its_card_and_creates_nothing(
    bot_with: BotStarter,
) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        await bot.text(STAFF, "0100 123 4576")

        card = (await bot.press(STAFF, "Mariam Adel"))[-1]

        assert "Mariam Adel" in card["text"]
        assert "🔄 Refresh" in bot.labels(card)
        assert not upserts(bot.sandbox)
        entries = services_of(bot.app).database.audit.latest(limit=1)
        assert (entries[0].action, entries[0].result) == ("lookup", "found")


async def test_staff_can_still_create_a_new_profile(bot_with: BotStarter) -> None:
    async with bot_with(customer_id_scheme="mobile") as bot:
        await bot.text(STAFF, "0100 123 4576")
        await bot.press(STAFF, "Create profile")
        await bot.text(STAFF, "Hoda Samir")
        await bot.press(STAFF, "Skip")
        await bot.press(STAFF, "Create")

    assert [body["customerId"] for body in upserts(bot.sandbox)] == ["+201001234576"]


# --- CUSTOMER_ID_SCHEME=id: a contact signed up before, under another ID --------------------------


async def test_a_mobile_signed_up_before_under_another_id_is_pointed_out(bot: ChatDriver) -> None:
    await sign_up(bot)

    summary = await fill_in(bot, "walk-in-2", mobile="+20 100 555 1212", email=None)

    assert "This mobile was signed up here before, as \u2068walk-in-1\u2069" in summary["text"]
    assert bot.labels(summary) == ["👤 walk-in-1", "Create", "Edit", "Cancel"]
    await bot.press(STAFF, "Create")
    assert [body["customerId"] for body in upserts(bot.sandbox)] == ["walk-in-1", "walk-in-2"]


async def test_an_email_is_recognised_whatever_its_case(bot: ChatDriver) -> None:
    await sign_up(bot, mobile=None, email="Salma.Nabil@Example.com")

    summary = await fill_in(
        bot, "walk-in-2", mobile="0100 555 9999", email="salma.nabil@example.com"
    )

    assert "This email was signed up here before, as \u2068walk-in-1\u2069" in summary["text"]
    card = (await bot.press(STAFF, "👤 walk-in-1"))[-1]
    assert "Salma Nabil" in card["text"]
    assert [body["customerId"] for body in upserts(bot.sandbox)] == ["walk-in-1"]


async def test_a_queued_sign_up_is_remembered_once_it_goes_through(
    till_with: Till, till_clock: ManualClock
) -> None:
    async with till_with() as bot:
        await sign_up(bot, gameball_down=True)
        till_clock.advance(minutes=1)
        await bot.run_queue()

        summary = await fill_in(bot, "walk-in-2")

    assert bot.sandbox.customer("walk-in-1") is not None
    assert "This mobile was signed up here before, as \u2068walk-in-1\u2069" in summary["text"]


async def test_contacts_are_kept_only_as_keyed_digests(bot: ChatDriver) -> None:
    await sign_up(bot, email="Salma@Example.com")

    rows = database_rows(bot)
    stored = repr(rows)
    assert "1005551212" not in stored
    assert "salma@" not in stored.lower()
    (secret,) = rows["secrets"]
    key = bytes.fromhex(secret["value"])
    assert len(key) == 32
    digests = {row["digest"]: row["customer_id"] for row in rows["contact_digests"]}
    keyed = hmac.new(key, b"mobile:+201005551212", hashlib.sha256).hexdigest()
    assert digests[keyed] == "walk-in-1"
    assert hashlib.sha256(b"mobile:+201005551212").hexdigest() not in digests
    assert hashlib.sha256(b"+201005551212").hexdigest() not in digests


async def test_the_key_is_made_once_and_kept_across_restarts(bot_with: BotStarter) -> None:
    async with bot_with() as bot:
        await sign_up(bot)
    async with bot_with() as restarted:
        summary = await fill_in(restarted, "walk-in-2")

        assert "signed up here before" in summary["text"]
        assert len(database_rows(restarted)["secrets"]) == 1
