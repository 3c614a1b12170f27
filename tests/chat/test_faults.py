"""Gameball faults at every step (PRODUCT §5), injected with the sandbox's fault modes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram.error import NetworkError

from bot.chat.context import services_of
from bot.sandbox import Sandbox
from bot.storage import Database
from tests.chat.harness import MANAGER, STAFF, ChatDriver, ManualClock, make_settings, running
from tests.chat.test_identify import fill_in_new_customer, start_new_customer, upserts
from tests.fakes.telegram import FakeTelegram, OfflineBotRequest


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture
async def bot(
    tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox, clock: ManualClock
) -> AsyncIterator[ChatDriver]:
    """A bot whose Gameball calls give up after one second (interactive deadline is ~10 s)."""
    settings = make_settings(tmp_path, gameball_deadline=1.0)
    database = Database.in_data_dir(tmp_path, clock=clock)
    async with running(settings, fake, sandbox, database=database) as driver:
        yield driver


# --- look-up ------------------------------------------------------------------------------------


async def test_two_503s_then_ok_is_one_card(bot: ChatDriver) -> None:
    bot.sandbox.fail_next(2, 503, endpoint="balance")
    sent = await bot.text(STAFF, "demo-1001")
    assert len(sent) == 1
    assert "Omar Hassan" in sent[0]["text"]


async def test_gameball_down_gives_a_retry_button_that_works_after_recovery(
    bot: ChatDriver,
) -> None:
    bot.sandbox.set_down(503)
    sent = await bot.text(STAFF, "demo-1001")
    assert "not answering" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["Retry", "Cancel"]
    bot.sandbox.set_down(None)
    sent = await bot.press(STAFF, "Retry")
    assert "Omar Hassan" in sent[-1]["text"]


async def test_a_dropped_connection_is_treated_as_unavailable(bot: ChatDriver) -> None:
    bot.sandbox.set_down(0)
    sent = await bot.text(STAFF, "demo-1001")
    assert bot.labels(sent[-1]) == ["Retry", "Cancel"]


async def test_rejected_credentials_tell_staff_and_alert_managers_once(bot: ChatDriver) -> None:
    bot.sandbox.set_down(401)
    sent = await bot.text(STAFF, "demo-1001")
    assert "credentials are rejected" in sent[-1]["text"]
    assert "manager" in sent[-1]["text"]
    await bot.text(STAFF, "/cancel")
    await bot.text(STAFF, "demo-1002")
    alerts = [
        m for m in bot.fake.sent_messages(MANAGER) if "rejects the bot's API keys" in m["text"]
    ]
    assert len(alerts) == 1
    assert "GAMEBALL_API_KEY" in alerts[0]["text"]


async def test_balance_command_when_gameball_is_down_says_so(bot: ChatDriver) -> None:
    bot.sandbox.set_down(500)
    sent = await bot.text(STAFF, "/balance demo-1001")
    assert "not answering" in sent[-1]["text"]


# --- create -------------------------------------------------------------------------------------


async def test_a_rejected_creation_shows_gameballs_reason_and_allows_an_edit(
    bot: ChatDriver,
) -> None:
    await start_new_customer(bot)
    await bot.text(STAFF, "Omar Two")
    await bot.press(STAFF, "Skip")
    await bot.text(STAFF, "omar.hassan@example.com")  # demo-1001 already has this email
    sent = await bot.press(STAFF, "Create")
    assert "did not accept" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["Create", "Edit", "Cancel"]
    await bot.press(STAFF, "Edit")
    await bot.press(STAFF, "Email")
    await bot.text(STAFF, "omar.two@example.com")
    sent = await bot.press(STAFF, "Create")
    assert "Welcome aboard" in " ".join(m["text"] for m in sent)
    assert bot.sandbox.customer("new-42") is not None


async def test_creation_when_gameball_is_down_offers_retry_and_queue(bot: ChatDriver) -> None:
    await fill_in_new_customer(bot, "Mona Hassan")
    bot.sandbox.set_down(503)
    sent = await bot.press(STAFF, "Create")
    assert "Nothing is lost" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["Retry", "Queue it", "Cancel"]
    bot.sandbox.set_down(None)
    sent = await bot.press(STAFF, "Retry")
    assert "Welcome aboard" in " ".join(m["text"] for m in sent)


async def test_queued_creation_is_sent_once_after_recovery_and_reported_once(
    bot: ChatDriver, clock: ManualClock
) -> None:
    await fill_in_new_customer(bot, "Mona Hassan")
    bot.sandbox.set_down(503)
    await bot.press(STAFF, "Create")
    sent = await bot.press(STAFF, "Queue it")
    assert "Queued" in sent[-1]["text"]
    await bot.run_queue()  # still down: stays queued
    assert services_of(bot.app).database.outbox.pending_count() == 1
    bot.sandbox.set_down(None)
    sent_before_recovery = len(upserts(bot.sandbox))
    await bot.run_queue()  # recovered, but the backoff has not elapsed yet
    assert bot.sandbox.customer("new-42") is None
    clock.advance(minutes=1)
    await bot.run_queue()
    await bot.run_queue()
    assert bot.sandbox.customer("new-42") is not None
    notices = [m for m in bot.fake.sent_messages(STAFF) if "Welcome aboard" in m["text"]]
    assert len(notices) == 1
    assert "queued sign-up for \u2068new-42\u2069 went through" in notices[0]["text"]
    assert "100 Stars" in bot.last_text(STAFF)
    assert len(upserts(bot.sandbox)) == sent_before_recovery + 1
    assert services_of(bot.app).database.outbox.pending_count() == 0


async def test_queued_creation_survives_a_restart(
    tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox
) -> None:
    settings = make_settings(tmp_path, gameball_deadline=1.0)
    async with running(settings, fake, sandbox) as bot:
        await fill_in_new_customer(bot, "Mona Hassan")
        sandbox.set_down(503)
        await bot.press(STAFF, "Create")
        await bot.press(STAFF, "Queue it")
    sandbox.set_down(None)
    async with running(settings, fake, sandbox) as bot:
        await bot.run_queue()
        notices = [m for m in fake.sent_messages(STAFF) if "Welcome aboard" in m["text"]]
    assert len(notices) == 1
    assert sandbox.customer("new-42") is not None


async def test_a_finished_item_not_yet_reported_is_reported_at_start_up(
    tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox
) -> None:
    settings = make_settings(tmp_path, gameball_deadline=1.0)
    async with running(settings, fake, sandbox) as bot:
        outbox = services_of(bot.app).database.outbox
        item = outbox.enqueue(
            chat_id=STAFF,
            user_id=STAFF,
            language="en",
            customer_id="crash-1",
            payload={
                "customer_id": "crash-1",
                "name": "Crash Test",
                "mobile": None,
                "email": "crash@example.com",
            },
        )
        (claimed,) = outbox.claim_due(item.next_attempt_at)
        outbox.mark_done(claimed.id)  # sent, then the process died before telling anyone
    sandbox.add_customer("crash-1", name="Crash Test", points=100)
    async with running(settings, fake, sandbox):
        pass
    async with running(settings, fake, sandbox):
        pass
    notices = [m for m in fake.sent_messages(STAFF) if "Crash Test" in m["text"]]
    assert len([m for m in notices if "Welcome aboard" in m["text"]]) == 1


async def test_a_queued_creation_that_gameball_rejects_is_reported_as_failed(
    bot: ChatDriver, clock: ManualClock
) -> None:
    await start_new_customer(bot)
    await bot.text(STAFF, "Omar Two")
    await bot.press(STAFF, "Skip")
    await bot.text(STAFF, "omar.hassan@example.com")
    bot.sandbox.set_down(503)
    await bot.press(STAFF, "Create")
    await bot.press(STAFF, "Queue it")
    bot.sandbox.set_down(None)
    await bot.run_queue()
    assert "could not be created" in bot.last_text(STAFF)
    assert "email" in bot.last_text(STAFF).lower()


async def test_profile_created_but_balance_unavailable_still_confirms(bot: ChatDriver) -> None:
    await fill_in_new_customer(bot, "Mona Hassan")
    bot.sandbox.fail_next(10, 503, endpoint="balance")
    sent = await bot.press(STAFF, "Create")
    texts = [m["text"] for m in sent]
    assert any("Welcome aboard" in text for text in texts)
    assert "not available right now" in texts[-1]
    assert "Refresh" in " ".join(bot.labels(sent[-1]))


async def test_a_lookup_gameball_rejects_shows_the_reason_and_asks_again(bot: ChatDriver) -> None:
    bot.sandbox.fail_next(2, 422)  # the balance and the name: the card's essentials
    sent = await bot.text(STAFF, "demo-1001")
    assert "did not accept" in sent[-1]["text"]
    assert "Send the customer ID" in sent[-1]["text"]
    sent = await bot.text(STAFF, "demo-1001")
    assert "Omar Hassan" in sent[-1]["text"]


async def test_a_slow_gameball_is_given_up_within_the_deadline(bot: ChatDriver) -> None:
    bot.sandbox.latency = 5.0  # longer than the bot's 1 s deadline
    sent = await bot.text(STAFF, "demo-1001")
    assert "not answering" in sent[-1]["text"]
    assert bot.labels(sent[-1]) == ["Retry", "Cancel"]


class TelegramOutage(OfflineBotRequest):
    """The fake Bot API, except that sendMessage fails as if Telegram were unreachable."""

    down = False

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        if self.down and url.endswith("/sendMessage"):
            raise NetworkError("Telegram unreachable")
        return await super().do_request(url, method, *args, **kwargs)


async def test_a_report_telegram_could_not_deliver_is_sent_on_the_next_run(
    tmp_path: Path, fake: FakeTelegram, sandbox: Sandbox, clock: ManualClock
) -> None:
    settings = make_settings(tmp_path, gameball_deadline=1.0)
    database = Database.in_data_dir(tmp_path, clock=clock)
    request = TelegramOutage(fake)
    async with running(settings, fake, sandbox, database=database, bot_request=request) as bot:
        await fill_in_new_customer(bot, "Mona Hassan")
        sandbox.set_down(503)
        await bot.press(STAFF, "Create")
        await bot.press(STAFF, "Queue it")
        sandbox.set_down(None)
        clock.advance(minutes=1)
        request.down = True
        await bot.run_queue()  # created, but the staff member cannot be told yet
        assert sandbox.customer("new-42") is not None
        request.down = False
        await bot.run_queue()
        await bot.run_queue()
        path = database.path
    notices = [m for m in fake.sent_messages(STAFF) if "Welcome aboard" in m["text"]]
    assert len(notices) == 1
    assert b"+201001234567" not in path.read_bytes()  # contact details erased once reported
