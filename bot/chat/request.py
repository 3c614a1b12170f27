"""How the bot's Bot API calls reach Telegram: PTB's requests handed straight to an httpx transport.

PTB's own ``HTTPXRequest`` sends each call through ``httpx.AsyncClient``, whose cookie jar,
redirect and auth machinery cost a third of a millisecond of CPU per call and do nothing for
the Bot API (no cookies, no redirects, the token is in the path). In a till rush every card is
one such call, so this request object builds the ``httpx.Request`` itself and gives it to the
transport. The parameters travel as one JSON object, which the Bot API accepts for every call
without files: ``json.dumps`` is C code, while form encoding quotes each field in Python and
cost as much again as the rest of building the request. Calls with files are multipart, as
PTB sends them. Timeouts and errors are PTB's: its defaults, ``TimedOut`` for timeouts and
``NetworkError`` for the rest.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

#: PTB's ``HTTPXRequest`` defaults, in seconds; uploads get longer to write.
READ_TIMEOUT = WRITE_TIMEOUT = CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


class TransportRequest(BaseRequest):
    """A PTB request object over any httpx transport (ours in production, fakes in tests)."""

    __slots__ = ("_json_headers", "_transport", "_urls")

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport
        self._json_headers = httpx.Headers(
            {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}
        )
        #: Parsed once per Bot API method: a bot calls a handful of them, again and again.
        self._urls: dict[str, httpx.URL] = {}

    @property
    def read_timeout(self) -> float:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        """Nothing to open: the transport connects on first use."""

    async def shutdown(self) -> None:
        await self._transport.aclose()

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
        request = self._request(method, url, request_data, timeouts)
        try:
            response = await self._transport.handle_async_request(request)
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

    def _request(
        self, method: str, url: str, request_data: RequestData | None, timeouts: dict[str, Any]
    ) -> httpx.Request:
        extensions = {"timeout": timeouts}
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = self._urls[url] = httpx.URL(url)
        if request_data is not None and request_data.contains_files:
            return httpx.Request(
                method,
                parsed,
                headers={"User-Agent": self.USER_AGENT},
                data=request_data.json_parameters,
                files=request_data.multipart_data,
                extensions=extensions,
            )
        body = json.dumps(request_data.parameters).encode() if request_data else b""
        return httpx.Request(
            method, parsed, headers=self._json_headers, content=body, extensions=extensions
        )


class InProcessRequest(BaseRequest):
    """A Bot API answered inside this process (console mode, the tests' fake): nothing to open,
    close or time out. Subclasses answer in ``do_request``.
    """

    @property
    def read_timeout(self) -> None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


def _given(value: object, default: float) -> float | None:
    """PTB passes ``DEFAULT_NONE`` for "not given"; ``None`` itself means no timeout."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    if value is None or isinstance(value, int | float):
        return value
    raise TypeError(f"a timeout must be a number of seconds or None, not {value!r}")
