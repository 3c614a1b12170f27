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
from bot.app import BotApplication, build_application
from bot.config import ConfigError, Settings
from bot.sandbox import Sandbox
from bot.storage import Database
from bot.webapp import scan_page
from bot.webhook import SECRET_HEADER, WebhookServer, webhook_endpoint
from tests.fakes.telegram import FakeTelegram, FakeTelegramServer

PUBLIC_URL = "https://bot.example.com/telegram/hook"
TELEGRAM_BOT_API = "https://api.telegram.org/bot"
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
    async with WebhookServer(webhook_application(settings), settings, port=0) as server:
        yield server


def webhook_application(settings: Settings, **kwargs: Any) -> BotApplication:
    """The application as ``checkout-bot webhook`` builds it: no updater."""
    return build_application(settings, polling=False, **kwargs)


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


async def test_the_scanner_page_is_served_to_anyone_without_the_secret(
    webhook: WebhookServer, http: httpx.AsyncClient
) -> None:
    """Staff phones open it (SCANNER_URL = https://<this host>/scan), not Telegram's servers."""
    response = await http.get(local_url(webhook, "/scan?scan=Point+the+camera&dir=ltr"))

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == scan_page()
    assert b"showScanQrPopup" in response.content
    assert response.headers["x-content-type-options"] == "nosniff"


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
    application = webhook_application(
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
    assert response.json() == {"error": "not found"}


async def test_a_body_that_is_not_an_update_is_a_bad_request(
    webhook: WebhookServer, http: httpx.AsyncClient
) -> None:
    for body in (b"not json", b"[1]", b'{"message": {}}'):
        response = await http.post(
            local_url(webhook), content=body, headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 400


async def test_a_body_larger_than_any_update_is_refused(
    webhook: WebhookServer, telegram: FakeTelegramServer, http: httpx.AsyncClient
) -> None:
    update = telegram.fake.user_text(MANAGER, "/start", queue=False)
    update["message"]["text"] += " " * (1024 * 1024)

    assert await deliver(http, webhook, update, **{SECRET_HEADER: SECRET}) == 413

    assert telegram.fake.sent_messages(MANAGER) == []


async def test_with_a_self_hosted_bot_api_server_an_http_url_on_any_port_gets_updates(
    telegram: FakeTelegramServer, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    url = "http://127.0.0.1:8081/tg/hook"  # the self-hosted server's view; we listen on port 0
    settings = settings_for(telegram, tmp_path, webhook_url=url)

    async with WebhookServer(webhook_application(settings), settings, port=0) as server:
        update = telegram.fake.user_text(MANAGER, "/start", queue=False)
        assert await deliver(http, server, update, **{SECRET_HEADER: SECRET}) == 200
        answer = await telegram.fake.wait_for_message(MANAGER, "/invite")

    assert telegram.fake.webhook_url == url
    assert "Ready for checkout" in answer["text"]


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
    application = webhook_application(settings)
    server = WebhookServer(application, settings, port=0)

    with pytest.raises(InvalidToken):
        await server.start()

    assert not application.running
    assert telegram.fake.webhook_url == ""


async def test_a_port_already_taken_fails_the_start_and_leaves_nothing_running(
    webhook: WebhookServer, telegram: FakeTelegramServer, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path / "second")
    application = webhook_application(settings)
    second = WebhookServer(application, settings, port=webhook.port)

    with pytest.raises(OSError, match="address already in use"):
        await second.start()

    assert not application.running


SELF_HOSTED = "http://127.0.0.1:8081/bot"


def endpoint_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Webhook settings as an operator writes them; Telegram's own Bot API unless overridden."""
    values: dict[str, Any] = {"gameball_sandbox": True, "data_dir": data_dir}
    values |= {"webhook_url": PUBLIC_URL, "webhook_secret": SECRET}
    return Settings(_env_file=None, **(values | overrides))


@pytest.mark.parametrize(
    ("url", "base_url"),
    [
        ("https://bot.example.com/tg", TELEGRAM_BOT_API),
        ("https://bot.example.com:8443/tg", TELEGRAM_BOT_API),
        ("https://bot.example.com:88/tg", TELEGRAM_BOT_API),
        ("http://bot.internal:8080/tg", SELF_HOSTED),
        ("https://bot.internal:9443/tg", SELF_HOSTED),
    ],
)
def test_webhook_urls_the_bot_api_server_delivers_to_are_accepted(
    tmp_path: Path, url: str, base_url: str
) -> None:
    settings = endpoint_settings(tmp_path, webhook_url=url, telegram_base_url=base_url)

    assert webhook_endpoint(settings).url == url


@pytest.mark.parametrize(
    ("overrides", "variable", "reason"),
    [
        ({"webhook_url": None}, "WEBHOOK_URL", "required"),
        ({"webhook_url": "http://bot.example.com/hook"}, "WEBHOOK_URL", "HTTPS only"),
        ({"webhook_url": "https://bot.example.com:8080/hook"}, "WEBHOOK_URL", "443, 80, 88, 8443"),
        (
            {"webhook_url": "ftp://bot.example.com/hook", "telegram_base_url": SELF_HOSTED},
            "WEBHOOK_URL",
            "https://",
        ),
        ({"webhook_url": "https://bot.example.com:port/hook"}, "WEBHOOK_URL", "port"),
        ({"webhook_url": "https://bot.example.com/healthz"}, "WEBHOOK_URL", "health check"),
        ({"webhook_url": "https://bot.example.com/scan"}, "WEBHOOK_URL", "scanner page"),
        ({"webhook_secret": None}, "WEBHOOK_SECRET", "required"),
        ({"webhook_secret": "has spaces"}, "WEBHOOK_SECRET", "A-Z a-z 0-9 _ -"),
        ({"webhook_secret": "x" * 257}, "WEBHOOK_SECRET", "1-256 characters"),
    ],
)
def test_bad_webhook_configuration_is_one_line_naming_the_variable_and_why(
    tmp_path: Path, overrides: dict[str, Any], variable: str, reason: str
) -> None:
    settings = endpoint_settings(tmp_path, **overrides)

    with pytest.raises(ConfigError) as error:
        webhook_endpoint(settings)

    message = str(error.value)
    assert message.startswith(variable)
    assert reason in message
    assert "\n" not in message
    assert SECRET not in message
