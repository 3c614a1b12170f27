"""A strict, in-memory fake of the Telegram Bot API.

Why strict: a fake that accepts anything lets a bot pass its tests and then fail in front of a
cashier with ``can't parse entities`` or ``BUTTON_DATA_INVALID``. This fake refuses what Telegram
refuses (unknown methods, missing parameters, bad HTML, oversized texts and callback data,
malformed keyboards and commands) with Telegram's own status codes and error texts, and it reads
method names, parameters and button fields from the Bot API contract in ``contracts/``.

One core, three ways in:

* :class:`FakeTelegram` validates and executes calls against in-memory chats, builds the updates a
  user would cause (texts, contacts, button presses) and lets tests wait for the bot's answers;
* :class:`OfflineBotRequest` plugs the core into python-telegram-bot without sockets (fast
  conversation tests);
* :class:`FakeTelegramServer` serves the same core over HTTP on loopback (end-to-end tests, webhook
  tests, benchmarks), with real long polling.

Deliberate differences from Telegram, each in the direction of catching bugs earlier:

* a bare ``&`` that does not start an entity is refused in HTML (Telegram keeps it literally, but
  an unescaped ``&`` means unescaped user input, which breaks on the next ``<``);
* ``parse_mode`` ``Markdown``/``MarkdownV2`` is refused as not emulated (the bot speaks HTML);
* methods the fake does not emulate answer 501 unless they just return ``True``.

Deliberate leniencies, for tests: ``getUpdates`` accepts a fractional ``timeout`` (fast long-poll
tests) and ``setWebhook`` accepts ``http://`` URLs on loopback.
"""

from __future__ import annotations

import asyncio
import copy
import io
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import httpx
import tornado.escape
import tornado.httputil
from PIL import Image
from telegram.request import BaseRequest, RequestData

from bot.sandbox.http1 import HttpRequest, HttpResponse, HttpServer
from tests.contract import CONTRACTS_DIR

DEFAULT_SPEC_PATH = CONTRACTS_DIR / "telegram-bot-api.json"

MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_BOT_COMMANDS = 100
MAX_UPDATES_PER_POLL = 100
#: "For the moment, bots can download files of up to 20MB in size" (getFile).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
THUMBNAIL_SIDE = 90

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_INTEGER = re.compile(r"-?\d+")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
#: Update kinds Telegram leaves out when ``allowed_updates`` was never given.
_OPT_IN_UPDATE_KINDS = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
#: Button fields that decorate a button rather than say what pressing it does.
_BUTTON_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})

_T = TypeVar("_T")


@dataclass
class BotApiCall:
    """One Bot API request as Telegram understood it: parameters decoded to JSON values."""

    method: str
    params: dict[str, Any]


