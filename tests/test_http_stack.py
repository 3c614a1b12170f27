"""The bot's one HTTP stack (httpx's API over aiohttp) on real loopback sockets.

Two promises an operator and a cashier rely on: requests to Telegram and to Gameball both go
through the proxy the environment names (``HTTP_PROXY``/``HTTPS_PROXY``, with ``NO_PROXY``
honoured), and a request whose connection drops after it was written is never sent again by the
HTTP layer unless it is idempotent — a dropped ``sendMessage`` is not a second card, a dropped
``POST`` to Gameball is not a second sale (only the bot's own retry policy decides).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError
from yarl import URL

from bot.chat.request import TelegramRequest
from bot.gameball import CustomerBalance, GameballClient, Unavailable, UpsertCustomerRequest
from bot.gameball.client import customer_path
from bot.sandbox import Sandbox
from tests.fakes.telegram import FakeTelegram
from tests.test_end_to_end import STAFF, bot_process
from tests.test_end_to_end import services as services  # the fixture: the fakes and the env

TOKEN = "123456:SECRET-token-value"
ME = {"id": 1, "is_bot": True, "first_name": "Checkout", "username": "checkout_bot"}
BALANCE = {"availablePointsBalance": 10, "currency": "EGP", "pointsName": "Stars"}
#: Headers that belong to one hop, not to the request a proxy forwards.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "host"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def listening(handler: Handler) -> AsyncIterator[str]:
    """An ``aiohttp.web`` server on 127.0.0.1 answering every path with ``handler``; its URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    assert server.sockets
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class ForwardProxy:
    """An HTTP forward proxy on loopback that notes every absolute target it forwards."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._session: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        target = request.raw_path  # absolute-form: http://host:port/path?query
        self.targets.append(target)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._session.request(
            request.method, URL(target, encoded=True), headers=headers, data=await request.read()
        ) as upstream:
            body = await upstream.read()
            return web.Response(status=upstream.status, body=body, content_type="application/json")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        async with aiohttp.ClientSession() as self._session, listening(self.forward) as url:
            yield url


async def card_for(fake: FakeTelegram, env: dict[str, str], customer_id: str) -> str:
    """Run the bot as an operator would, send it ``customer_id``, return the card it sends."""
    async with bot_process(env, fake):
        await fake.wait_for_poller(timeout=30)
        fake.user_text(STAFF, customer_id)
        card = await fake.wait_for_message(STAFF, customer_id, timeout=15)
    text: str = card["text"]
    return text


async def test_telegram_and_gameball_traffic_goes_through_the_proxy_the_environment_names(
    services: tuple[FakeTelegram, Sandbox, dict[str, str]],
) -> None:
    fake, _, env = services
    proxy = ForwardProxy()
    async with proxy.running() as proxy_url:
        card = await card_for(fake, env | {"HTTP_PROXY": proxy_url}, "demo-1001")

    assert "Omar Hassan" in card
    paths = [URL(target).path for target in proxy.targets]
    assert any(path.endswith("/sendMessage") for path in paths)
    assert any(path.endswith("/getUpdates") for path in paths)
    assert customer_path("demo-1001", "/balance") in paths


async def test_no_proxy_sends_straight_to_the_hosts_it_names(
    services: tuple[FakeTelegram, Sandbox, dict[str, str]],
) -> None:
    fake, _, env = services
    proxy = ForwardProxy()
    async with proxy.running() as proxy_url:
        card = await card_for(
            fake, env | {"HTTP_PROXY": proxy_url, "NO_PROXY": "127.0.0.1"}, "demo-1001"
        )

    assert "Omar Hassan" in card
    assert proxy.targets == []


class DropsSecondRequest:
    """Answers every request with ``answer`` but the second, which it reads and then hangs up on.

    The second request meets a kept-alive connection that closes after the request was written
    and before any answer byte: the case where an HTTP client may be tempted to resend.
    """

    def __init__(self, answer: dict[str, object]) -> None:
        self.answer = answer
        self.received: list[tuple[str, str]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.received.append((request.method, request.path))
        if len(self.received) != 2:
            return web.json_response(self.answer)
        assert request.transport is not None
        request.transport.close()
        return web.Response()


async def test_a_dropped_send_message_is_not_sent_again() -> None:
    server = DropsSecondRequest({"ok": True, "result": ME})
    async with (
        listening(server.handle) as url,
        Bot(TOKEN, base_url=f"{url}/bot", request=TelegramRequest()) as bot,
    ):
        with pytest.raises(NetworkError):
            await bot.send_message(42, "the card")

    assert [path.rsplit("/", 1)[-1] for _, path in server.received] == ["getMe", "sendMessage"]


async def test_a_dropped_gameball_post_is_not_sent_again_by_the_http_layer() -> None:
    server = DropsSecondRequest(BALANCE)
    upsert = UpsertCustomerRequest(customer_id="walk-in-1")
    async with (
        listening(server.handle) as url,
        GameballClient("key", "secret", base_url=url, max_attempts=1) as client,
    ):
        await client.get_balance("walk-in-1")
        with pytest.raises(Unavailable):
            await client.upsert_customer(upsert)

    assert [method for method, _ in server.received] == ["GET", "POST"]


async def test_a_dropped_read_is_sent_again_once_because_it_is_idempotent() -> None:
    """The contrast: aiohttp resends a GET once on a new connection (RFC 9112 §9.3.1 allows it)."""
    server = DropsSecondRequest(BALANCE)
    async with (
        listening(server.handle) as url,
        GameballClient("key", "secret", base_url=url, max_attempts=1) as client,
    ):
        await client.get_balance("walk-in-1")
        balance = await client.get_balance("walk-in-1")

    assert balance == CustomerBalance.model_validate(BALANCE)
    assert [method for method, _ in server.received] == ["GET", "GET", "GET"]
