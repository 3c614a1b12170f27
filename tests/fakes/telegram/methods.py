"""The Bot API methods about messages and commands, executed against the fake's state.

Each takes the call's decoded parameters and returns the ``result`` Telegram would, or raises
the :class:`BotApiError` Telegram would answer with.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.telegram.checks import check_bot_command
from tests.fakes.telegram.html import formatted_text
from tests.fakes.telegram.spec import bad_request
from tests.fakes.telegram.state import TelegramState, new_chat, now, public

MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_BOT_COMMANDS = 100
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")
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
#: What an edit of a message's text replaces (the rest of the message stays).
_TEXT_KEYS = frozenset({"text", "entities", "_html", "reply_markup", "edit_date"})
#: How long after sending a message the bot may still edit it, as bots meet it in practice.
EDIT_WINDOW_SECONDS = 48 * 3600


class MessageMethods(TelegramState):
    """getMe, sending, editing and deleting messages, button answers, chat actions, commands."""

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
        content = formatted_text(params)
        content |= self._reply_to(chat["id"], params.get("reply_parameters"))
        content |= self._keyboards.message_fields(params.get("reply_markup"), inline_only=False)
        return self._store(chat, self._bot, content)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_message(params, "edit")
        if "text" not in params:
            raise bad_request("text is required")
        content = formatted_text(params)
        content |= self._keyboards.message_fields(params.get("reply_markup"), inline_only=True)
        kept = {key: value for key, value in message.items() if key not in _TEXT_KEYS}
        return self._replace(message, kept | content)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._bot_message(params, "edit")
        markup = self._keyboards.message_fields(params.get("reply_markup"), inline_only=True)
        kept = {key: value for key, value in message.items() if key != "reply_markup"}
        return self._replace(message, kept | markup)

    def _replace(self, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        """Telegram refuses an edit that changes nothing; without a keyboard, the keyboard goes."""
        if all(old.get(key) == new.get(key) for key in ("text", "entities", "reply_markup")):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        new["edit_date"] = now()
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
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text", "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._unanswered_queries.remove(query_id)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params["chat_id"])
        if params["action"] not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > MAX_BOT_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            check_bot_command(command)
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
            raise bad_request("can't parse BotCommandScope JSON object")
        language_code = params.get("language_code", "")
        if not isinstance(language_code, str) or not _LANGUAGE_CODE.fullmatch(language_code):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language_code

    # -- which chat and message a call means ----------------------------------------------

    def _target_chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            if chat_id in self._chats:
                return self._chats[chat_id]
            if not self._strict_chats:
                return new_chat(chat_id, None, "User")
        raise bad_request("chat not found")

    def _bot_message(self, params: dict[str, Any], action: str) -> dict[str, Any]:
        """The bot's own message an edit or delete names, or the refusal Telegram gives."""
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")  # the fake has no inline messages
        for name in ("chat_id", "message_id"):
            if name not in params:
                raise bad_request(f"{name} is required")
        chat = self._target_chat(params["chat_id"])
        message = self._messages.get((chat["id"], params["message_id"]))
        if message is None:
            raise bad_request(f"message to {action} not found")
        if action == "edit" and (
            not self._sent_by_bot(message) or now() - message["date"] >= EDIT_WINDOW_SECONDS
        ):
            raise bad_request("message can't be edited")
        return message

    def _reply_to(self, chat_id: int, reply: Any) -> dict[str, Any]:
        if reply is None:
            return {}
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            raise bad_request("can't parse reply parameters JSON object")
        replied = self._messages.get((chat_id, reply["message_id"]))
        if replied is not None:
            quoted = {key: value for key, value in replied.items() if key != "reply_to_message"}
            return {"reply_to_message": public(quoted)}  # Telegram never nests replies deeper
        if reply.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
