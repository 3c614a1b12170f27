"""The two ways into the fake, both the bot's real request path down to httpx.

* :class:`OfflineBotRequest`: the bot's own :class:`~bot.chat.request.TelegramRequest` whose
  requests go to an ``httpx.MockTransport`` answered by the fake, no sockets (fast conversation
  tests);
* :class:`FakeTelegramServer`: the same answers over HTTP on loopback (end-to-end tests, webhook
  tests, benchmarks), with real long polling.

Both hand every request to :func:`tests.fakes.telegram.wire.respond`.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.chat.request import TelegramRequest
from bot.sandbox.server import LoopbackServer
from bot.sandbox.wire import from_httpx, to_httpx
from tests.fakes.telegram.checks import LOOPBACK_HOSTS
from tests.fakes.telegram.core import FakeTelegram
from tests.fakes.telegram.wire import respond


class OfflineBotRequest(TelegramRequest):
    """The bot's request object over an ``httpx.MockTransport`` that the fake answers.

    Parameters travel exactly as the bot puts them on the wire (one JSON object, or multipart
    with files), and the fake reads them as it reads a socket's.
    """

    def __init__(self, fake: FakeTelegram) -> None:
        async def answer(request: httpx.Request) -> httpx.Response:
            return to_httpx(await respond(fake, await from_httpx(request)))

        super().__init__(transport=httpx.MockTransport(answer))


class FakeTelegramServer:
    """The fake served over HTTP on 127.0.0.1 (real sockets), on aiohttp.web like every server of
    the project. Use ``async with FakeTelegramServer(fake) as server:``.

    A client that hangs up has its request cancelled, which ends its long poll as on Telegram
    (no phantom 409 for the next one).
    """

    def __init__(self, fake: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        self.base_url = ""
        self._port = port
        self._http = LoopbackServer(functools.partial(respond, fake), host, cancel_on_hang_up=True)
        self._webhook_client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        await self._http.start(self._port)
        self.base_url = f"{self._http.url}/bot"

    async def stop(self) -> None:
        """Answer parked long polls, then close: no request outlives the server."""
        self.fake.release_pollers()
        await self._http.stop()
        if self._webhook_client is not None:
            await self._webhook_client.aclose()
            self._webhook_client = None

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def post_update(
        self, url: str, update: dict[str, Any], secret_token: str | None = None
    ) -> int:
        """Push an update to a webhook on loopback as Telegram would; returns the HTTP status."""
        if urlsplit(url).hostname not in LOOPBACK_HOSTS:
            raise ValueError("the fake only delivers webhooks to loopback addresses")
        if self._webhook_client is None:
            self._webhook_client = httpx.AsyncClient(trust_env=False, timeout=10.0)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        response = await self._webhook_client.post(url, json=update, headers=headers)
        return response.status_code
