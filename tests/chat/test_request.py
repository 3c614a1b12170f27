"""Bot API calls as httpx requests on the one HTTP stack: what PTB sends, and what it gets back.

A real ``telegram.Bot`` makes the calls over ``httpx.MockTransport``, so the tests see what the
bot's handlers see: the message Telegram returned, or PTB's own ``TimedOut``/``NetworkError``
(which the error handler turns into a retry hint) — and never the token in an error. What the
aiohttp connection layer does on real sockets is in ``tests/test_http_stack.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from httpx_aiohttp import HttpxAiohttpClient
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot.app import build_application
from bot.chat.checkout_bot import CheckoutBot
from bot.chat.request import TelegramRequest
from tests.chat.harness import make_settings

TOKEN = "123456:SECRET-token-value"
ME = {"id": 1, "is_bot": True, "first_name": "Checkout", "username": "checkout_bot"}


def telegram(
    sent: list[httpx.Request], on_send: Callable[[httpx.Request], httpx.Response] | None = None
) -> httpx.MockTransport:
    """Answers getMe, and sendMessage with the message as Telegram would store it."""

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        method = request.url.path.rsplit("/", 1)[-1]
        if method == "getMe":
            return httpx.Response(200, json={"ok": True, "result": ME})
        if on_send is not None:
            return on_send(request)
        fields = json.loads(request.content)
        message = {
            "message_id": 7,
            "date": 0,
            "chat": {"id": fields["chat_id"], "type": "private"},
            "text": fields["text"],
        }
        return httpx.Response(200, json={"ok": True, "result": message})

    return httpx.MockTransport(handle)


async def test_a_message_is_sent_as_one_json_object_and_comes_back_as_a_message() -> None:
    sent: list[httpx.Request] = []
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Refresh", callback_data="r:1")]])
    async with Bot(TOKEN, request=TelegramRequest(transport=telegram(sent))) as bot:
        message = await bot.send_message(
            42, "Card for <b>demo-1001</b>", parse_mode="HTML", reply_markup=markup
        )

    assert (message.chat_id, message.text) == (42, "Card for <b>demo-1001</b>")
    request = sent[-1]
    assert (request.method, request.url.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "chat_id": 42,
        "text": "Card for <b>demo-1001</b>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Refresh", "callback_data": "r:1"}]]},
    }
    assert request.headers["user-agent"].startswith("python-telegram-bot")


async def test_a_call_with_a_file_is_sent_as_multipart_form_data() -> None:
    sent: list[httpx.Request] = []
    answered = {
        "ok": True,
        "result": {"message_id": 8, "date": 0, "chat": {"id": 42, "type": "private"}},
    }
    transport = telegram(sent, lambda _: httpx.Response(200, json=answered))
    async with Bot(TOKEN, request=TelegramRequest(transport=transport)) as bot:
        await bot.send_document(42, InputFile(b"id,points\n", filename="export.csv"), caption="x")

    request = sent[-1]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = request.read()
    assert b'name="chat_id"\r\n\r\n42' in body
    assert b'filename="export.csv"' in body
    assert b"id,points" in body


async def test_ptb_default_timeouts_apply_unless_a_call_sets_its_own() -> None:
    sent: list[httpx.Request] = []
    async with Bot(TOKEN, request=TelegramRequest(transport=telegram(sent))) as bot:
        await bot.send_message(42, "default")
        await bot.send_message(42, "own", read_timeout=30, connect_timeout=None)

    default, own = (request.extensions["timeout"] for request in sent[-2:])
    assert default == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 1.0}
    assert own == {"connect": None, "read": 30, "write": 5.0, "pool": 1.0}


@pytest.mark.parametrize(
    ("failure", "expected", "words"),
    [
        (httpx.ReadTimeout("timed out waiting for the answer"), TimedOut, "Timed out"),
        (httpx.PoolTimeout("no connection became free"), TimedOut, "every connection"),
        (httpx.ConnectError("[Errno 111] Connection refused"), NetworkError, "refused"),
        (httpx.RemoteProtocolError("server disconnected"), NetworkError, "disconnected"),
    ],
)
async def test_transport_failures_become_ptb_errors_without_the_token(
    failure: httpx.HTTPError, expected: type[Exception], words: str
) -> None:
    def fail(_: httpx.Request) -> httpx.Response:
        raise failure

    async with Bot(TOKEN, request=TelegramRequest(transport=telegram([], fail))) as bot:
        with pytest.raises(expected) as caught:
            await bot.send_message(42, "card")

    assert words in str(caught.value)
    assert "SECRET" not in str(caught.value)


async def test_a_request_object_works_again_after_a_shutdown() -> None:
    """PTB shuts its request objects down and initialises them again (e.g. ``check``, tests)."""
    sent: list[httpx.Request] = []
    request = TelegramRequest(transport=telegram(sent))
    for _ in range(2):
        async with Bot(TOKEN, request=request) as bot:
            await bot.send_message(42, "card")

    assert [r.url.path.rsplit("/", 1)[-1] for r in sent] == ["getMe", "sendMessage"] * 2


async def test_a_start_refused_by_telegram_closes_the_connection_pools() -> None:
    """A rejected token fails ``initialize``; the pools it opened must not be left open."""
    refused = httpx.Response(401, json={"ok": False, "error_code": 401, "description": "no"})
    sending, polling = (
        TelegramRequest(transport=httpx.MockTransport(lambda _: refused)) for _ in range(2)
    )
    bot = CheckoutBot(TOKEN, request=sending, get_updates_request=polling)

    with pytest.raises(InvalidToken):
        await bot.initialize()

    assert sending._client.is_closed
    assert polling._client.is_closed


async def test_a_timeout_that_is_not_a_number_is_refused() -> None:
    request = TelegramRequest(transport=telegram([]))
    with pytest.raises(TypeError, match="timeout"):
        await request.do_request("http://127.0.0.1/bot/getMe", "POST", read_timeout="soon")


def test_production_sends_through_the_aiohttp_client(tmp_path: Path) -> None:
    application = build_application(make_settings(tmp_path))

    request = application.bot.request
    assert isinstance(request, TelegramRequest)
    assert isinstance(request._client, HttpxAiohttpClient)
    assert isinstance(application.bot._request[0], TelegramRequest)  # long polling too
