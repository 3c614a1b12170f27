"""Telegram's rules for what a call carries besides its text: keyboards, bot commands and
webhook URLs. Button fields come from the contract, so a new kind of button is known at once.
"""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.telegram.spec import BotApiSpec, bad_request

MAX_CALLBACK_DATA_BYTES = 64
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
#: Button fields that decorate a button rather than say what pressing it does.
_BUTTON_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})


class Keyboards:
    """Validates ``reply_markup`` against the button types of one contract."""

    def __init__(self, spec: BotApiSpec) -> None:
        self._inline_actions = _button_actions(spec, "InlineKeyboardButton")
        self._keyboard_actions = _button_actions(spec, "KeyboardButton")

    def message_fields(self, markup: Any, *, inline_only: bool) -> dict[str, Any]:
        """Validate ``reply_markup``; inline keyboards are part of the message, others are not."""
        if markup is None:
            return {}
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
            return {"reply_markup": copy.deepcopy(markup)}
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            self._check_reply_keyboard(markup["keyboard"])
        elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
            raise bad_request("can't parse reply keyboard markup JSON object")
        return {"_reply_markup": copy.deepcopy(markup)}

    def _check_inline_keyboard(self, rows: Any) -> None:
        if not _is_array_of_arrays(rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        for button in itertools.chain.from_iterable(rows):
            actions = _check_button(button, self._inline_actions, "inline keyboard")
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            _check_button_payload(button)

    def _check_reply_keyboard(self, rows: Any) -> None:
        if not _is_array_of_arrays(rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        for button in itertools.chain.from_iterable(rows):
            _check_button(button, self._keyboard_actions, "keyboard")
            _check_web_app(button, "keyboard")


def _check_web_app(button: dict[str, Any], keyboard: str) -> None:
    """Mini Apps open over HTTPS only."""
    web_app = button.get("web_app")
    if web_app is None:
        return
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme != "https":
        raise bad_request(
            f"{keyboard} button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
        )


def _is_array_of_arrays(rows: Any) -> bool:
    return isinstance(rows, list) and all(isinstance(row, list) for row in rows)


def _check_button(button: Any, actions: frozenset[str], keyboard: str) -> list[str]:
    """A button needs a text and at most one action; returns the action it has, if any."""
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(f'can\'t parse {keyboard} button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    used = sorted(actions & button.keys())
    if len(used) > 1:
        raise bad_request(
            f"can't parse {keyboard} button: exactly one of the optional fields must be used, "
            f"got {', '.join(used)}"
        )
    return used


def _check_button_payload(button: dict[str, Any]) -> None:
    data = button.get("callback_data")
    if data is not None and not (
        isinstance(data, str) and 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not (
        isinstance(url, str) and urlsplit(url).scheme in ("http", "https", "tg") and ":" in url
    ):
        raise bad_request("BUTTON_URL_INVALID")


def check_bot_command(command: dict[str, Any]) -> None:
    name, description = command.get("command"), command.get("description")
    if not isinstance(name, str) or not _BOT_COMMAND.fullmatch(name):
        raise bad_request("BOT_COMMAND_INVALID")
    if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def check_webhook_url(url: Any) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or not parts.hostname:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if parts.scheme != "https" and not (
        parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    ):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")


def _button_actions(spec: BotApiSpec, type_name: str) -> frozenset[str]:
    """What a button does, per the contract: every field that is not decoration."""
    return frozenset(spec.field_names(type_name)) - _BUTTON_DECORATIONS
