"""What users do: type, share a contact, send a sticker, press a button (photos: ``media``).

Each action stores the user's message (or the button press) as Telegram would and returns the
update it causes; ``queue=True`` also makes it due for getUpdates, ``queue=False`` leaves it to
the test to hand over (``Application.process_update``, a webhook delivery).
"""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes.telegram.html import utf16_length
from tests.fakes.telegram.state import TelegramState, new_chat, public


class UserActions(TelegramState):
    """The user side of the chats: every action builds the update Telegram would send."""

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
            length = utf16_length(command)
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

    def user_deletes(self, chat_id: int, message_id: int) -> None:
        """The user deletes one of the bot's messages in their private chat, for both sides."""
        del self._messages[(chat_id, message_id)]
        del self._messages_by_chat[chat_id][message_id]

    def let_time_pass(self, chat_id: int, hours: float) -> None:
        """Every message in the chat was sent ``hours`` earlier than it was (its ``date``)."""
        for message in self._messages_by_chat.get(chat_id, {}).values():
            message["date"] -= int(hours * 3600)

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
            "message": public(on_screen),
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
        return self._new_update("message", public(message), queue)

    def _chat_written_by(
        self, sender: dict[str, Any], chat_id: int, chat_type: str | None
    ) -> dict[str, Any]:
        """The chat a user writes in; from then on the bot may write there (strict_chats)."""
        if chat_id not in self._chats:
            self._chats[chat_id] = new_chat(chat_id, chat_type, sender["first_name"])
        return self._chats[chat_id]

    def _new_update(self, kind: str, payload: dict[str, Any], queue: bool) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        if queue:
            self._pending_updates.append(update)
            self._wake_waiters()
        return copy.deepcopy(update)
