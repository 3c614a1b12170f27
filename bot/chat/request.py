"""How the bot's Bot API calls reach Telegram: the bot's one HTTP stack (``bot.http``).

The same stack as the Gameball client: a pooled client owns the connections (no automatic
resending of a ``sendMessage`` whose connection dropped after it was written) and chooses the
transport for Telegram's host, through the proxy ``HTTPS_PROXY``/``NO_PROXY`` name. Each call is
handed to that transport as an ``httpx.Request`` whose parameters travel as one JSON object,
which the Bot API accepts for every call without files (files go as multipart, as PTB sends
them). Why not PTB's stock ``HTTPXRequest`` on the same client: it form-encodes every parameter
in Python and runs each call through the client's cookie, auth and redirect machinery, none of
which the Bot API uses; a card cost 671 µs of CPU that way and 376 µs this way
(``bench/README.md``), and in a till rush every card is one such call. Timeouts and errors are
PTB's: its defaults, ``TimedOut`` for timeouts and ``NetworkError`` for the rest.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.http import pooled_client, transport_for

#: Connections for sending: PTB's default, ample for a rush (Telegram allows ~30 messages/s).
SENDING_CONNECTIONS = 256
#: PTB's ``HTTPXRequest`` defaults, in seconds; uploads get longer to write.
READ_TIMEOUT = WRITE_TIMEOUT = CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


class TelegramRequest(BaseRequest):
    """PTB's request interface over the one HTTP stack (see the module).

    ``transport`` replaces the network (tests); without it, proxies come from the environment.
    It can be shut down and initialised again, as PTB does with its request objects.
    """

    def __init__(
        self,
        connection_pool_size: int = SENDING_CONNECTIONS,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._connections = connection_pool_size
        self._given_transport = transport
        self._client = self._new_client()
        self._json_headers = httpx.Headers(
            {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}
        )
        #: Each Bot API method's URL, parsed, and the transport the client chose for it: a bot
        #: calls a handful of methods, again and again.
        self._routes: dict[str, tuple[httpx.URL, httpx.AsyncBaseTransport]] = {}

    @property
    def read_timeout(self) -> float:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        """A fresh client after a shutdown (the pool opens on first use)."""
        if self._client.is_closed:
            self._client = self._new_client()
            self._routes.clear()

    async def shutdown(self) -> None:
        await self._client.aclose()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One Bot API call; the answer's status and raw body go back to PTB to interpret."""
        uploads = request_data is not None and request_data.contains_files
        timeouts = {
            "connect": _given(connect_timeout, CONNECT_TIMEOUT),
            "read": _given(read_timeout, READ_TIMEOUT),
            "write": _given(write_timeout, MEDIA_WRITE_TIMEOUT if uploads else WRITE_TIMEOUT),
            "pool": _given(pool_timeout, POOL_TIMEOUT),
        }
        parsed, transport = self._route(url)
        request = self._request(method, parsed, request_data, timeouts)
        try:
            response = await transport.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.PoolTimeout as error:
            raise TimedOut("Pool timeout: every connection to Telegram is busy") from error
        except httpx.TimeoutException as error:
            raise TimedOut from error
        except httpx.HTTPError as error:
            # The error never carries the URL, which holds the bot's token.
            raise NetworkError(f"httpx.{type(error).__name__}: {error}") from error
        return response.status_code, content

    def _new_client(self) -> httpx.AsyncClient:
        return pooled_client(self._connections, self._given_transport)

    def _route(self, url: str) -> tuple[httpx.URL, httpx.AsyncBaseTransport]:
        route = self._routes.get(url)
        if route is None:
            parsed = httpx.URL(url)
            route = self._routes[url] = (parsed, transport_for(self._client, parsed))
        return route

    def _request(
        self,
        method: str,
        url: httpx.URL,
        request_data: RequestData | None,
        timeouts: dict[str, float | None],
    ) -> httpx.Request:
        extensions: dict[str, Any] = {"timeout": timeouts}
        if request_data is not None and request_data.contains_files:
            return httpx.Request(
                method,
                url,
                headers={"User-Agent": self.USER_AGENT},
                data=request_data.json_parameters,
                files=request_data.multipart_data,
                extensions=extensions,
            )
        body = json.dumps(request_data.parameters).encode() if request_data else b""
        return httpx.Request(
            method, url, headers=self._json_headers, content=body, extensions=extensions
        )


def telegram_requests(
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[TelegramRequest, TelegramRequest]:
    """The request objects for sending and for long polling (one connection), as PTB pairs them."""
    return TelegramRequest(transport=transport), TelegramRequest(1, transport=transport)


def _given(value: object, default: float) -> float | None:
    """PTB passes ``DEFAULT_NONE`` for "not given"; ``None`` itself means no timeout."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    if value is None or isinstance(value, int | float):
        return value
    raise TypeError(f"a timeout must be a number of seconds or None, not {value!r}")
