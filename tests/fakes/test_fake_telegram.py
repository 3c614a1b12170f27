"""The fake Telegram must refuse what Telegram refuses, or the bot's tests prove nothing.

Most tests drive a real python-telegram-bot ``Bot`` through :class:`OfflineBotRequest` (PTB's
``HTTPXRequest`` on an ``httpx.MockTransport``); the ``over_http`` tests use PTB's
``HTTPXRequest`` over sockets against :class:`FakeTelegramServer`.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from PIL import Image
from telegram import (
    Bot,
    BotCommandScopeChat,
    File,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken
from telegram.request import HTTPXRequest

from tests.contract import CONTRACTS_DIR as CONTRACTS
from tests.fakes.telegram import FakeTelegram, FakeTelegramServer, OfflineBotRequest

STAFF = 1001
MANAGER = 2002
CUSTOMER = 3003

#: do_api_request lets a test send what PTB's typed methods would not; PTB warns about it.
_RAW_CALL = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

_SCALARS: dict[str, tuple[type, ...]] = {
    "Integer": (int,),
    "String": (str,),
    "Boolean": (bool,),
    "True": (bool,),
    "Float": (int, float),
}


@pytest.fixture(scope="module")
def contract_types() -> dict[str, Any]:
    contract = json.loads((CONTRACTS / "telegram-bot-api.json").read_text(encoding="utf-8"))
    types: dict[str, Any] = contract["types"]
    return types


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    request = OfflineBotRequest(fake)
    async with Bot(fake.token, request=request, get_updates_request=request) as offline_bot:
        yield offline_bot


@pytest.fixture
async def server(fake: FakeTelegram) -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer(fake) as running:
        yield running


def _http_bot(token: str, server: FakeTelegramServer) -> Bot:
    def request() -> HTTPXRequest:
        return HTTPXRequest(httpx_kwargs={"trust_env": False})

    return Bot(token, base_url=server.base_url, request=request(), get_updates_request=request())


@pytest.fixture
async def http_bot(fake: FakeTelegram, server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with _http_bot(fake.token, server) as bot_over_http:
        yield bot_over_http


def _keyboard(*callback_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Go", callback_data=data)] for data in callback_data]
    )


def _conformity_errors(value: Any, type_name: str, types: dict[str, Any], path: str) -> list[str]:
    """Why ``value`` is not a valid ``type_name`` per the contract (empty list: it is)."""
    spec = types[type_name]
    if "subtypes" in spec:  # e.g. MaybeInaccessibleMessage: any subtype will do
        candidates = [_conformity_errors(value, sub, types, path) for sub in spec["subtypes"]]
        return min(candidates, key=len)
    if not isinstance(value, dict):
        return [f"{path}: expected a {type_name} object"]
    fields = {field["name"]: field for field in spec.get("fields", [])}
    errors = [f"{path}.{name}: not a field of {type_name}" for name in value if name not in fields]
    for name, field in fields.items():
        if name in value:
            errors += _field_errors(value[name], field["types"], types, f"{path}.{name}")
        elif field["required"]:
            errors.append(f"{path}.{name}: required by {type_name} but missing")
    return errors


def _field_errors(value: Any, declared: list[str], types: dict[str, Any], path: str) -> list[str]:
    for kind in declared:
        if kind.startswith("Array of "):
            if isinstance(value, list):
                item_kind = kind.removeprefix("Array of ")
                return [
                    e
                    for i, v in enumerate(value)
                    for e in _field_errors(v, [item_kind], types, f"{path}[{i}]")
                ]
        elif kind in _SCALARS:
            if isinstance(value, _SCALARS[kind]) and (
                kind in ("Boolean", "True") or not isinstance(value, bool)
            ):
                return []
        elif kind in types:
            return _conformity_errors(value, kind, types, path)
    return [f"{path}: {value!r} is not {' or '.join(declared)}"]


# -- refusals ---------------------------------------------------------------------------------


@_RAW_CALL
async def test_unknown_method_is_refused_with_telegrams_404(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": STAFF})
    assert fake.rejected[-1][1] == "Not Found"


@_RAW_CALL
async def test_missing_required_parameter_is_refused(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat_id is required"):
        await bot.do_api_request("sendMessage", api_kwargs={"text": "Hello"})
    assert fake.sent_messages() == []


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>Balance: 120", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script"'),
        ("Points 1 < 2", 'Unsupported start tag ""'),
        ("<b><i>nested</b></i>", 'expected "</i>", found "</b>"'),
        ("Fish & Chips Ltd", 'Unescaped "&"'),
        ("<span>hidden</span>", 'must have class "tg-spoiler"'),
        ("done</b>", "Unexpected end tag"),
        ("line<br>break", 'Unsupported start tag "br"'),
    ],
)
async def test_invalid_html_is_refused(
    bot: Bot, fake: FakeTelegram, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(STAFF, html, parse_mode=ParseMode.HTML)
    assert reason in fake.rejected[-1][1]
    assert fake.sent_messages() == []


async def test_valid_nested_html_is_stored_as_telegram_shows_it(
    bot: Bot, fake: FakeTelegram
) -> None:
    html = (
        '<b>Balance: <i>1 &lt; 2</i></b> <a href="https://example.com/?a=1&amp;b=2">terms</a> '
        "<tg-spoiler>secret</tg-spoiler>\n<blockquote expandable>note</blockquote>"
        '<pre><code class="language-text">C-1</code></pre> &#128512;'
    )
    message = await bot.send_message(STAFF, html, parse_mode=ParseMode.HTML)

    assert message.text == "Balance: 1 < 2 terms secret\nnoteC-1 😀"
    shown = {entity.type: text for entity, text in message.parse_entities().items()}
    assert shown == {
        "bold": "Balance: 1 < 2",
        "italic": "1 < 2",
        "text_link": "terms",
        "spoiler": "secret",
        "expandable_blockquote": "note",
        "pre": "C-1",
    }
    stored = fake.last_message(STAFF)
    assert stored["text"] == message.text
    assert stored["_html"] == html


async def test_text_length_is_counted_after_html_parsing(bot: Bot) -> None:
    longest = await bot.send_message(STAFF, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(longest.text or "") == 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(STAFF, "x" * 4097)


@pytest.mark.parametrize(("text", "parse_mode"), [("", None), ("   ", None), ("<b> </b>", "HTML")])
async def test_empty_text_is_refused(bot: Bot, text: str, parse_mode: str | None) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(STAFF, text, parse_mode=parse_mode)


async def test_callback_data_may_be_64_utf8_bytes_but_not_65(bot: Bot, fake: FakeTelegram) -> None:
    fits = "é" * 32  # 32 characters, 64 bytes
    await bot.send_message(STAFF, "Pick one", reply_markup=_keyboard(fits))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(STAFF, "Pick one", reply_markup=_keyboard(fits + "a"))
    assert fake.buttons(fake.last_message(STAFF)) == [("Go", fits)]


@_RAW_CALL
@pytest.mark.parametrize(
    ("button", "reason"),
    [
        ({"text": "Go"}, "Text buttons are unallowed"),
        ({"text": "Go", "callback_data": "go", "url": "https://example.com"}, "exactly one"),
        ({"text": " ", "callback_data": "go"}, "BUTTON_TEXT_INVALID"),
        ({"callback_data": "go"}, 'Field "text" must be of type String'),
        ({"text": "Go", "url": "example.com"}, "BUTTON_URL_INVALID"),
    ],
)
async def test_inline_button_needs_text_and_exactly_one_action(
    bot: Bot, button: dict[str, Any], reason: str
) -> None:
    params = {"chat_id": STAFF, "text": "Pick", "reply_markup": {"inline_keyboard": [[button]]}}
    with pytest.raises(BadRequest, match="(?i)" + re.escape(reason)):
        await bot.do_api_request("sendMessage", api_kwargs=params)


async def test_reply_keyboards_are_checked_and_kept_aside(bot: Bot, fake: FakeTelegram) -> None:
    share = ReplyKeyboardMarkup([[KeyboardButton("Share contact", request_contact=True)]])
    sent = await bot.send_message(STAFF, "Ask the customer to share", reply_markup=share)

    assert sent.reply_markup is None  # Telegram does not echo reply keyboards back
    assert fake.last_message(STAFF)["_reply_markup"] == share.to_dict()
    with pytest.raises(BadRequest, match=r"(?i)inline keyboard expected"):
        await bot.edit_message_text("Changed", STAFF, sent.message_id, reply_markup=share)  # type: ignore[arg-type]
    both = KeyboardButton("Share", request_contact=True, request_location=True)
    with pytest.raises(BadRequest, match=r"(?i)exactly one of the optional fields"):
        await bot.send_message(STAFF, "Share", reply_markup=ReplyKeyboardMarkup([[both]]))
    assert await bot.send_message(STAFF, "Thanks", reply_markup=ReplyKeyboardRemove())


async def test_strict_chats_refuse_a_chat_that_never_wrote_to_the_bot() -> None:
    fake = FakeTelegram(strict_chats=True)
    request = OfflineBotRequest(fake)
    async with Bot(fake.token, request=request, get_updates_request=request) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(MANAGER, "Gameball rejected the API key")
        fake.user_text(MANAGER, "/start")
        await bot.send_message(MANAGER, "Gameball rejected the API key")
    assert fake.last_message(MANAGER)["text"] == "Gameball rejected the API key"


async def test_a_reply_must_name_a_message_in_the_chat(bot: Bot, fake: FakeTelegram) -> None:
    question = fake.user_text(STAFF, "C-1001")["message"]
    reply = await bot.send_message(
        STAFF, "Found", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "C-1001"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(STAFF, "Found", reply_parameters=ReplyParameters(999))


# -- getUpdates -------------------------------------------------------------------------------


async def test_long_poll_wakes_up_for_a_new_update(bot: Bot, fake: FakeTelegram) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_poller()
    assert not poll.done()

    fake.user_text(STAFF, "C-1001")

    (update,) = await poll
    assert update.message is not None
    assert update.message.text == "C-1001"
    assert update.message.from_user is not None
    assert update.message.from_user.id == STAFF


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=timedelta(seconds=0.1)) == ()


async def test_offset_confirms_delivered_updates(bot: Bot, fake: FakeTelegram) -> None:
    first = fake.user_text(STAFF, "/identify")
    second = fake.user_contact(STAFF, "+201001234567")

    delivered = await bot.get_updates()
    assert [update.update_id for update in delivered] == [first["update_id"], second["update_id"]]
    assert await bot.get_updates(offset=second["update_id"] + 1) == ()


async def test_a_second_poller_cuts_off_the_first(bot: Bot, fake: FakeTelegram) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for_poller()
    await bot.get_updates()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await first


async def test_allowed_updates_filter_what_polling_delivers(bot: Bot, fake: FakeTelegram) -> None:
    await bot.send_message(STAFF, "Create profile?", reply_markup=_keyboard("create"))
    fake.press_button(STAFF, fake.last_message(STAFF), "create")
    fake.user_text(STAFF, "Alice")

    delivered = await bot.get_updates(allowed_updates=["message"])
    assert [update.message.text for update in delivered if update.message] == ["Alice"]
    assert all(update.callback_query is None for update in delivered)


async def test_an_active_webhook_blocks_polling_until_deleted(bot: Bot, fake: FakeTelegram) -> None:
    assert await bot.set_webhook("https://bot.example.com/hook", secret_token="s3cret-token")
    assert (await bot.get_webhook_info()).url == "https://bot.example.com/hook"
    assert fake.webhook_secret_token == "s3cret-token"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


@pytest.mark.parametrize(
    ("url", "secret", "reason"),
    [
        ("http://bot.example.com/hook", None, "HTTPS URL must be provided"),
        ("https://bot.example.com/hook", "not secret!", "unallowed characters"),
    ],
)
async def test_webhook_settings_telegram_refuses(
    bot: Bot, url: str, secret: str | None, reason: str
) -> None:
    with pytest.raises(BadRequest, match="(?i)" + re.escape(reason)):
        await bot.set_webhook(url, secret_token=secret)


# -- the bot's high-level calls ---------------------------------------------------------------


async def test_button_press_round_trip(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(
        STAFF, "Create profile?", reply_markup=_keyboard("create", "cancel")
    )

    update = Update.de_json(fake.press_button(STAFF, fake.last_message(STAFF), "create"), bot)

    query = update.callback_query
    assert query is not None
    assert query.data == "create"
    assert query.from_user.id == STAFF
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Creating…") is True
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)


async def test_callback_answer_text_is_limited_to_200_characters(
    bot: Bot, fake: FakeTelegram
) -> None:
    await bot.send_message(STAFF, "Create profile?", reply_markup=_keyboard("create"))
    query_id = fake.press_button(STAFF, fake.last_message(STAFF), "create")["callback_query"]["id"]
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="x" * 200)


async def test_pressing_a_button_that_is_not_on_screen_fails_the_test(
    bot: Bot, fake: FakeTelegram
) -> None:
    sent = await bot.send_message(STAFF, "Create profile?", reply_markup=_keyboard("create"))
    await bot.edit_message_reply_markup(STAFF, sent.message_id, reply_markup=None)
    with pytest.raises(AssertionError, match="no button with callback_data 'create'"):
        fake.press_button(STAFF, fake.last_message(STAFF), "create")


async def test_editing_text_without_a_keyboard_removes_the_keyboard(
    bot: Bot, fake: FakeTelegram
) -> None:
    sent = await bot.send_message(STAFF, "Looking up…", reply_markup=_keyboard("cancel"))

    edited = await bot.edit_message_text("<b>Found</b>", STAFF, sent.message_id, parse_mode="HTML")

    assert getattr(edited, "text", None) == "Found"  # PTB types the result as Message | bool
    (stored,) = fake.sent_messages(STAFF)
    assert stored["text"] == "Found"
    assert "reply_markup" not in stored
    assert fake.buttons(stored) == []


async def test_an_edit_that_changes_nothing_is_refused(bot: Bot) -> None:
    sent = await bot.send_message(STAFF, "Same", reply_markup=_keyboard("go"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Same", STAFF, sent.message_id, reply_markup=_keyboard("go"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(STAFF, sent.message_id, reply_markup=_keyboard("go"))


async def test_editing_or_deleting_an_unknown_message_is_refused(
    bot: Bot, fake: FakeTelegram
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("New", STAFF, 999)
    sent = await bot.send_message(STAFF, "Temporary")
    assert await bot.delete_message(STAFF, sent.message_id)
    assert fake.sent_messages(STAFF) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(STAFF, sent.message_id)


async def test_a_message_the_user_deleted_cannot_be_edited(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(STAFF, "Card")

    fake.user_deletes(STAFF, sent.message_id)

    assert fake.sent_messages(STAFF) == []
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("Closed", STAFF, sent.message_id)


async def test_a_message_older_than_48_hours_cannot_be_edited(bot: Bot, fake: FakeTelegram) -> None:
    recent = await bot.send_message(STAFF, "Card")
    fake.let_time_pass(STAFF, hours=47.9)
    assert await bot.edit_message_text("Closed", STAFF, recent.message_id)

    fake.let_time_pass(STAFF, hours=0.1)

    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("Closed again", STAFF, recent.message_id)


async def test_chat_action_must_be_one_telegram_knows(bot: Bot) -> None:
    assert await bot.send_chat_action(STAFF, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(STAFF, "thinking")


async def test_commands_are_kept_per_scope_and_language(bot: Bot) -> None:
    assert await bot.set_my_commands([("identify", "Identify a customer")])
    assert await bot.set_my_commands([("identify", "تعريف عميل")], language_code="ar")
    assert await bot.set_my_commands(
        [("invite", "Invite staff")], scope=BotCommandScopeChat(MANAGER)
    )

    def listed(commands: tuple[Any, ...]) -> list[tuple[str, str]]:
        return [(command.command, command.description) for command in commands]

    assert listed(await bot.get_my_commands()) == [("identify", "Identify a customer")]
    assert listed(await bot.get_my_commands(language_code="ar")) == [("identify", "تعريف عميل")]
    assert listed(await bot.get_my_commands(scope=BotCommandScopeChat(MANAGER))) == [
        ("invite", "Invite staff")
    ]
    assert await bot.delete_my_commands(language_code="ar")
    assert await bot.get_my_commands(language_code="ar") == ()


@pytest.mark.parametrize(
    ("command", "description", "reason"),
    [
        ("Identify", "Identify a customer", "BOT_COMMAND_INVALID"),
        ("look-up", "Look up a balance", "BOT_COMMAND_INVALID"),
        ("a" * 33, "Too long a name", "BOT_COMMAND_INVALID"),
        ("identify", "", "BOT_COMMAND_DESCRIPTION_INVALID"),
        ("identify", "x" * 257, "BOT_COMMAND_DESCRIPTION_INVALID"),
    ],
)
async def test_invalid_commands_are_refused(
    bot: Bot, command: str, description: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match="(?i)" + re.escape(reason)):
        await bot.set_my_commands([(command, description)])


# -- what users do, and waiting for the bot ---------------------------------------------------


async def test_user_updates_are_understood_by_ptb(bot: Bot, fake: FakeTelegram) -> None:
    command = Update.de_json(fake.user_text(STAFF, "/start abc123"), bot).message
    assert command is not None
    assert list(command.parse_entities([MessageEntity.BOT_COMMAND]).values()) == ["/start"]

    shared = Update.de_json(
        fake.user_contact(STAFF, "+201001234567", contact_user_id=CUSTOMER), bot
    ).message
    assert shared is not None
    assert shared.contact is not None
    assert (shared.contact.phone_number, shared.contact.user_id) == ("+201001234567", CUSTOMER)

    sticker = Update.de_json(fake.user_sticker(STAFF), bot).message
    photo = Update.de_json(fake.user_photo(STAFF), bot).message
    assert sticker is not None
    assert sticker.sticker is not None
    assert photo is not None
    assert photo.photo

    group = Update.de_json(fake.user_text(STAFF, "C-1", chat_id=-500, chat_type="group"), bot)
    assert group.effective_chat is not None
    assert group.effective_chat.type == "group"


async def test_what_the_fake_answers_matches_the_contract(
    bot: Bot, fake: FakeTelegram, contract_types: dict[str, Any]
) -> None:
    question = fake.user_text(STAFF, "/identify")
    html = "<b>Balance</b>: 120"
    params = {"chat_id": STAFF, "text": html, "parse_mode": "HTML"}
    params["reply_parameters"] = {"message_id": question["message"]["message_id"]}
    params["reply_markup"] = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    _, sent = fake.handle("sendMessage", params)
    updates = [
        question,
        fake.user_contact(STAFF, "+201001234567", contact_user_id=CUSTOMER),
        fake.user_sticker(STAFF),
        fake.user_photo(STAFF),
        fake.user_text(STAFF, "hi", chat_id=-500, chat_type="supergroup"),
        fake.press_button(STAFF, fake.last_message(STAFF), "go"),
    ]
    answers = [
        (fake.handle("getMe", {})[1]["result"], "User"),
        (sent["result"], "Message"),
        (fake.handle("getWebhookInfo", {})[1]["result"], "WebhookInfo"),
        *[(update, "Update") for update in updates],
    ]

    errors = [
        error
        for value, type_name in answers
        for error in _conformity_errors(value, type_name, contract_types, type_name)
    ]
    assert errors == []


async def test_wait_for_message_returns_the_answer_it_waited_for(
    bot: Bot, fake: FakeTelegram
) -> None:
    waiting = asyncio.create_task(fake.wait_for_message(STAFF, contains="Balance"))
    await bot.send_message(STAFF, "Looking up…")
    await bot.send_message(STAFF, "Balance: 120 points")

    assert (await waiting)["text"] == "Balance: 120 points"
    call = await fake.wait_for(lambda call: call.params.get("text") == "Looking up…")
    assert call.method == "sendMessage"


async def test_waiting_for_an_answer_that_never_comes_fails_clearly(fake: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match="no message containing 'Balance'"):
        await fake.wait_for_message(STAFF, contains="Balance", timeout=0.05)
    with pytest.raises(AssertionError, match="no matching Bot API call"):
        await fake.wait_for(lambda call: call.method == "sendMessage", timeout=0.05)


# -- over HTTP with real sockets --------------------------------------------------------------


async def test_over_http_ptb_sends_and_polls_through_real_sockets(
    http_bot: Bot, fake: FakeTelegram
) -> None:
    assert http_bot.username == "checkout_test_bot"
    sent = await http_bot.send_message(
        STAFF,
        "<b>Hi</b> &amp; welcome",
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard("é" * 32),
    )
    assert sent.text == "Hi & welcome"
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await http_bot.send_message(STAFF, "<b>Hi", parse_mode=ParseMode.HTML)

    poll = asyncio.create_task(http_bot.get_updates(timeout=5))
    await fake.wait_for_poller()
    fake.user_text(STAFF, "C-1001")
    (update,) = await poll
    assert update.message is not None
    assert update.message.text == "C-1001"


async def test_over_http_a_wrong_token_is_unauthorized(
    server: FakeTelegramServer, fake: FakeTelegram
) -> None:
    with pytest.raises(InvalidToken):
        async with _http_bot("999999:WRONG-TOKEN", server):
            pass
    assert fake.rejected[-1][1] == "Unauthorized"


@pytest.mark.parametrize("encoding", ["json", "form", "multipart"])
async def test_over_http_json_form_and_multipart_bodies_mean_the_same(
    server: FakeTelegramServer, fake: FakeTelegram, encoding: str
) -> None:
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    url = f"{server.base_url}{fake.token}/sendMessage"
    fields = {"chat_id": str(STAFF), "text": "Hi", "reply_markup": json.dumps(keyboard)}
    async with httpx.AsyncClient(trust_env=False) as client:
        if encoding == "json":
            response = await client.post(
                url, json={"chat_id": STAFF, "text": "Hi", "reply_markup": keyboard}
            )
        elif encoding == "form":
            response = await client.post(url, data=fields)
        else:
            response = await client.post(url, data=fields, files={"unused": ("a.txt", b"x")})

    assert response.status_code == 200
    assert response.json()["result"]["reply_markup"] == keyboard
    assert fake.calls[-1].params == {"chat_id": STAFF, "text": "Hi", "reply_markup": keyboard}


async def test_over_http_unknown_methods_and_paths_get_telegrams_404(
    server: FakeTelegramServer, fake: FakeTelegram
) -> None:
    not_found = {"ok": False, "error_code": 404, "description": "Not Found"}
    async with httpx.AsyncClient(trust_env=False) as client:
        unknown_method = await client.post(f"{server.base_url}{fake.token}/sendTelepathy")
        unknown_path = await client.get(server.base_url.removesuffix("/bot") + "/favicon.ico")
    assert (unknown_method.status_code, unknown_method.json()) == (404, not_found)
    assert (unknown_path.status_code, unknown_path.json()) == (404, not_found)


async def test_over_http_an_unreadable_body_or_method_gets_a_json_refusal(
    server: FakeTelegramServer, fake: FakeTelegram
) -> None:
    url = f"{server.base_url}{fake.token}/sendMessage"
    async with httpx.AsyncClient(trust_env=False) as client:
        not_json = await client.post(
            url, content=b"{chat_id", headers={"Content-Type": "application/json"}
        )
        not_an_object = await client.post(url, json=[STAFF, "Hi"])
        not_utf8 = await client.post(
            url,
            content=b"chat_id=1&text=%FF",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        put = await client.put(url, data={"chat_id": str(STAFF), "text": "Hi"})
    unreadable = {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse request body",
    }
    for response in (not_json, not_an_object, not_utf8):
        assert (response.status_code, response.json()) == (400, unreadable)
    assert (put.status_code, put.json()["error_code"]) == (405, 405)
    assert fake.calls == []


async def test_over_http_the_server_logs_no_request_and_so_no_token(
    server: FakeTelegramServer, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="aiohttp"):
        async with httpx.AsyncClient(trust_env=False) as client:
            await client.post(f"{server.base_url}{fake.token}/getMe")
            await client.post(f"{server.base_url}{fake.token}/sendTelepathy")

    assert fake.token not in "".join(r.getMessage() for r in caplog.records if r.name != "httpx")


async def test_over_http_a_client_that_hangs_up_ends_its_long_poll(
    server: FakeTelegramServer, fake: FakeTelegram
) -> None:
    url = f"{server.base_url}{fake.token}/getUpdates"
    async with httpx.AsyncClient(trust_env=False, timeout=None) as client:
        poll = asyncio.create_task(client.post(url, data={"timeout": "5"}))
        await fake.wait_for_poller()
        poll.cancel()
        await fake.wait_until(lambda: fake.parked_pollers == 0, timeout=2)
    assert fake.rejected == []


async def test_stopping_the_server_answers_parked_long_polls(
    server: FakeTelegramServer, fake: FakeTelegram
) -> None:
    url = f"{server.base_url}{fake.token}/getUpdates"
    async with httpx.AsyncClient(trust_env=False, timeout=None) as client:
        poll = asyncio.create_task(client.post(url, data={"timeout": "60"}))
        await fake.wait_for_poller()
        await asyncio.wait_for(server.stop(), timeout=5)
        assert fake.parked_pollers == 0
        poll.cancel()


async def test_post_update_delivers_to_a_loopback_webhook_with_its_secret(
    server: FakeTelegramServer, fake: FakeTelegram
) -> None:
    received: list[tuple[Any, str | None]] = []

    async def webhook(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((await request.json(), secret))
        return web.Response()

    routes = web.Application()
    routes.router.add_post("/hook", webhook)
    runner = web.AppRunner(routes)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        fake.handle("setWebhook", {"url": url, "secret_token": "s3cret"})
        update = fake.user_text(STAFF, "C-1001", queue=False)

        status = await server.post_update(fake.webhook_url, update, fake.webhook_secret_token)
    finally:
        await runner.cleanup()

    assert status == 200
    assert received == [(update, "s3cret")]
    with pytest.raises(ValueError, match="loopback"):
        await server.post_update("https://bot.example.com/hook", update, None)


# --- files and Mini Apps (issue 17) -------------------------------------------------------------


async def test_a_photo_the_user_sent_is_downloaded_as_sent(bot: Bot, fake: FakeTelegram) -> None:
    picture = Image.new("RGB", (640, 480), "white")
    out = io.BytesIO()
    picture.save(out, "PNG")
    message = Update.de_json(fake.user_photo(STAFF, image=out.getvalue()), bot).message
    assert message is not None
    thumbnail, full = message.photo
    assert (thumbnail.width, thumbnail.height) == (90, 68)
    assert (full.width, full.height, full.file_size) == (640, 480, len(out.getvalue()))
    file = await full.get_file()
    assert await file.download_as_bytearray() == out.getvalue()


async def test_files_nobody_sent_are_not_found(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("photo-nobody-sent")
    fake.user_document(STAFF, b"%PDF", mime_type="application/pdf")
    never_handed_out = f"{bot.base_file_url}/files/file_0"  # no getFile: as PTB would build it
    unasked = File("document-1", "unique-document-1", file_path=never_handed_out)
    unasked.set_bot(bot)
    with pytest.raises(InvalidToken):  # PTB's reading of a 404
        await unasked.download_as_bytearray()


async def test_mini_apps_open_over_https_only(bot: Bot, fake: FakeTelegram) -> None:
    fake.user_text(STAFF, "/start")
    for url in ("https://bot.example.com/scan", "http://bot.example.com/scan"):
        button = KeyboardButton("Scan", web_app=WebAppInfo(url))
        keyboard = ReplyKeyboardMarkup([[button]])
        if url.startswith("https"):
            await bot.send_message(STAFF, "Scan", reply_markup=keyboard)
        else:
            with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
                await bot.send_message(STAFF, "Scan", reply_markup=keyboard)


def test_what_a_mini_app_sends_arrives_as_web_app_data(fake: FakeTelegram) -> None:
    update = fake.user_web_app_data(STAFF, "demo-1001482913", queue=False)
    assert update["message"]["web_app_data"] == {
        "data": "demo-1001482913",
        "button_text": "📷 Scan",
    }
    captioned = fake.user_photo(STAFF, caption="/balance please", queue=False)["message"]
    assert captioned["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 8}]
