"""What the fake knows: chats, messages, pending updates, commands, the webhook; and the one
primitive every wait in the fake is built on (re-check a condition whenever the state changes).

:class:`TelegramState` is the base of :class:`~tests.fakes.telegram.core.FakeTelegram`; the Bot
API methods (``methods.py``) and what users do (``users.py``) work on it.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.fakes.telegram.checks import Keyboards
from tests.fakes.telegram.spec import DEFAULT_SPEC_PATH, BotApiCall, load_spec

_T = TypeVar("_T")


class TelegramState:
    """In-memory Telegram, as one bot and its users see it."""

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
        self._keyboards = Keyboards(self._spec)
        self._scope_types = {
            _snake_case(name.removeprefix("BotCommandScope")): name
            for name in self._spec.subtypes("BotCommandScope")
        }
        self._strict_chats = strict_chats
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

    # -- messages -------------------------------------------------------------------------

    def _store(
        self, chat: dict[str, Any], sender: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        """A new message in ``chat``; message ids count up per chat, shared by both sides.

        ``content`` becomes the message's own, uncopied: the user actions build it afresh, and
        the bot's calls copy what they take from a request (``formatted_text``,
        ``Keyboards.message_fields``, ``_reply_to``), so nothing a caller keeps can change a
        message.
        """
        message_id = self._last_message_id.get(chat["id"], 0) + 1
        self._last_message_id[chat["id"]] = message_id
        message = {"message_id": message_id, "from": sender, "chat": chat, "date": now()}
        message.update(content)
        self._put(message)
        return message

    def _put(self, message: dict[str, Any]) -> None:
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        self._messages[(chat_id, message_id)] = message
        self._messages_by_chat.setdefault(chat_id, {})[message_id] = message


def public(value: Any) -> Any:
    """A deep copy without the fake's ``_``-prefixed bookkeeping keys: Telegram never sends them."""
    if isinstance(value, dict):
        return {key: public(item) for key, item in value.items() if not key.startswith("_")}
    if isinstance(value, list):
        return [public(item) for item in value]
    return value


def now() -> int:
    return int(time.time())


def new_chat(chat_id: int, chat_type: str | None, first_name: str) -> dict[str, Any]:
    """Private chats have the user's id; a chat type is inferred from the sign of the id."""
    kind = chat_type or ("private" if chat_id > 0 else "group")
    if kind == "private":
        return {"id": chat_id, "type": kind, "first_name": first_name}
    return {"id": chat_id, "type": kind, "title": "Test group"}


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
