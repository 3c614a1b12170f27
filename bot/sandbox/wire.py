"""One HTTP exchange as the loopback fakes see it, whichever way it arrived.

The Gameball sandbox (and the tests' fake Bot API) answer :class:`HttpRequest` with
:class:`HttpResponse`: over a socket, :mod:`bot.sandbox.server` builds them from aiohttp's
request; in process, the helpers below build them from httpx's. Either way the fake sees the raw
request target, query included, exactly as the client sent it: nothing normalises a path before
the fake routes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as received: ``target`` is the raw request target, query included."""

    method: str
    target: bytes
    headers: Mapping[str, str]  # looked up case-insensitively (aiohttp's and httpx's headers)
    body: bytes


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"


#: Answers a request; None hangs up without an answer (a fake's dropped connection).
Responder = Callable[[HttpRequest], Awaitable[HttpResponse | None]]


async def from_httpx(request: httpx.Request) -> HttpRequest:
    """The request an httpx client is sending, as a fake receives it."""
    body = await request.aread()
    return HttpRequest(request.method, request.url.raw_path, request.headers, body)


def to_httpx(response: HttpResponse) -> httpx.Response:
    """A fake's answer, as an httpx client receives it."""
    headers = {"Content-Type": response.content_type}
    return httpx.Response(response.status, headers=headers, content=response.body)
