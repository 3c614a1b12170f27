"""Webhook mode over real HTTP on loopback, with the fake Bot API as Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.error import InvalidToken

from bot import __version__
from bot.app import build_application
from bot.config import ConfigError, Settings
from bot.sandbox import Sandbox
from bot.storage import Database
from bot.webhook import SECRET_HEADER, WebhookServer, webhook_endpoint
from tests.fakes.telegram import FakeTelegram, FakeTelegramServer

PUBLIC_URL = "https://bot.example.com/telegram/hook"
SECRET = "s3cret_webhook-token"
MANAGER = 4242


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(FakeTelegram()) as server:
        yield server


def settings_for(telegram: FakeTelegramServer, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": telegram.fake.token,
        "telegram_base_url": telegram.base_url,
        "gameball_sandbox": True,
        "manager_ids": [MANAGER],
        "data_dir": data_dir,
        "webhook_url": PUBLIC_URL,
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
    }
    return Settings(_env_file=None, **(values | overrides))


@pytest.fixture
async def webhook(telegram: FakeTelegramServer, tmp_path: Path) -> AsyncIterator[WebhookServer]:
    settings = settings_for(telegram, tmp_path)
    async with WebhookServer(build_application(settings), settings, port=0) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        yield client


def local_url(server: WebhookServer, path: str | None = None) -> str:
    return f"http://127.0.0.1:{server.port}{server.path if path is None else path}"


async def deliver(
    http: httpx.AsyncClient, server: WebhookServer, update: dict[str, Any], **headers: str
) -> int:
    response = await http.post(local_url(server), json=update, headers=headers)
    return response.status_code


async def test_update_with_the_right_secret_is_answered_through_the_bot_api(
    webhook: WebhookServer, telegram: FakeTelegramServer, http: httpx.AsyncClient
) -> None:
    update = telegram.fake.user_text(MANAGER, "/start", queue=False)

    assert await deliver(http, webhook, update, **{SECRET_HEADER: SECRET}) == 200

    answer = await telegram.fake.wait_for_message(MANAGER, "/invite")
    assert "Ready for checkout" in answer["text"]


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "wrong-secret"}, {SECRET_HEADER: SECRET + "x"}]
)
async def test_missing_or_wrong_secret_is_refused_and_nothing_is_processed(
    webhook: WebhookServer,
    telegram: FakeTelegramServer,
    http: httpx.AsyncClient,
    headers: dict[str, str],
) -> None:
    forged = telegram.fake.user_text(MANAGER, "/start", queue=False)
    genuine = telegram.fake.user_text(MANAGER, "/help", queue=False)

    assert await deliver(http, webhook, forged, **headers) == 403
    assert await deliver(http, webhook, genuine, **{SECRET_HEADER: SECRET}) == 200

    # Updates of one chat are processed in arrival order: had the forged one been queued,
    # its answer would already be there when the genuine one's arrives.
    await telegram.fake.wait_for_message(MANAGER, "/invite")
    assert len(telegram.fake.sent_messages(MANAGER)) == 1


async def test_registers_the_webhook_with_its_secret_and_every_update_kind(
    webhook: WebhookServer, telegram: FakeTelegramServer
) -> None:
    assert telegram.fake.webhook_url == PUBLIC_URL
    assert telegram.fake.webhook_secret_token == SECRET
    call = await telegram.fake.wait_for(lambda call: call.method == "setWebhook")
    assert call.params["allowed_updates"] == list(Update.ALL_TYPES)


async def test_healthz_reports_status_version_and_queue_length(
    telegram: FakeTelegramServer, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    settings = settings_for(telegram, tmp_path, gameball_deadline=0.5)
    database = Database(settings.database_path)
    database.outbox.enqueue(
        chat_id=MANAGER, user_id=MANAGER, language="en", customer_id="C-1", payload={}
    )
    gameball = Sandbox()
    gameball.set_down(503)  # the queued sign-up stays queued however fast the job runs
    application = build_application(
        settings, database=database, gameball_transport=gameball.transport()
    )

    async with WebhookServer(application, settings, port=0) as server:
        response = await http.get(local_url(server, "/healthz"))

    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["queue_length"] == 1
    assert health["version"] == __version__
    assert health["uptime_seconds"] >= 0


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", None), ("POST", "/"), ("POST", "/telegram/hook/more"), ("GET", "/")],
)
async def test_anything_else_is_not_found(
    webhook: WebhookServer, http: httpx.AsyncClient, method: str, path: str | None
) -> None:
    response = await http.request(
        method, local_url(webhook, path), headers={SECRET_HEADER: SECRET}, json={}
    )
    assert response.status_code == 404


async def test_a_body_that_is_not_an_update_is_a_bad_request(
    webhook: WebhookServer, http: httpx.AsyncClient
) -> None:
    for body in (b"not json", b"[1]", b'{"message": {}}'):
        response = await http.post(
            local_url(webhook), content=body, headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 400


async def test_stop_finishes_received_updates_then_stops_listening(
    webhook: WebhookServer, telegram: FakeTelegramServer, http: httpx.AsyncClient
) -> None:
    update = telegram.fake.user_text(MANAGER, "/start", queue=False)
    assert await deliver(http, webhook, update, **{SECRET_HEADER: SECRET}) == 200

    await webhook.stop()

    assert "/invite" in telegram.fake.last_message(MANAGER)["text"]
    with pytest.raises(httpx.ConnectError):
        await http.get(local_url(webhook, "/healthz"))


async def test_a_telegram_refusal_at_start_leaves_nothing_running(
    telegram: FakeTelegramServer, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    settings = settings_for(telegram, tmp_path, telegram_bot_token="999:not-the-token")
    application = build_application(settings)
    server = WebhookServer(application, settings, port=0)

    with pytest.raises(InvalidToken):
        await server.start()

    assert not application.running
    assert telegram.fake.webhook_url == ""


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"webhook_url": None}, "WEBHOOK_URL"),
        ({"webhook_url": "http://bot.example.com/hook"}, "WEBHOOK_URL"),
        ({"webhook_url": "https://bot.example.com/healthz"}, "WEBHOOK_URL"),
        ({"webhook_secret": None}, "WEBHOOK_SECRET"),
        ({"webhook_secret": "has spaces"}, "WEBHOOK_SECRET"),
        ({"webhook_secret": "x" * 257}, "WEBHOOK_SECRET"),
    ],
)
def test_bad_webhook_configuration_is_one_line_naming_the_variable(
    tmp_path: Path, overrides: dict[str, Any], variable: str
) -> None:
    values: dict[str, Any] = {"gameball_sandbox": True, "data_dir": tmp_path}
    values |= {"webhook_url": PUBLIC_URL, "webhook_secret": SECRET} | overrides
    settings = Settings(_env_file=None, **values)

    with pytest.raises(ConfigError) as error:
        webhook_endpoint(settings)

    message = str(error.value)
    assert message.startswith(variable)
    assert "\n" not in message
    assert SECRET not in message
