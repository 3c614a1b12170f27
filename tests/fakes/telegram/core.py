"""The fake's core, :class:`FakeTelegram`: one Bot API call in, Telegram's answer out, and the
waits tests use to follow what the bot does. Both front ends (``wire.py``) call :meth:`serve`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tests.fakes.telegram.media import MediaActions
from tests.fakes.telegram.methods import MessageMethods
from tests.fakes.telegram.polling import UpdateMethods
from tests.fakes.telegram.spec import BotApiCall, BotApiError
from tests.fakes.telegram.state import public

#: The methods the fake emulates, by their canonical names, and what executes each.
_HANDLERS = {
    "getMe": "_get_me",
    "sendMessage": "_send_message",
    "editMessageText": "_edit_message_text",
    "editMessageReplyMarkup": "_edit_message_reply_markup",
    "deleteMessage": "_delete_message",
    "answerCallbackQuery": "_answer_callback_query",
    "sendChatAction": "_send_chat_action",
    "setMyCommands": "_set_my_commands",
    "getMyCommands": "_get_my_commands",
    "deleteMyCommands": "_delete_my_commands",
    "getUpdates": "_get_updates",
    "setWebhook": "_set_webhook",
    "deleteWebhook": "_delete_webhook",
    "getWebhookInfo": "_get_webhook_info",
    "getFile": "_get_file",
}


class FakeTelegram(MessageMethods, UpdateMethods, MediaActions):
    """Validates and executes Bot API calls against in-memory state; the front ends share it."""

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Execute one call now: ``(HTTP status, response JSON)``; getUpdates never waits here."""
        call = BotApiCall(method, dict(params))
        try:
            call = self._spec.call(method, params)
            result = self._execute(call)
        except BotApiError as error:
            return self._refuse(call, error)
        self.calls.append(call)
        self._wake_waiters()
        return 200, {"ok": True, "result": public(result)}

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

    def _execute(self, call: BotApiCall) -> Any:
        handler = _HANDLERS.get(call.method)
        if handler is not None:
            return getattr(self, handler)(call.params)
        if self._returns_only_true(call.method):
            return True
        raise BotApiError(501, f"Not Implemented: the fake does not emulate {call.method}")

    def _returns_only_true(self, method: str) -> bool:
        spec = self._spec.method(method)
        return spec is not None and spec.get("returns") == ["Boolean"]

    # -- waiting for the bot ----------------------------------------------------------------

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 (see wait_for)
    ) -> None:
        """Wait until ``condition()`` holds; it is re-checked whenever the fake's state changes."""
        if await self._wait_until(lambda: condition() or None, timeout) is None:
            raise AssertionError(f"the fake's state did not reach the condition within {timeout} s")

    async def wait_for_poller(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (see wait_for)
        """Wait until a getUpdates is parked, e.g. to prove a long poll wakes on a new update."""
        await self.wait_until(lambda: self._parked_pollers > 0, timeout)

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
