"""The last line of defence: an unexpected exception in any handler.

It is logged with enough context to debug (update type, user and chat IDs, state) — masked
by the logging filter like every other record — and the user gets a short apology with what
to do next. Exception text never reaches the chat: it may hold customer data or internals.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.chat.context import ChatContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: ChatContext) -> None:
    """Log the failure and apologise in the chat it happened in, if there is one."""
    error = context.error
    user = update.effective_user if isinstance(update, Update) else None
    chat = update.effective_chat if isinstance(update, Update) else None
    log.error(
        "handler failed for %s from user %s in chat %s",
        type(update).__name__,
        user.id if user else None,
        chat.id if chat else None,
        exc_info=error,
    )
    if not isinstance(update, Update) or chat is None:
        return
    t = context.t(update)
    text = t(
        "Sorry, something went wrong on our side. Please try again, or /cancel and start over."
    )
    try:
        await chat.send_message(text)
        if update.callback_query is not None:
            await update.callback_query.answer()
    except TelegramError:
        # The apology is best effort; the button may already have been answered.
        log.warning("could not finish apologising in chat %s", chat.id)
