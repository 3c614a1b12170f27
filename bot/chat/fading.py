"""Cards that fade (issue 18): after ``CARD_TTL`` minutes a card, a receipt or a sign-up message in
a staff chat is edited down to one masked line, with its buttons gone.

Staff phones at pop-ups are shared, lost and photographed, and a chat full of names, mobiles and
balances is a liability. Every such message is put on a schedule in SQLite when it is sent (so a
restart forgets nothing); a repeating job edits what is due into "Customer demo-1001 · card
closed" (the ID masked as the audit log masks it when it is a phone number). Refreshing a card
gives it another ``CARD_TTL``. A press on a button of a closed message (an old copy, or one due
and not yet edited) is answered "closed" and does nothing else.

Telegram refuses to edit some messages: too old ("message can't be edited"; such a message keeps
its buttons, so its presses are still answered "closed") or deleted by the user ("message to edit
not found"). Both are expected, so they are dropped from the schedule quietly.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackContext

from bot.chat.access import requires
from bot.chat.cards import code
from bot.chat.checkout_bot import CheckoutBot
from bot.chat.context import ChatContext, services_of
from bot.i18n import N_, translator
from bot.services.container import Services
from bot.storage import Fade

log = logging.getLogger(__name__)

#: How often the job looks for messages due to fade.
FADE_INTERVAL = 30.0


class Kind(StrEnum):
    """What a fading message was, for the line it leaves behind."""

    CARD = "card"
    RECEIPT = "receipt"
    SIGN_UP = "sign_up"


CLOSED_LINES: dict[str, str] = {
    Kind.CARD: N_("Customer {customer_id} · card closed"),
    Kind.RECEIPT: N_("Customer {customer_id} · receipt closed"),
    Kind.SIGN_UP: N_("Customer {customer_id} · sign-up closed"),
}


def fade_later(
    services: Services, chat_id: int, message_id: int, customer_id: str, kind: Kind, language: str
) -> None:
    """Put a message about ``customer_id`` on the schedule (again: a refreshed card lives on)."""
    lifetime = services.settings.card_lifetime
    if lifetime is None:
        return
    label = services.shown_customer_id(customer_id)
    fade = Fade(chat_id, message_id, kind, label, language)
    services.database.fades.schedule(fade, services.database.now() + lifetime)


async def fade_due(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """JobQueue callback: fade every message whose time has come."""
    services = services_of(context.application)
    for fade in services.database.fades.due(services.database.now()):
        await fade_now(context.bot, services, fade)


async def fade_now(bot: CheckoutBot, services: Services, fade: Fade) -> None:
    """Edit the message down to its closed line; nobody hears of a refusal Telegram may give."""
    fades = services.database.fades
    try:
        await bot.edit_message_text(
            closed_line(fade),
            chat_id=fade.chat_id,
            message_id=fade.message_id,
            parse_mode=ParseMode.HTML,
        )
    except BadRequest as exc:
        if "can't be edited" in str(exc).lower():
            fades.mark_stuck(fade.chat_id, fade.message_id)
            return
        log.info("a card that cannot fade is dropped: %s", exc)  # gone, or already closed
    except (NetworkError, RetryAfter) as exc:  # Telegram unreachable: the next run tries again
        log.info("a card will fade later: %s", type(exc).__name__)
        return
    except TelegramError as exc:  # e.g. the staff member blocked the bot: nothing to fade
        log.info("a card that cannot fade is dropped: %s", type(exc).__name__)
    fades.forget(fade.chat_id, fade.message_id)


def closed_line(fade: Fade) -> str:
    """ "Customer demo-1001 · card closed", in the language the message was written in."""
    t = translator(fade.language)
    line = CLOSED_LINES.get(fade.kind, CLOSED_LINES[Kind.CARD])
    return "🔒 " + t(line, customer_id=code(fade.label))


@requires("staff", explain=False)
async def closed_button(update: Update, context: ChatContext) -> None:
    """Any button of a closed message: say so, fade it if Telegram still lets the bot, stop.

    Runs before every other handler (``bot.app``); other presses go on to their handlers.
    """
    query = update.callback_query
    message = query.message if query else None
    if query is None or message is None:
        return
    services = context.services
    now = services.database.now()
    fade = services.database.fades.closed(message.chat.id, message.message_id, now)
    if fade is None:
        return
    t = context.t(update)
    await query.answer(t("This card is closed. Look the customer up again."), show_alert=True)
    if not fade.stuck:
        await fade_now(context.bot, services, fade)
    raise ApplicationHandlerStop
