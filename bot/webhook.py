"""Webhook mode (PRODUCT §6): Telegram posts updates to us instead of being polled.

Built the way python-telegram-bot's custom-webhook example is: the application has no updater
(``build_application(settings, polling=False)``) and a web framework, aiohttp.web, receives the
deliveries and puts each update on ``application.update_queue``. Why not PTB's ``run_webhook``:
the same listener must also answer ``GET /healthz`` for Docker and load balancers and refuse
everything else with 404, and it would bring tornado, a second server library. The application's
lifecycle runs in the order PTB's runners use, so handlers, jobs, persistence and the ``post_*``
hooks behave exactly as in polling mode.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from telegram import Bot, Update
from telegram.error import TelegramError
from yarl import URL

from bot import __version__, eventloop
from bot.app import BotApplication, build_application, shut_down, start_up
from bot.chat.context import services_of
from bot.config import ConfigError, Settings
from bot.serving import listen
from bot.startup import freeze_start_up_objects, verify_token
from bot.webapp import scan_page

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
#: The scanner Mini App's page (PRODUCT §9), for a SCANNER_URL of https://<this host>/scan.
SCAN_PATH = "/scan"
#: Fetched by staff phones, not by Telegram; the page is static, and sends nothing back here.
_PAGE_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's own rule for ``secret_token`` in setWebhook.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Updates are a few kilobytes; anything near this size is not from Telegram.
_MAX_BODY_BYTES: Final = 1024 * 1024
#: The Bot API host of Telegram's own servers (``TELEGRAM_BASE_URL``'s default).
TELEGRAM_API_HOST: Final = "api.telegram.org"
#: The only ports Telegram's servers deliver webhooks to (setWebhook's documentation).
TELEGRAM_WEBHOOK_PORTS: Final = (443, 80, 88, 8443)
#: How long ``stop()`` lets deliveries in progress finish (each only queues its update).
_STOP_GRACE_SECONDS: Final = 5.0


@dataclass(frozen=True)
class WebhookEndpoint:
    """Where Telegram delivers updates, and the secret that proves a delivery is Telegram's."""

    url: str
    path: str
    secret: str = field(repr=False)


def webhook_endpoint(settings: Settings) -> WebhookEndpoint:
    """``WEBHOOK_URL`` and ``WEBHOOK_SECRET``, validated; :class:`ConfigError` names the culprit."""
    url = (settings.webhook_url or "").strip()
    if not url:
        raise ConfigError(
            "WEBHOOK_URL is required for webhook mode (the public URL Telegram posts to)"
        )
    parts = urlsplit(url)
    _check_deliverable(parts, by_telegrams_servers=_is_telegrams_own(settings.telegram_base_url))
    path = parts.path or "/"
    if path in (HEALTH_PATH, SCAN_PATH):
        raise ConfigError(f"WEBHOOK_URL: the path {path} is taken (health check, scanner page)")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not _SECRET_TOKEN.fullmatch(secret):
        raise ConfigError(
            "WEBHOOK_SECRET is required for webhook mode: 1-256 characters of A-Z a-z 0-9 _ -"
        )
    return WebhookEndpoint(url, path, secret)


def _is_telegrams_own(base_url: str) -> bool:
    """``TELEGRAM_BASE_URL`` reaches Telegram's servers rather than a self-hosted Bot API server."""
    return urlsplit(base_url).hostname == TELEGRAM_API_HOST


def _check_deliverable(parts: SplitResult, *, by_telegrams_servers: bool) -> None:
    """Refuse a ``WEBHOOK_URL`` the Bot API server would never deliver to.

    Telegram's own servers deliver over HTTPS to four ports only; a self-hosted Bot API server
    (often on the same host or network as the bot) delivers over plain HTTP and to any port.
    """
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("WEBHOOK_URL: the port must be a number from 1 to 65535") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError("WEBHOOK_URL must be a URL like https://bot.example.com/tg")
    if not by_telegrams_servers:
        return
    if parts.scheme != "https":
        raise ConfigError(
            "WEBHOOK_URL must be an https:// URL: Telegram's servers deliver webhooks over HTTPS "
            "only (http:// works with a self-hosted Bot API server in TELEGRAM_BASE_URL)"
        )
    if port is not None and port not in TELEGRAM_WEBHOOK_PORTS:
        ports = ", ".join(map(str, TELEGRAM_WEBHOOK_PORTS))
        raise ConfigError(
            f"WEBHOOK_URL: Telegram's servers deliver webhooks to ports {ports} only, not {port}"
        )