class BotApiError(Exception):
    """A refusal; :meth:`FakeTelegram.handle` turns it into Telegram's error envelope."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description

    def envelope(self) -> dict[str, Any]:
        return {"ok": False, "error_code": self.error_code, "description": self.description}


def _bad_request(detail: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {detail}")


def _utf16_length(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def _public(value: Any) -> Any:
    """A deep copy without the fake's ``_``-prefixed bookkeeping keys: Telegram never sends them."""
    if isinstance(value, dict):
        return {key: _public(item) for key, item in value.items() if not key.startswith("_")}
    if isinstance(value, list):
        return [_public(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------
# The contract
# --------------------------------------------------------------------------------------------


class BotApiSpec:
    """The Bot API contract, indexed for the questions the fake asks of it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._methods: dict[str, dict[str, Any]] = {
            name.lower(): method for name, method in raw["methods"].items()
        }
        self._types: dict[str, dict[str, Any]] = raw["types"]
        # Asked on every call, so indexed once rather than read off the field lists each time.
        self._parameter_types = {
            name: {field["name"]: field["types"] for field in method.get("fields", [])}
            for name, method in self._methods.items()
        }
        self._required = {
            name: tuple(field["name"] for field in method.get("fields", []) if field["required"])
            for name, method in self._methods.items()
        }

    def method(self, name: str) -> dict[str, Any] | None:
        """Telegram matches method names case-insensitively."""
        return self._methods.get(name.lower())

    def parameter_types(self, method: str) -> dict[str, list[str]]:
        """The declared types of each of ``method``'s parameters, by parameter name."""
        return self._parameter_types[method.lower()]

    def required_parameters(self, method: str) -> tuple[str, ...]:
        return self._required[method.lower()]

    def field_names(self, type_name: str) -> list[str]:
        return [field["name"] for field in self._types[type_name].get("fields", [])]

    def required_fields(self, type_name: str) -> list[str]:
        fields = self._types[type_name].get("fields", [])
        return [field["name"] for field in fields if field["required"]]

    def subtypes(self, type_name: str) -> list[str]:
        return list(self._types[type_name].get("subtypes", []))


@cache
def load_spec(path: Path) -> BotApiSpec:
    """Parsed once per process: the contract is ~1 MB and every test builds a fresh fake."""
    return BotApiSpec(json.loads(path.read_text(encoding="utf-8")))


def _decode_params(declared: dict[str, list[str]], params: dict[str, Any]) -> dict[str, Any]:
    """Turn wire values into JSON values, the way Telegram reads form fields by declared type."""
    return {name: _decode_value(name, value, declared.get(name)) for name, value in params.items()}


def _decode_value(name: str, value: Any, types: list[str] | None) -> Any:
    if types is None:  # unknown parameter: Telegram ignores it; keep it for the record
        return value
    if isinstance(value, str):
        if "String" not in types:
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(f"can't parse {name} JSON object") from None
        if "Integer" in types and _INTEGER.fullmatch(value):
            return int(value)
        return value
    if types == ["String"] and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


# --------------------------------------------------------------------------------------------
# Telegram's HTML
# --------------------------------------------------------------------------------------------

_TAG_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARACTER_REFERENCE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_TAG_NAME = re.compile(r"[^\s>]*")
_ATTRIBUTE = re.compile(
    r"""([A-Za-z_][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""", re.ASCII
)


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset: int  # UTF-16 offset in the plain text where the tag's content starts
    language: str | None = None  # <pre><code class="language-x"> sets the block's language


class _HtmlParser:
    """Telegram's HTML dialect: a handful of tags, four named entities, strict nesting."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._position = 0
        self._text: list[str] = []
        self._text_length = 0  # in UTF-16 code units
        self._open: list[_OpenTag] = []
        self._entities: list[dict[str, Any]] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self._position < len(self._source):
            tag_start = self._source.find("<", self._position)
            text_end = len(self._source) if tag_start == -1 else tag_start
            self._emit(self._unescape(self._source[self._position : text_end], self._position))
            self._position = text_end
            if tag_start != -1:
                self._read_tag()
        if self._open:
            name = self._open[-1].name
            raise self._error(f'Can\'t find end tag corresponding to start tag "{name}"')
        entities = sorted(self._entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self._text), entities

    def _emit(self, text: str) -> None:
        self._text.append(text)
        self._text_length += _utf16_length(text)

    def _byte_offset(self, position: int) -> int:
        return len(self._source[:position].encode())

    @staticmethod
    def _error(detail: str) -> BotApiError:
        return _bad_request(f"can't parse entities: {detail}")

    def _unescape(self, text: str, position: int) -> str:
        if "&" not in text:
            return text  # most of a message: nothing to check or replace
        for ampersand in re.finditer("&", text):
            reference = _CHARACTER_REFERENCE.match(text, ampersand.start())
            if reference is None or _referenced_character(reference) is None:
                offset = self._byte_offset(position + ampersand.start())
                raise self._error(f'Unescaped "&" at byte offset {offset}; write it as &amp;')
        return _CHARACTER_REFERENCE.sub(lambda match: _referenced_character(match) or "", text)

    def _read_tag(self) -> None:
        if self._source.startswith("</", self._position):
            self._read_end_tag()
        else:
            self._read_start_tag()

    def _read_start_tag(self) -> None:
        start = self._position
        name_match = _TAG_NAME.match(self._source, start + 1)
        assert name_match is not None  # the pattern matches the empty string
        if name_match.end() >= len(self._source):
            raise self._error(f"Unclosed start tag at byte offset {self._byte_offset(start)}")
        name = name_match.group().lower()
        if name not in _TAG_ENTITY_TYPES:
            offset = self._byte_offset(start)
            raise self._error(f'Unsupported start tag "{name}" at byte offset {offset}')
        attributes = self._read_attributes(name, name_match.end(), start)
        self._check_attributes(name, attributes)
        self._open.append(_OpenTag(name, attributes, self._text_length))

    def _read_attributes(self, tag: str, position: int, tag_start: int) -> dict[str, str]:
        attributes: dict[str, str] = {}
        while True:
            while position < len(self._source) and self._source[position].isspace():
                position += 1
            if position >= len(self._source):
                offset = self._byte_offset(tag_start)
                raise self._error(f"Unclosed start tag at byte offset {offset}")
            if self._source[position] == ">":
                self._position = position + 1
                return attributes
            attribute = _ATTRIBUTE.match(self._source, position)
            if attribute is None:
                offset = self._byte_offset(position)
                raise self._error(f'Invalid attribute in tag "{tag}" at byte offset {offset}')
            group = next((index for index in (2, 3, 4) if attribute.group(index) is not None), 0)
            value, value_start = attribute.group(group), attribute.start(group)
            attributes[attribute.group(1).lower()] = (
                self._unescape(value, value_start) if group else ""
            )
            position = attribute.end()

    @classmethod
    def _check_attributes(cls, tag: str, attributes: dict[str, str]) -> None:
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise cls._error('Tag "span" must have class "tg-spoiler"')
        if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise cls._error('Tag "tg-emoji" must have a numeric attribute "emoji-id"')

    def _read_end_tag(self) -> None:
        start = self._position
        close = self._source.find(">", start)
        if close == -1:
            raise self._error(f"Unclosed end tag at byte offset {self._byte_offset(start)}")
        name = self._source[start + 2 : close].strip().lower()
        if not self._open:
            raise self._error(f"Unexpected end tag at byte offset {self._byte_offset(start)}")
        expected = self._open[-1].name
        if name != expected:
            offset = self._byte_offset(start)
            raise self._error(
                f'Unmatched end tag at byte offset {offset}, expected "</{expected}>", '
                f'found "</{name}>"'
            )
        self._position = close + 1
        self._close(self._open.pop())

    def _close(self, tag: _OpenTag) -> None:
        css_class = tag.attributes.get("class", "")
        in_pre = bool(self._open) and self._open[-1].name == "pre"
        if tag.name == "code" and in_pre and css_class.startswith("language-"):
            self._open[-1].language = css_class.removeprefix("language-")  # pre gets it
            return
        length = self._text_length - tag.offset
        if length > 0 and (tag.name != "a" or tag.attributes.get("href")):
            self._entities.append(_entity_for(tag, length))


def _referenced_character(reference: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = reference.groups()
    if named:
        return _NAMED_CHARACTERS[named]
    code_point = int(decimal) if decimal else int(hexadecimal, 16)
    if 0 < code_point <= 0x10FFFF and not 0xD800 <= code_point <= 0xDFFF:
        return chr(code_point)
    return None


def _entity_for(tag: _OpenTag, length: int) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "type": _TAG_ENTITY_TYPES[tag.name],
        "offset": tag.offset,
        "length": length,
    }
    if tag.name == "a":
        entity["url"] = tag.attributes["href"]
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes["emoji-id"]
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    return entity


def parse_telegram_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """``(plain text, entities)`` as Telegram derives them, or :class:`BotApiError` 400."""
    return _HtmlParser(source).parse()


def _check_entities(entities: Any) -> list[dict[str, Any]]:
    well_formed = isinstance(entities, list) and all(
        isinstance(entity, dict)
        and isinstance(entity.get("type"), str)
        and isinstance(entity.get("offset"), int)
        and isinstance(entity.get("length"), int)
        for entity in entities
    )
    if not well_formed:
        raise _bad_request("can't parse entities JSON object")
    return copy.deepcopy(entities)


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram trims surrounding whitespace and moves the entities with the text."""
    stripped = text.strip()
    shift = _utf16_length(text[: len(text) - len(text.lstrip())])
    limit = _utf16_length(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------------------------
# The core
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """Core: validates and executes Bot API calls against in-memory state; front ends share it."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN-not-real",
        bot_id: int = 123456,
        username: str = "checkout_test_bot",
        spec_path: Path | None = None,
        strict_chats: bool = False,
    ) -> None:
        self.calls: list[BotApiCall] = []
        self.rejected: list[tuple[BotApiCall, str]] = []
        self._token = token
        self._bot: dict[str, Any] = {"id": bot_id, "is_bot": True}
        self._bot |= {"first_name": "Checkout Test Bot", "username": username}
        self._spec = load_spec(spec_path or DEFAULT_SPEC_PATH)
        self._strict_chats = strict_chats
        self._inline_actions = self._button_actions("InlineKeyboardButton")
        self._keyboard_actions = self._button_actions("KeyboardButton")
        self._scope_types = {
            _snake_case(name.removeprefix("BotCommandScope")): name
            for name in self._spec.subtypes("BotCommandScope")
        }
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getFile": self._get_file,
        }
        self._chats: dict[int, dict[str, Any]] = {}
        self._first_names: dict[int, str] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._messages_by_chat: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._files: dict[str, bytes] = {}  # file_id → what the user sent
        self._file_paths: dict[str, str] = {}  # file_path handed out by getFile → file_id
        self._pending_updates: list[dict[str, Any]] = []
        self._allowed_updates: list[str] = []
        self._unanswered_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._webhook: dict[str, Any] = {}
        self._waiters: list[asyncio.Event] = []
        self._poll_generation = 0
        self._poll_releases = 0
        self._parked_pollers = 0

    @property
    def token(self) -> str:
        return self._token

    @property
    def webhook_url(self) -> str:
        """The URL last set with setWebhook ("" when the bot uses getUpdates)."""
        return str(self._webhook.get("url", ""))

    @property
    def webhook_secret_token(self) -> str | None:
        """The ``secret_token`` given to setWebhook, to post updates the way Telegram would."""
        secret = self._webhook.get("secret_token")
        return secret if isinstance(secret, str) else None

    # -- requests -----------------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Execute one call now: ``(HTTP status, response JSON)``; getUpdates never waits here."""
        call = BotApiCall(method, dict(params))
        try:
            call = self._validate(method, params)
            result = self._execute(call)
        except BotApiError as error:
            return self._refuse(call, error)
        self.calls.append(call)
        self._wake_waiters()
        return 200, {"ok": True, "result": _public(result)}

    async def serve(
        self, token: str, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """What the front ends call: checks the token, and lets getUpdates long-poll."""
        if token != self._token:
            return self._refuse(BotApiCall(method, dict(params)), BotApiError(401, "Unauthorized"))
        if method.lower() == "getupdates" and await self._long_poll(params):
            superseded = BotApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
            return self._refuse(BotApiCall("getUpdates", dict(params)), superseded)
        return self.handle(method, params)

    def _refuse(self, call: BotApiCall, error: BotApiError) -> tuple[int, dict[str, Any]]:
        self.rejected.append((call, error.description))
        return error.error_code, error.envelope()

    def _validate(self, method: str, params: dict[str, Any]) -> BotApiCall:
        spec = self._spec.method(method)
        if spec is None:
            raise BotApiError(404, "Not Found")
        decoded = _decode_params(self._spec.parameter_types(method), params)
        for name in self._spec.required_parameters(method):
            if name not in decoded:
                raise _bad_request(f"{name} is required")
        return BotApiCall(spec["name"], decoded)

    def _execute(self, call: BotApiCall) -> Any:
        handler = self._handlers.get(call.method)
        if handler is not None:
            return handler(call.params)
        if self._returns_only_true(call.method):
            return True
        raise BotApiError(501, f"Not Implemented: the fake does not emulate {call.method}")

    def _returns_only_true(self, method: str) -> bool:
        spec = self._spec.method(method)
        return spec is not None and spec.get("returns") == ["Boolean"]

    # -- long polling ---------------------------------------------------------------------

    async def _long_poll(self, params: dict[str, Any]) -> bool:
        """Park a getUpdates until it has something to return; True if a newer poll cut it off."""
        self._poll_generation += 1
        generation, releases = self._poll_generation, self._poll_releases
        self._wake_waiters()  # an older parked poll learns that it was superseded
        try:
            call = self._validate("getUpdates", params)
        except BotApiError:
            return False  # handle() will refuse it with the reason
        timeout = call.params.get("timeout", 0)
        if self.webhook_url or not isinstance(timeout, int | float) or timeout <= 0:
            return False

        def poll_over() -> bool | None:
            superseded = generation != self._poll_generation
            released = releases != self._poll_releases
            return superseded or released or bool(self._deliverable(call.params)) or None

        if poll_over() is None:
            self._parked_pollers += 1
            self._wake_waiters()
            try:
                await self._wait_until(poll_over, timeout)
            finally:
                self._parked_pollers -= 1
                self._wake_waiters()
        return generation != self._poll_generation

    def release_pollers(self) -> None:
        """Answer every parked getUpdates now (what a server does before it shuts down)."""
        self._poll_releases += 1
        self._wake_waiters()

    @property
    def parked_pollers(self) -> int:
        """How many getUpdates long polls are waiting for updates right now."""
        return self._parked_pollers

    async def wait_for_poller(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (see wait_for)
        """Wait until a getUpdates is parked, e.g. to prove a long poll wakes on a new update."""
        await self.wait_until(lambda: self._parked_pollers > 0, timeout)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 (see wait_for)
    ) -> None:
        """Wait until ``condition()`` holds; it is re-checked whenever the fake's state changes."""
        if await self._wait_until(lambda: condition() or None, timeout) is None:
            raise AssertionError(f"the fake's state did not reach the condition within {timeout} s")

    # -- waiting --------------------------------------------------------------------------

    def _wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.set()

    async def _wait_until(self, found: Callable[[], _T | None], seconds: float) -> _T | None:
        """Re-check ``found`` on every change of state until it returns a value or time is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (result := found()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            waiter = asyncio.Event()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(remaining):  # unlike wait_for, no task per wait
                    await waiter.wait()
            except TimeoutError:
                pass
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return result

    async def wait_for(
        self,
        predicate: Callable[[BotApiCall], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 agreed API: a plain number reads best in tests
    ) -> BotApiCall:
        """The first accepted call matching ``predicate``, waiting for it if need be."""
        checked = 0

        def first_match() -> BotApiCall | None:
            nonlocal checked
            for call in self.calls[checked:]:
                if predicate(call):
                    return call
            checked = len(self.calls)
            return None

        call = await self._wait_until(first_match, timeout)
        if call is None:
            methods = [call.method for call in self.calls[-10:]]
            refused = [description for _, description in self.rejected[-5:]]
            raise AssertionError(
                f"no matching Bot API call within {timeout} s; last accepted: {methods}; "
                f"last refused: {refused}"
            )
        return call

    async def wait_for_message(
        self,
        chat_id: int,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (see wait_for)
    ) -> dict[str, Any]:
        """The bot's most recent message in ``chat_id`` (whose text contains ``contains``).

        Messages are matched on their latest content, so an edit that brings the text counts.
        Without ``contains`` this returns at once if the bot already said anything there.
        """

        def latest_match() -> dict[str, Any] | None:
            for message in reversed(self._messages_by_chat.get(chat_id, {}).values()):
                if self._sent_by_bot(message) and (contains or "") in message.get("text", ""):
                    return copy.deepcopy(message)
            return None

        message = await self._wait_until(latest_match, timeout)
        if message is None:
            texts = [sent.get("text", "") for sent in self.sent_messages(chat_id)[-5:]]
            raise AssertionError(
                f"the bot sent no message containing {contains!r} to chat {chat_id} within "
                f"{timeout} s; its last messages there: {texts}"
            )
        return message

    # -- what the bot sent ----------------------------------------------------------------

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The bot's messages, oldest first, each with its latest content.

        Besides Telegram's fields a message carries ``_html`` (the raw text when sent with
        ``parse_mode=HTML``) and ``_reply_markup`` (a reply keyboard, which Telegram does not
        echo back).
        """
        messages = (
            self._messages.values()
            if chat_id is None
            else self._messages_by_chat.get(chat_id, {}).values()
        )
        return [copy.deepcopy(message) for message in messages if self._sent_by_bot(message)]

    def last_message(self, chat_id: int) -> dict[str, Any]:
        messages = self.sent_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {chat_id}")
        return messages[-1]

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
        """``(text, callback_data)`` of the message's inline callback buttons, row by row."""
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return [
            (button["text"], button["callback_data"])
            for row in rows
            for button in row
            if "callback_data" in button
        ]

    def _sent_by_bot(self, message: dict[str, Any]) -> bool:
        return bool(message.get("from", {}).get("id") == self._bot["id"])

    # -- what users do --------------------------------------------------------------------

    def user_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Staff",
        language_code: str | None = "en",
        queue: bool = True,
    ) -> dict[str, Any]:
        """A user types ``text``; a leading ``/command`` gets its bot_command entity."""
        self._first_names[user_id] = first_name
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = _utf16_length(command)
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if chat_id is None and chat_type != "private":
            chat_id = -user_id
        return self._user_message(user_id, language_code, chat_id, chat_type, content, queue)

    def user_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        first_name: str = "Customer",
        contact_user_id: int | None = None,
        chat_id: int | None = None,
        language_code: str | None = "en",
        queue: bool = True,
    ) -> dict[str, Any]:
        """A user shares a contact card (``contact_user_id`` set when it is a Telegram user's)."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        content = {"contact": contact}
        return self._user_message(user_id, language_code, chat_id, None, content, queue)

    def user_sticker(
        self, user_id: int, *, chat_id: int | None = None, queue: bool = True
    ) -> dict[str, Any]:
        """Something the bot cannot use as an answer, to test how it copes."""
        file_id = f"sticker-{next(self._file_ids)}"
        sticker = {
            "file_id": file_id,
            "file_unique_id": f"unique-{file_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._user_message(user_id, "en", chat_id, None, {"sticker": sticker}, queue)

    def user_photo(
        self,
        user_id: int,
        *,
        image: bytes | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        chat_type: str | None = None,
        queue: bool = True,
    ) -> dict[str, Any]:
        """A photo; with ``image`` (an encoded picture) the bot can download it with getFile.

        Like Telegram, the message lists the sizes smallest first: a thumbnail, then ``image``.
        """
        file_id = f"photo-{next(self._file_ids)}"
        if image is None:
            photo = [
                {"file_id": f"{file_id}-{size}", "file_unique_id": f"unique-{file_id}-{size}"}
                | {"width": size, "height": size}
                for size in (THUMBNAIL_SIDE, 800)
            ]
        else:
            photo = [
                self._photo_size(f"{file_id}-thumbnail", _thumbnail(image)),
                self._photo_size(f"{file_id}-full", image),
            ]
        content = {"photo": photo} | _caption(caption)
        return self._user_message(user_id, "en", chat_id, chat_type, content, queue)

    def user_document(
        self,
        user_id: int,
        content: bytes,
        *,
        mime_type: str,
        file_name: str = "file",
        caption: str | None = None,
        chat_id: int | None = None,
        queue: bool = True,
    ) -> dict[str, Any]:
        """A file sent as a file (not as a photo), downloadable with getFile."""
        document = self._stored_file(f"document-{next(self._file_ids)}", content)
        document |= {"file_name": file_name, "mime_type": mime_type}
        message = {"document": document} | _caption(caption)
        return self._user_message(user_id, "en", chat_id, None, message, queue)

    def user_web_app_data(
        self,
        user_id: int,
        data: str,
        *,
        button_text: str = "📷 Scan",
        chat_id: int | None = None,
        queue: bool = True,
    ) -> dict[str, Any]:
        """What a Mini App opened from a keyboard button sent with ``Telegram.WebApp.sendData``."""
        content = {"web_app_data": {"data": data, "button_text": button_text}}
        return self._user_message(user_id, "en", chat_id, None, content, queue)

    def _stored_file(self, file_id: str, content: bytes) -> dict[str, Any]:
        """Keep ``content`` for getFile and downloads; the fields every file object has."""
        self._files[file_id] = content
        return self._file_object(file_id)

    def _file_object(self, file_id: str) -> dict[str, Any]:
        size = len(self._files[file_id])
        return {"file_id": file_id, "file_unique_id": f"unique-{file_id}", "file_size": size}

    def _photo_size(self, file_id: str, image: bytes) -> dict[str, Any]:
        with Image.open(io.BytesIO(image)) as opened:
            width, height = opened.size
        return self._stored_file(file_id, image) | {"width": width, "height": height}

    def file_content(self, token: str, file_path: str) -> bytes | None:
        """A download: the content behind a ``file_path`` that getFile handed out, else None."""
        file_id = self._file_paths.get(file_path)
        return self._files[file_id] if token == self._token and file_id else None

    def message_with_button(
        self, chat_id: int, label: str, *, exact: bool = False
    ) -> dict[str, Any]:
        """The latest message in the chat with a button labelled ``label`` (or, unless ``exact``,
        whose label contains it, such as "Refresh" for "🔄 Refresh")."""
        for message in reversed(self.sent_messages(chat_id)):
            if self._button_data(message, label, exact) is not None:
                return message
        raise AssertionError(f"no message in chat {chat_id} offers a button {label!r}")

    def press_label(
        self,
        user_id: int,
        label: str,
        *,
        message: dict[str, Any] | None = None,
        exact: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A user taps the button ``label`` on ``message``, by default the latest offering it."""
        message = message or self.message_with_button(user_id, label, exact=exact)
        data = self._button_data(message, label, exact)
        if data is None:
            raise AssertionError(f"the message offers no button {label!r}")
        return self.press_button(user_id, message, data, **kwargs)

    @classmethod
    def _button_data(cls, message: dict[str, Any], label: str, exact: bool) -> str | None:
        for text, data in cls.buttons(message):
            if text == label or (not exact and label in text):
                return data
        return None

    def press_button(
        self,
        user_id: int,
        message: dict[str, Any],
        callback_data: str,
        *,
        language_code: str | None = "en",
        queue: bool = True,
    ) -> dict[str, Any]:
        """A user taps a button on the bot's message as it is on screen now (latest content)."""
        key = (message["chat"]["id"], message["message_id"])
        on_screen = self._messages.get(key)
        if on_screen is None or not self._sent_by_bot(on_screen):
            raise AssertionError(f"message {key} is not a message of the bot that is on screen")
        offered = [data for _, data in self.buttons(on_screen)]
        if callback_data not in offered:
            raise AssertionError(
                f"message {key} has no button with callback_data {callback_data!r}; "
                f"it offers {offered}"
            )
        query_id = f"query-{next(self._query_ids)}"
        self._unanswered_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id, language_code),
            "message": _public(on_screen),
            "chat_instance": f"instance-{key[0]}",
            "data": callback_data,
        }
        return self._new_update("callback_query", query, queue)

    def _user(self, user_id: int, language_code: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False}
        user["first_name"] = self._first_names.get(user_id, "Staff")
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _user_message(
        self,
        user_id: int,
        language_code: str | None,
        chat_id: int | None,
        chat_type: str | None,
        content: dict[str, Any],
        queue: bool,
    ) -> dict[str, Any]:
        sender = self._user(user_id, language_code)
        chat = self._chat_written_by(sender, user_id if chat_id is None else chat_id, chat_type)
        message = self._store(chat, sender, content)
        return self._new_update("message", _public(message), queue)

    def _chat_written_by(
        self, sender: dict[str, Any], chat_id: int, chat_type: str | None
    ) -> dict[str, Any]:
        """The chat a user writes in; from then on the bot may write there (strict_chats)."""
        if chat_id not in self._chats:
            self._chats[chat_id] = _chat(chat_id, chat_type, sender["first_name"])
        return self._chats[chat_id]

    def _new_update(self, kind: str, payload: dict[str, Any], queue: bool) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        if queue:
            self._pending_updates.append(update)
            self._wake_waiters()
        return copy.deepcopy(update)

    # -- state ----------------------------------------------------------------------------

    def _store(
        self, chat: dict[str, Any], sender: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        """A new message in ``chat``; message ids count up per chat, shared by both sides.

        ``content`` becomes the message's own, uncopied: the user actions build it afresh, and
        the bot's calls copy what they take from a request (``_formatted_text``,
        ``_markup_fields``, ``_reply_to``), so nothing a caller keeps can change a message.
        """
        message_id = self._last_message_id.get(chat["id"], 0) + 1
        self._last_message_id[chat["id"]] = message_id
        message = {"message_id": message_id, "from": sender, "chat": chat, "date": _now()}
        message.update(content)
        self._put(message)
        return message

    def _put(self, message: dict[str, Any]) -> None:
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        self._messages[(chat_id, message_id)] = message
        self._messages_by_chat.setdefault(chat_id, {})[message_id] = message

    def _target_chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            if chat_id in self._chats:
                return self._chats[chat_id]
            if not self._strict_chats:
                return _chat(chat_id, None, "User")
        raise _bad_request("chat not found")

    def _bot_message(self, params: dict[str, Any], action: str) -> dict[str, Any]:
        """The bot's own message an edit or delete names, or the refusal Telegram gives."""
        if "inline_message_id" in params:
            raise _bad_request("MESSAGE_ID_INVALID")  # the fake has no inline messages
        for name in ("chat_id", "message_id"):
            if name not in params:
                raise _bad_request(f"{name} is required")
        chat = self._target_chat(params["chat_id"])
        message = self._messages.get((chat["id"], params["message_id"]))
        if message is None:
            raise _bad_request(f"message to {action} not found")
        if action == "edit" and not self._sent_by_bot(message):
            raise _bad_request("message can't be edited")
        return message

    # -- methods ----------------------------------------------------------------------------

    def _get_me(self, _: dict[str, Any]) -> dict[str, Any]:
        return self._bot | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params["chat_id"])
        content = _formatted_text(params)
        content |= self._reply_to(chat["id"], params.get("reply_parameters"))
        content |= self._markup_fields(params.get("reply_markup"), inline_only=False)
        return self._store(chat, self._bot, content)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_message(params, "edit")
        if "text" not in params:
            raise _bad_request("text is required")
        content = _formatted_text(params)
        content |= self._markup_fields(params.get("reply_markup"), inline_only=True)
        kept = {key: value for key, value in message.items() if key not in _TEXT_KEYS}
        return self._replace(message, kept | content)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_message(params, "edit")
        markup = self._markup_fields(params.get("reply_markup"), inline_only=True)
        kept = {key: value for key, value in message.items() if key != "reply_markup"}
        return self._replace(message, kept | markup)

    def _replace(self, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        """Telegram refuses an edit that changes nothing; without a keyboard, the keyboard goes."""
        if all(old.get(key) == new.get(key) for key in ("text", "entities", "reply_markup")):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        new["edit_date"] = _now()
        self._put(new)
        return new

    def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._bot_message(params, "delete")
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        del self._messages[(chat_id, message_id)]
        del self._messages_by_chat[chat_id][message_id]
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._unanswered_queries:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text", "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._unanswered_queries.remove(query_id)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params["chat_id"])
        if params["action"] not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params["file_id"]
        content = self._files.get(file_id) if isinstance(file_id, str) else None
        if content is None:
            raise _bad_request("invalid file_id")
        if len(content) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        file_path = f"files/file_{len(self._file_paths)}"
        self._file_paths[file_path] = file_id
        return self._file_object(file_id) | {"file_path": file_path}

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > MAX_BOT_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            _check_bot_command(command)
        self._commands[self._commands_key(params)] = [
            {"command": command["command"], "description": command["description"]}
            for command in commands
        ]
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return list(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        """Commands live per (scope, language); the default scope is ``{"type": "default"}``."""
        scope = params.get("scope", {"type": "default"})
        kind = scope.get("type") if isinstance(scope, dict) else None
        type_name = self._scope_types.get(kind) if isinstance(kind, str) else None
        if type_name is None or any(
            field not in scope for field in self._spec.required_fields(type_name)
        ):
            raise _bad_request("can't parse BotCommandScope JSON object")
        language_code = params.get("language_code", "")
        if not isinstance(language_code, str) or not _LANGUAGE_CODE.fullmatch(language_code):
            raise _bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language_code

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        timeout = params.get("timeout", 0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            raise _bad_request("timeout must be a non-negative number of seconds")
        return self._deliverable(params)  # handle() answers with a copy

    def _deliverable(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below ``offset``, apply ``allowed_updates``, return what is due."""
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:
            self._pending_updates = self._pending_updates[offset:]
        elif isinstance(offset, int):
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._pending_updates = [u for u in self._pending_updates if self._is_allowed(u)]
        limit = params.get("limit", MAX_UPDATES_PER_POLL)
        limit = min(max(limit, 1), MAX_UPDATES_PER_POLL) if isinstance(limit, int) else 100
        return self._pending_updates[:limit]

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _OPT_IN_UPDATE_KINDS

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params["url"]
        if url == "":
            return self._delete_webhook(params)
        _check_webhook_url(url)
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending_updates = []
        self._webhook = {
            key: params[key]
            for key in ("url", "secret_token", "max_connections", "allowed_updates")
            if key in params
        }
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending_updates = []
        self._webhook = {}
        return True

    def _get_webhook_info(self, _: dict[str, Any]) -> dict[str, Any]:
        info = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending_updates),
        }
        for key in ("max_connections", "allowed_updates"):
            if key in self._webhook:
                info[key] = self._webhook[key]
        return info

    # -- keyboards --------------------------------------------------------------------------

    def _button_actions(self, type_name: str) -> frozenset[str]:
        """What a button does, per the contract: every field that is not decoration."""
        return frozenset(self._spec.field_names(type_name)) - _BUTTON_DECORATIONS

    def _markup_fields(self, markup: Any, *, inline_only: bool) -> dict[str, Any]:
        """Validate ``reply_markup``; inline keyboards are part of the message, others are not."""
        if markup is None:
            return {}
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
            return {"reply_markup": copy.deepcopy(markup)}
        if inline_only:
            raise _bad_request("inline keyboard expected")
        if "keyboard" in markup:
            self._check_reply_keyboard(markup["keyboard"])
        elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
            raise _bad_request("can't parse reply keyboard markup JSON object")
        return {"_reply_markup": copy.deepcopy(markup)}

    def _check_inline_keyboard(self, rows: Any) -> None:
        if not _is_array_of_arrays(rows):
            raise _bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for button in itertools.chain.from_iterable(rows):
            actions = _check_button(button, self._inline_actions, "inline keyboard")
            if not actions:
                raise _bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            _check_button_payload(button)

    def _check_reply_keyboard(self, rows: Any) -> None:
        if not _is_array_of_arrays(rows):
            raise _bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        for button in itertools.chain.from_iterable(rows):
            _check_button(button, self._keyboard_actions, "keyboard")
            _check_web_app(button, "keyboard")

    # -- replies ------------------------------------------------------------------------------

    def _reply_to(self, chat_id: int, reply: Any) -> dict[str, Any]:
        if reply is None:
            return {}
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            raise _bad_request("can't parse reply parameters JSON object")
        replied = self._messages.get((chat_id, reply["message_id"]))
        if replied is not None:
            quoted = {key: value for key, value in replied.items() if key != "reply_to_message"}
            return {"reply_to_message": _public(quoted)}  # Telegram never nests replies deeper
        if reply.get("allow_sending_without_reply"):
            return {}
        raise _bad_request("message to be replied not found")


_TEXT_KEYS = frozenset({"text", "entities", "_html", "reply_markup", "edit_date"})


def _now() -> int:
    return int(time.time())


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _chat(chat_id: int, chat_type: str | None, first_name: str) -> dict[str, Any]:
    """Private chats have the user's id; a chat type is inferred from the sign of the id."""
    kind = chat_type or ("private" if chat_id > 0 else "group")
    if kind == "private":
        return {"id": chat_id, "type": kind, "first_name": first_name}
    return {"id": chat_id, "type": kind, "title": "Test group"}


def _formatted_text(params: dict[str, Any]) -> dict[str, Any]:
    """``text``/``entities`` as Telegram stores them, plus ``_html`` for assertions."""
    raw = params["text"]
    if not isinstance(raw, str):
        raise _bad_request("text must be a String")
    parse_mode = params.get("parse_mode")
    if parse_mode is None:
        text, entities = raw, _check_entities(params.get("entities", []))
    elif str(parse_mode).lower() == "html":
        text, entities = parse_telegram_html(raw)
    elif str(parse_mode).lower() in ("markdown", "markdownv2"):
        raise _bad_request(f"the fake does not emulate parse_mode {parse_mode}; use HTML")
    else:
        raise _bad_request("unsupported parse_mode")
    text, entities = _strip(text, entities)
    if not text:
        raise _bad_request("message text is empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise _bad_request("message is too long")
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    if parse_mode is not None:
        content["_html"] = raw
    return content


def _is_array_of_arrays(rows: Any) -> bool:
    return isinstance(rows, list) and all(isinstance(row, list) for row in rows)


def _check_button(button: Any, actions: frozenset[str], keyboard: str) -> list[str]:
    """A button needs a text and at most one action; returns the action it has, if any."""
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad_request(f'can\'t parse {keyboard} button: Field "text" must be of type String')
    if not button["text"].strip():
        raise _bad_request("BUTTON_TEXT_INVALID")
    used = sorted(actions & button.keys())
    if len(used) > 1:
        raise _bad_request(
            f"can't parse {keyboard} button: exactly one of the optional fields must be used, "
            f"got {', '.join(used)}"
        )
    return used


def _check_button_payload(button: dict[str, Any]) -> None:
    data = button.get("callback_data")
    if data is not None and not (
        isinstance(data, str) and 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise _bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not (
        isinstance(url, str) and urlsplit(url).scheme in ("http", "https", "tg") and ":" in url
    ):
        raise _bad_request("BUTTON_URL_INVALID")


def _check_web_app(button: dict[str, Any], keyboard: str) -> None:
    """Mini Apps open over HTTPS only."""
    web_app = button.get("web_app")
    if web_app is None:
        return
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme != "https":
        raise _bad_request(
            f"{keyboard} button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
        )


def _caption(caption: str | None) -> dict[str, Any]:
    """A media message's caption; a leading ``/command`` gets its bot_command entity."""
    if caption is None:
        return {}
    content: dict[str, Any] = {"caption": caption}
    if caption.startswith("/"):
        length = _utf16_length(caption.split(maxsplit=1)[0])
        content["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return content


def _thumbnail(image: bytes) -> bytes:
    """The smallest size Telegram lists for a photo, as a JPEG."""
    with Image.open(io.BytesIO(image)) as opened:
        small = opened.convert("RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    small.save(out, "JPEG")
    return out.getvalue()


def _check_bot_command(command: dict[str, Any]) -> None:
    name, description = command.get("command"), command.get("description")
    if not isinstance(name, str) or not _BOT_COMMAND.fullmatch(name):
        raise _bad_request("BOT_COMMAND_INVALID")
    if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
        raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def _check_webhook_url(url: Any) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or not parts.hostname:
        raise _bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if parts.scheme != "https" and not (
        parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    ):
        raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")


# --------------------------------------------------------------------------------------------
# Front end 1: python-telegram-bot without sockets
# --------------------------------------------------------------------------------------------

_BOT_API_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/?]+)$")
_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


class OfflineBotRequest(BaseRequest):
    """PTB request object routed straight to a FakeTelegram — no sockets; for fast conversation
    tests. Parameters travel as PTB would put them on the wire (strings and JSON strings), so the
    fake decodes them exactly as it decodes HTTP form fields.
    """

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake

    @property
    def read_timeout(self) -> None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        path = urlsplit(url).path
        download = _FILE_PATH.search(path)
        if download is not None:
            token, file_path = unquote(download["token"]), unquote(download["path"])
            content = self._fake.file_content(token, file_path)
            if content is not None:
                return 200, content
        route = None if download else _BOT_API_PATH.search(path)
        if route is None:
            status, body = 404, BotApiError(404, "Not Found").envelope()
        else:
            params: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
            status, body = await self._fake.serve(route["token"], route["method"], params)
        return status, json.dumps(body).encode()


# --------------------------------------------------------------------------------------------
# Front end 2: HTTP on loopback
# --------------------------------------------------------------------------------------------


class FakeTelegramServer:
    """The same core served over HTTP on 127.0.0.1 (real sockets) — for end-to-end tests, webhook
    tests and benchmarks. Use ``async with FakeTelegramServer(fake) as server:``.

    It runs on the sandbox's lean HTTP/1.1 server (:mod:`bot.sandbox.http1`): in the latency
    benchmark it shares two cores with the bot, and every millisecond it spends is queueing in
    the waits being measured.
    """

    def __init__(self, fake: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        self.base_url = ""
        self._port = port
        self._http = HttpServer(self._respond, host)
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._webhook_client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        await self._http.start(self._port)
        self.base_url = f"{self._http.url}/bot"

    async def stop(self) -> None:
        """Answer parked long polls, then close: no request outlives the server."""
        self.fake.release_pollers()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
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
        if urlsplit(url).hostname not in _LOOPBACK_HOSTS:
            raise ValueError("the fake only delivers webhooks to loopback addresses")
        if self._webhook_client is None:
            self._webhook_client = httpx.AsyncClient(trust_env=False, timeout=10.0)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        response = await self._webhook_client.post(url, json=update, headers=headers)
        return response.status_code

    async def answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Serve one request, tracked so that :meth:`stop` can wait for it."""
        task = asyncio.current_task()
        assert task is not None  # the HTTP server answers every request in a task of its own
        self._in_flight.add(task)
        try:
            return await self.fake.serve(token, method, params)
        finally:
            self._in_flight.discard(task)

    async def _respond(self, request: HttpRequest) -> HttpResponse:
        """``/bot<token>/<method>`` with query, form, multipart or JSON parameters; else 404.

        A client that hangs up has its request cancelled, which ends its long poll as on
        Telegram (no phantom 409 for the next one).
        """
        route = _BOT_API_PATH.match(request.target.partition(b"?")[0].decode("latin-1"))
        if route is None:
            return _json_response(404, BotApiError(404, "Not Found").envelope())
        if request.method not in ("GET", "POST"):
            return _json_response(405, BotApiError(405, "Method Not Allowed").envelope())
        try:
            params = _request_params(request)
        except (ValueError, tornado.httputil.HTTPInputError):
            return _json_response(400, _bad_request("can't parse request body").envelope())
        token, method = unquote(route["token"]), unquote(route["method"])
        return _json_response(*await self.answer(token, method, params))


def _json_response(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, json.dumps(body).encode())


def _request_params(request: HttpRequest) -> dict[str, Any]:
    """Query and form fields (strings), overlaid with a JSON body's typed values."""
    query = request.target.partition(b"?")[2]
    arguments = tornado.escape.parse_qs_bytes(query, keep_blank_values=True)
    content_type = request.headers.get("content-type", "")
    for name, values in _body_arguments(request, content_type).items():
        arguments.setdefault(name, []).extend(values)
    params: dict[str, Any] = {name: values[-1].decode() for name, values in arguments.items()}
    if content_type.startswith("application/json") and request.body:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("a JSON body must be an object")
        params.update(body)
    return params


def _body_arguments(request: HttpRequest, content_type: str) -> dict[str, list[bytes]]:
    """Form and multipart fields, by tornado's parser: multipart has corners not worth redoing."""
    arguments: dict[str, list[bytes]] = {}
    encoding = request.headers.get("content-encoding")
    headers = tornado.httputil.HTTPHeaders({"Content-Encoding": encoding}) if encoding else None
    tornado.httputil.parse_body_arguments(content_type, request.body, arguments, {}, headers)
    return arguments
