"""Webhook mode (PRODUCT §6): Telegram posts updates to us instead of being polled.

Why our own small server rather than PTB's ``run_webhook``: the same listener must also answer
``GET /healthz`` for Docker and load balancers, and refuse everything else with 404. The
application's lifecycle is run in the same order PTB's ``run_webhook`` uses, so handlers, jobs,
persistence and the ``post_*`` hooks behave exactly as in polling mode.
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
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import __version__, eventloop
from bot.app import build_application, shut_down, start_up
from bot.chat.context import services_of
from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's own rule for ``secret_token`` in setWebhook.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Updates are a few kilobytes; anything near this size is not from Telegram.
_MAX_BODY_BYTES = 1024 * 1024

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


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
            "WEBHOOK_URL is required for webhook mode (the public https:// URL Telegram posts to)"
        )
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError("WEBHOOK_URL must be an https:// URL, e.g. https://bot.example.com/tg")
    path = parts.path or "/"
    if path == HEALTH_PATH:
        raise ConfigError(f"WEBHOOK_URL: the path {HEALTH_PATH} is taken by the health check")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not _SECRET_TOKEN.fullmatch(secret):
        raise ConfigError(
            "WEBHOOK_SECRET is required for webhook mode: 1-256 characters of A-Z a-z 0-9 _ -"
        )
    return WebhookEndpoint(url, path, secret)


class WebhookServer:
    """The application plus its HTTP listener, started and stopped together.

    ``start()`` runs the application's start-up (initialize, post_init, start), listens, then
    registers the webhook; ``stop()`` stops listening first, lets every received update finish,
    then runs stop, post_stop, shutdown and post_shutdown. Use ``port=0`` in tests.
    """

    def __init__(
        self, application: AnyApplication, settings: Settings, *, port: int | None = None
    ) -> None:
        self.endpoint = webhook_endpoint(settings)
        self.application = application
        self.port = settings.port if port is None else port
        self._listen = settings.webhook_listen
        self._http: tornado.httpserver.HTTPServer | None = None
        self._started_at = time.monotonic()
        self._lifecycle_begun = False

    async def start(self) -> None:
        """Bring the bot up and tell Telegram where to deliver; undone again if any step fails."""
        application = self.application
        self._lifecycle_begun = True
        try:
            await start_up(application)
            self._start_listening()
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
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None
        if not self._lifecycle_begun:
            return
        self._lifecycle_begun = False
        await shut_down(self.application)

    async def __aenter__(self) -> WebhookServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def _start_listening(self) -> None:
        routes = tornado.web.Application(
            [(r".*", _RequestHandler, {"server": self})],
            # Tornado's access log would record every request; rejections are logged below.
            log_function=lambda _: None,
        )
        sockets = tornado.netutil.bind_sockets(self.port, self._listen)
        self._http = tornado.httpserver.HTTPServer(routes, max_body_size=_MAX_BODY_BYTES)
        self._http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    async def receive(self, secret: str | None, body: bytes, peer: str | None) -> int:
        """One delivery from Telegram: the HTTP status to answer with."""
        if not self._is_our_secret(secret):
            log.warning("refused a webhook request without the right secret token from %s", peer)
            return 403
        update = _parse_update(body, self.application.bot)
        if update is None:
            log.warning("refused a webhook request whose body is not a Telegram update")
            return 400
        await self.application.update_queue.put(update)
        return 200

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


class _RequestHandler(tornado.web.RequestHandler):
    """Routes on exact method and path, so anything but the two routes is a plain 404."""

    def initialize(self, server: WebhookServer) -> None:
        self._server = server

    async def prepare(self) -> None:
        request = self.request
        route = (request.method, request.path)
        if route == ("POST", self._server.path):
            secret = request.headers.get(SECRET_HEADER)
            status = await self._server.receive(secret, request.body, request.remote_ip)
            self._answer(status, {} if status == 200 else {"error": _REASONS[status]})
        elif route == ("GET", HEALTH_PATH):
            self._answer(200, self._server.health())
        else:
            self._answer(404, {"error": _REASONS[404]})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


_REASONS = {400: "not a Telegram update", 403: "forbidden", 404: "not found"}


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
    from bot.runner import freeze_start_up_objects, verify_token

    webhook_endpoint(settings)  # refuse bad configuration before opening the database
    server = WebhookServer(build_application(settings), settings)
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
