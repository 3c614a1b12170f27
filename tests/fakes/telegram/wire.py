"""The Bot API over HTTP, one piece of code for both front ends: the routes, the parameters and
the answers are the same whether a request came over a socket (``FakeTelegramServer``) or through
``httpx.MockTransport`` (``OfflineBotRequest``).

Parameters come as Telegram takes them: in the query, a urlencoded form, a multipart form or a
JSON body. aiohttp reads multipart bodies (``MultipartReader``); query strings and urlencoded
forms are split by urllib's ``parse_qsl``, the rule aiohttp and yarl apply too, except that text
which is not UTF-8 is refused, as Telegram refuses it, rather than replaced.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from aiohttp import BodyPartReader, MultipartReader, StreamReader, hdrs
from aiohttp.base_protocol import BaseProtocol

from bot.sandbox.wire import HttpRequest, HttpResponse
from tests.fakes.telegram.core import FakeTelegram
from tests.fakes.telegram.spec import BotApiError, bad_request

_BOT_API_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/]+)")
_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)")


async def respond(fake: FakeTelegram, request: HttpRequest) -> HttpResponse:
    """``/bot<token>/<method>`` with its parameters, answered by ``fake``; a file download
    (``/file/bot<token>/<path>``) of what getFile handed out; anything else is 404.
    """
    path, _, query = request.target.partition(b"?")
    decoded = path.decode("latin-1")
    download = _FILE_PATH.fullmatch(decoded)
    if download is not None:
        content = fake.file_content(unquote(download["token"]), unquote(download["path"]))
        if content is not None:
            return HttpResponse(200, content, "application/octet-stream")
    route = None if download else _BOT_API_PATH.fullmatch(decoded)
    if route is None:
        return _json_response(404, BotApiError(404, "Not Found").envelope())
    if request.method not in ("GET", "POST"):
        return _json_response(405, BotApiError(405, "Method Not Allowed").envelope())
    try:
        params = await _parameters(query, request)
    except ValueError:
        return _json_response(400, bad_request("can't parse request body").envelope())
    token, method = unquote(route["token"]), unquote(route["method"])
    return _json_response(*await fake.serve(token, method, params))


async def _parameters(query: bytes, request: HttpRequest) -> dict[str, Any]:
    """Query and form fields (strings), overlaid with a JSON body's typed values.

    Raises ValueError for a body that cannot be read (not JSON, not an object, not UTF-8).
    """
    content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
    media_type = content_type.partition(";")[0].strip().lower()
    fields = _form_fields(query)
    if media_type == "application/x-www-form-urlencoded":
        fields += _form_fields(request.body)
    elif media_type == "multipart/form-data":
        fields += await _multipart_fields(content_type, request.body)
    params: dict[str, Any] = dict(fields)  # a repeated field: the last one counts
    if media_type == "application/json" and request.body:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("a JSON body must be an object")
        params.update(body)
    return params


def _form_fields(encoded: bytes) -> list[tuple[str, str]]:
    text = encoded.decode("utf-8")
    return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")


async def _multipart_fields(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The text fields of a multipart body; files are left out (the fake keeps none)."""
    loop = asyncio.get_running_loop()
    stream = StreamReader(BaseProtocol(loop), limit=len(body) + 1, loop=loop)
    stream.feed_data(body)
    stream.feed_eof()
    fields = []
    async for part in MultipartReader({hdrs.CONTENT_TYPE: content_type}, stream):
        if isinstance(part, BodyPartReader) and part.name and part.filename is None:
            fields.append((part.name, await part.text()))
    return fields


def _json_response(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, json.dumps(body).encode())
