"""Console mode: chat with the very same ``Application`` and handlers in a terminal.

Nothing here re-implements the flow. ``ConsoleRequest`` stands in for Telegram's servers: the
bot's Bot API calls are rendered as text (inline buttons as numbered choices), and what the
person types becomes ordinary ``Update`` objects handed to the real application.
``:scan <image>`` sends a picture as a photo, which the bot downloads from here as from
Telegram; ``:scan <text>`` is what the Scan button's scanner would send.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from PIL import Image, UnidentifiedImageError
from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import BotApplication, build_application, started
from bot.config import CheckoutAction, Settings
from bot.i18n import Translator, normalise_language, translator
from bot.sandbox import Sandbox
from bot.sandbox.holds import DEMO_OTP

CONSOLE_USER_ID = 1000
CONSOLE_BOT = {
    "id": 1,
    "is_bot": True,
    "first_name": "Checkout Bot",
    "username": "checkout_console_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_TAG = re.compile(r"<(/?)(b|strong|i|em|u|s|code|pre|a)( [^>]*)?>")
_BIDI = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f"))
#: Where the bot downloads a file from (``…/file/bot<token>/<file_path>``).
_DOWNLOAD = re.compile(r"/file/bot[^/]+/(?P<path>.+)$")
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"})


class Terminal:
    """Writes bot messages to a text stream, bold where the stream is a terminal."""

    def __init__(self, out: TextIO, *, colour: bool) -> None:
        self.out = out
        self.colour = colour

    def render_html(self, text: str) -> str:
        """Telegram HTML → terminal text (bold/underline as ANSI when colour is on)."""

        def tag(match: re.Match[str]) -> str:
            if not self.colour or match.group(2) not in ("b", "strong", "code"):
                return ""
            return "\033[0m" if match.group(1) else "\033[1m"

        return html.unescape(_TAG.sub(tag, text)).translate(_BIDI)

    def write(self, text: str) -> None:
        """One block of output followed by a blank line."""
        self.out.write(text.rstrip("\n") + "\n\n")
        self.out.flush()


class ConsoleRequest(BaseRequest):
    """A Bot API that lives in the terminal: it prints what the bot sends.

    Nothing to open, close or time out: the answers are made in this process.
    """

    def __init__(self, terminal: Terminal, t: Translator) -> None:
        self.terminal = terminal
        self.t = t
        self.messages: dict[int, dict[str, Any]] = {}
        self.choices: list[tuple[dict[str, Any], str]] = []
        self.files: dict[str, bytes] = {}  # file_id (also its file_path) → what the user sent
        self._ids = itertools.count(1)

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
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call the way Telegram would, printing what a user would see."""
        download = _DOWNLOAD.search(url)
        if download is not None:
            return 200, self.files.get(download["path"], b"")
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        result = self._answer(api_method, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, method: str, params: dict[str, Any]) -> object:
        handlers: dict[str, Callable[[dict[str, Any]], object]] = {
            "getMe": lambda _: CONSOLE_BOT,
            "sendMessage": self._send,
            "editMessageText": self._edit,
            "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": self._toast,
            "getFile": self._file,
        }
        handler = handlers.get(method)
        return handler(params) if handler else True

    def _message(self, params: dict[str, Any], message_id: int) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params.get("chat_id", CONSOLE_USER_ID)), "type": "private"},
            "from": CONSOLE_BOT,
            "text": params.get("text", ""),
            "reply_markup": params.get("reply_markup"),
        }

    def _send(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message(params, next(self._ids))
        self.messages[message["message_id"]] = message
        self._show(message)
        return message

    def _edit(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = int(params.get("message_id", 0))
        message = self._message(params, message_id)
        self.messages[message_id] = message
        self._show(message, edited=True)
        return message

    def _edit_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        message = self.messages.get(int(params.get("message_id", 0)))
        if message is None:
            return True
        message["reply_markup"] = params.get("reply_markup")
        self.choices = [(m, d) for m, d in self.choices if m is not message]
        return message

    def _file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        size = len(self.files.get(file_id, b""))
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": size,
            "file_path": file_id,
        }

    def _toast(self, params: dict[str, Any]) -> bool:
        if params.get("text"):
            self.terminal.write(f"  ({params['text']})")
        return True

    def _show(self, message: dict[str, Any], *, edited: bool = False) -> None:
        text = self.terminal.render_html(message["text"])
        prefix = "✎ " if edited else ""
        lines = [prefix + line for line in text.splitlines()] or [prefix]
        buttons = _buttons(message.get("reply_markup"))
        if buttons:
            self.choices = [(message, data) for _, data in buttons]
            labels = [f"[{n}] {label.translate(_BIDI)}" for n, (label, _) in enumerate(buttons, 1)]
            lines.append("   ".join(labels))
        self.terminal.write("\n".join("  " + line for line in lines))


def _buttons(markup: object) -> list[tuple[str, str]]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    return [
        (button["text"], button["callback_data"])
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


class ConsoleChat:
    """Turns what the person types into updates for the application."""

    def __init__(self, application: BotApplication, request: ConsoleRequest, language: str) -> None:
        self.application = application
        self.request = request
        self.language = language
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100_000)

    def _envelope(self) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": CONSOLE_USER_ID, "type": "private", "first_name": "Console"},
            "from": self._user(),
        }

    def _user(self) -> dict[str, Any]:
        return {
            "id": CONSOLE_USER_ID,
            "is_bot": False,
            "first_name": "Console",
            "last_name": "User",
            "language_code": self.language,
        }

    def text_update(self, text: str) -> dict[str, Any]:
        """A private text message; commands carry their ``bot_command`` entity."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._message_update(content)

    def contact_update(self, phone: str) -> dict[str, Any]:
        """A shared contact card (the customer's)."""
        contact = {"phone_number": phone, "first_name": "Customer"}
        return self._message_update({"contact": contact})

    def scan_update(self, argument: str) -> dict[str, Any] | None:
        """``:scan <image file>`` sends a photo; ``:scan <text>``, what the Scan button read."""
        path = Path(argument).expanduser()
        if path.is_file():
            return self._message_update(self._photo_or_file(path))
        if path.suffix.lower() in _IMAGE_SUFFIXES:
            self.request.terminal.write("  " + self.request.t("No such file: {path}", path=path))
            return None
        return self._message_update({"web_app_data": {"data": argument, "button_text": "Scan"}})

    def _photo_or_file(self, path: Path) -> dict[str, Any]:
        """A picture as a photo (one size, as sent); anything else as a file, like Telegram."""
        content = path.read_bytes()
        file_id = f"console-{next(self._message_ids)}"
        self.request.files[file_id] = content
        stored = {"file_id": file_id, "file_unique_id": file_id, "file_size": len(content)}
        try:
            with Image.open(path) as image:
                return {"photo": [stored | {"width": image.width, "height": image.height}]}
        except (UnidentifiedImageError, OSError):
            return {"document": stored | {"file_name": path.name}}

    def _message_update(self, content: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), "message": self._envelope() | content}

    def button_update(self, choice: int) -> dict[str, Any] | None:
        """A press on the ``choice``-th button (1-based) of the latest keyboard."""
        if not 1 <= choice <= len(self.request.choices):
            return None
        message, data = self.request.choices[choice - 1]
        query = {
            "id": str(next(self._update_ids)),
            "from": self._user(),
            "chat_instance": "console",
            "message": message,
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def update_for(self, line: str) -> dict[str, Any] | None:
        """What a typed line means: a button number, a contact card, or a message."""
        stripped = line.strip()
        if stripped.isdigit() and self.request.choices and len(stripped) <= 2:
            update = self.button_update(int(stripped))
            if update is None:
                count = len(self.request.choices)
                t = self.request.t
                self.request.terminal.write(
                    "  " + t("Type a button's number, from 1 to {count}.", count=count)
                )
            return update
        if stripped.startswith(":contact "):
            return self.contact_update(stripped.removeprefix(":contact ").strip())
        if stripped.startswith(":scan "):
            return self.scan_update(stripped.removeprefix(":scan ").strip())
        return self.text_update(stripped) if stripped else None

    async def send(self, raw: dict[str, Any]) -> None:
        """Hand one update to the real application and wait for it to be handled."""
        update = Update.de_json(raw, self.application.bot)
        await self.application.process_update(update)


def _banner(settings: Settings, t: Translator, sandbox: Sandbox | None) -> str:
    mode = t("sandbox") if settings.gameball_sandbox else t("real Gameball API")
    lines = [
        t("Gameball Checkout Bot: console ({mode})", mode=mode),
        t("You are a manager. Type a customer ID, a command such as /help, or a button's number."),
        t("Share a contact card with :contact <number>. Quit with :quit or Ctrl-D."),
        t("Scan a customer's code with :scan <image file or scanned text>."),
    ]
    if sandbox is not None and sandbox.demo_customers:
        first = sandbox.demo_customers[0].customer_id
        lines += ["", t("Demo customers:")]
        lines += [f"  {c.customer_id:<16} {c.name} · {c.note}" for c in sandbox.demo_customers]
        lines += [
            t(
                "The Gameball QR code of {customer_id}, for redemptions: :scan {code}",
                code=first + sandbox.customer_hash(first),
                customer_id=first,
            ),
            t(
                "The code Gameball texts them for a redemption (REDEEM_OTP=true): {otp}.",
                otp=DEMO_OTP,
            ),
        ]
    return "\n".join(lines)


async def _read_line(stream: TextIO) -> str | None:
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return line if line else None


async def chat_in_terminal(
    settings: Settings, *, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    """Run the console session until end of input or ``:quit``.

    Unless ``CHECKOUT_ACTIONS`` says otherwise, every till action is on: a newcomer should see
    what the bot can do.
    """
    if settings.checkout_actions is None:
        settings = settings.model_copy(update={"checkout_actions": frozenset(CheckoutAction)})
    language = normalise_language(os.environ.get("LANG")) or settings.default_language
    t = translator(language)
    terminal = Terminal(stdout, colour=stdout.isatty())
    request = ConsoleRequest(terminal, t)
    sandbox = Sandbox() if settings.gameball_sandbox else None
    application = build_application(
        settings,
        token="1:console",
        bot_request=request,
        gameball_transport=sandbox.transport() if sandbox else None,
        rate_limiter=False,
    )
    terminal.write(_banner(settings, t, sandbox))
    chat = ConsoleChat(application, request, language)
    async with started(application):
        await chat.send(chat.text_update("/start"))
        while (line := await _read_line(stdin)) is not None and line.strip() != ":quit":
            raw = chat.update_for(line)
            if raw is not None:
                await chat.send(raw)


def run_console(settings: Settings) -> int:
    """``checkout-bot console``: a fresh data folder each time, the user is a manager."""
    with tempfile.TemporaryDirectory(prefix="checkout-bot-console-") as data_dir:
        managers = [*settings.manager_ids, CONSOLE_USER_ID]
        console_settings = settings.model_copy(
            update={"data_dir": Path(data_dir), "manager_ids": managers}
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(chat_in_terminal(console_settings))
    return 0
