"""The bot object handlers talk through: PTB's ``ExtBot`` plus one lean way to send a message.

Every PTB method turns Telegram's answer into PTB objects. For ``sendMessage`` that is a whole
``Message`` (chat, sender, entities, keyboard): about 150 µs of CPU, a tenth of the bot's work
per balance card in a till rush, for an object the bot never reads (buttons carry their own
data). :meth:`CheckoutBot.send_html`, which every reply goes through, skips that one step and
reads only the new message's ``message_id`` from Telegram's answer (a card must know its message
to fade it later); the parameters, defaults, rate limiting, request objects and errors are PTB's
own, because it goes through the same ``_post`` every PTB method uses (a protected method, meant
for subclasses).
"""

from __future__ import annotations

import asyncio

from telegram import (
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.ext import ExtBot

#: What a message may carry below it: inline buttons, or the keyboard under the chat.
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


class CheckoutBot(ExtBot[int]):
    """``ExtBot`` (its rate limiter takes a retry count) with :meth:`send_html`; see the module."""

    async def initialize(self) -> None:
        """PTB's, except that a failed start (e.g. a rejected token) closes what it opened.

        PTB opens the request objects, then asks Telegram ``getMe``; when that fails the bot
        counts as never initialised, so ``shutdown`` would leave their connection pools open.
        """
        try:
            await super().initialize()
        except BaseException:
            await asyncio.gather(*(request.shutdown() for request in self._request))
            raise

    async def send_html(
        self,
        chat_id: int,
        text: str,
        reply_markup: Markup | None = None,
        *,
        link_preview: bool = True,
    ) -> int:
        """``sendMessage`` with HTML formatting; the new message's id, read from the raw answer
        without waiting for PTB to parse Telegram's copy."""
        sent = await self._post(
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": text,
                "parse_mode": ParseMode.HTML,
                "reply_markup": reply_markup,
                "link_preview_options": None if link_preview else _NO_PREVIEW,
            },
        )
        return int(sent["message_id"])


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