class WebhookServer:
    """The application plus its HTTP listener, started and stopped together.

    ``start()`` runs the application's start-up (initialize, post_init, start), listens, then
    registers the webhook; ``stop()`` stops listening first, lets every received update finish,
    then runs stop, post_stop, shutdown and post_shutdown. Use ``port=0`` in tests.
    """

    def __init__(
        self, application: BotApplication, settings: Settings, *, port: int | None = None
    ) -> None:
        self.endpoint = webhook_endpoint(settings)
        self.application = application
        self.port = settings.port if port is None else port
        self._listen = settings.webhook_listen
        self._runner: web.AppRunner | None = None
        self._started_at = time.monotonic()
        self._lifecycle_begun = False

    async def start(self) -> None:
        """Bring the bot up and tell Telegram where to deliver; undone again if any step fails."""
        application = self.application
        self._lifecycle_begun = True
        try:
            await start_up(application)
            await self._start_listening()
            await application.bot.set_webhook(
                url=self.endpoint.url,
                secret_token=self.endpoint.secret,
                allowed_updates=Update.ALL_TYPES,
            )
        except BaseException:
            await self.stop()
            raise
        self._started_at = time.monotonic()
        log.info("webhook registered; listening on %s:%d%s", self._listen, self.port, self.path)

    @property
    def path(self) -> str:
        """The path Telegram posts to (the path of ``WEBHOOK_URL``)."""
        return self.endpoint.path

    async def stop(self) -> None:
        """Stop accepting requests, finish the updates already received, shut down. Idempotent.

        The webhook stays registered: Telegram keeps new updates until the bot is back.
        """
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if not self._lifecycle_begun:
            return
        self._lifecycle_begun = False
        await shut_down(self.application)

    async def __aenter__(self) -> WebhookServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _start_listening(self) -> None:
        # No access log: it would record every request; refusals are logged below.
        runner = web.AppRunner(
            self._routes(), access_log=None, shutdown_timeout=_STOP_GRACE_SECONDS
        )
        self.port = await listen(runner, self._listen, self.port)
        self._runner = runner

    def _routes(self) -> web.Application:
        """The delivery path, the health check and the scanner page; anything else: JSON 404."""
        routes = web.Application(client_max_size=_MAX_BODY_BYTES, middlewares=[_json_refusals])
        # A literal resource: braces in WEBHOOK_URL's path are not a route pattern. aiohttp
        # matches it against the percent-decoded path (all but %2F and %25), hence path_safe.
        delivery = web.PlainResource(URL.build(path=self.path, encoded=True).path_safe)
        delivery.add_route("POST", self._on_delivery)
        routes.router.register_resource(delivery)
        routes.router.add_get(HEALTH_PATH, self._on_health, allow_head=False)
        routes.router.add_get(SCAN_PATH, _on_scan_page)
        return routes

    async def _on_delivery(self, request: web.Request) -> web.Response:
        """One delivery from Telegram: queued for the application, answered at once."""
        if not self._is_our_secret(request.headers.get(SECRET_HEADER)):
            peer = request.remote
            log.warning("refused a webhook request without the right secret token from %s", peer)
            return _answer(403, {"error": "forbidden"})
        update = _parse_update(await request.read(), self.application.bot)
        if update is None:
            log.warning("refused a webhook request whose body is not a Telegram update")
            return _answer(400, {"error": "not a Telegram update"})
        await self.application.update_queue.put(update)
        return _answer(200, {})

    async def _on_health(self, _: web.Request) -> web.Response:
        return _answer(200, self.health())

    def _is_our_secret(self, presented: str | None) -> bool:
        """Constant-time, so response timing does not leak how much of a guess was right."""
        expected = self.endpoint.secret.encode()
        return presented is not None and hmac.compare_digest(presented.encode(), expected)

    def health(self) -> dict[str, Any]:
        """``GET /healthz``: answering at all proves the event loop and the database are alive.

        ``queue_length`` (sign-ups waiting for Gameball) lets monitoring spot a Gameball outage.
        """
        return {
            "status": "ok",
            "uptime_seconds": round(time.monotonic() - self._started_at, 1),
            "queue_length": services_of(self.application).database.outbox.pending_count(),
            "version": __version__,
        }


async def _on_scan_page(_: web.Request) -> web.Response:
    """The Mini App page; its query (the texts, in the user's language) is read by the page."""
    return web.Response(
        body=scan_page(), content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS
    )


@web.middleware
async def _json_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own refusals in the JSON every answer has; an unknown method is a plain 404."""
    try:
        return await handler(request)
    except web.HTTPException as refusal:
        if refusal.status == web.HTTPMethodNotAllowed.status_code:
            refusal = web.HTTPNotFound()
        return _answer(refusal.status, {"error": refusal.reason.lower()})


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


def _parse_update(body: bytes, bot: Bot) -> Update | None:
    """The update in ``body``, or None when it is not one (PTB raises several kinds of error)."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def serve_webhook(settings: Settings) -> int:
    """``checkout-bot webhook``: serve until SIGTERM/SIGINT, then shut down gracefully."""
    webhook_endpoint(settings)  # refuse bad configuration before opening the database
    server = WebhookServer(build_application(settings, polling=False), settings)
    verify_token(settings)
    log.info("serving webhooks on %s", eventloop.loop_kind())
    freeze_start_up_objects()
    return eventloop.run(_serve_until_signalled(server))


async def _serve_until_signalled(server: WebhookServer) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await server.start()
    except (TelegramError, OSError) as exc:  # rejected token or URL, port already in use
        log.error("could not start in webhook mode: %s", exc)
        return 1
    await stop.wait()
    log.info("stopping: finishing the updates already received")
    await server.stop()
    log.info("stopped")
    return 0
