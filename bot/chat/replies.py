"""Sending answers: HTML replies, taking keyboards off pressed buttons, balance cards, and the
messages about a customer that fade after ``CARD_TTL`` (``bot.chat.fading``)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.chat import keyboards as kb
from bot.chat.cards import balance_card
from bot.chat.checkout_bot import CheckoutBot, Markup
from bot.chat.context import ChatContext
from bot.chat.fading import Kind, fade_later
from bot.domain.identify import NewCustomer
from bot.gameball.errors import GameballError
from bot.i18n import Translator
from bot.services.container import Services
from bot.services.customers import CustomerCard


async def reply(
    update: Update,
    text: str,
    reply_markup: Markup | None = None,
    *,
    link_preview: bool = True,
) -> int:
    """Answer in the chat the update came from, as HTML; the new message's id."""
    chat = update.effective_chat
    assert chat is not None
    bot = chat.get_bot()
    assert isinstance(bot, CheckoutBot), "build_application makes every bot a CheckoutBot"
    return await bot.send_html(chat.id, text, reply_markup, link_preview=link_preview)


async def reply_and_fade(
    update: Update,
    context: ChatContext,
    text: str,
    reply_markup: Markup | None,
    *,
    customer_id: str,
    kind: Kind,
) -> None:
    """Answer with a message about ``customer_id`` that fades after ``CARD_TTL``."""
    message_id = await reply(update, text, reply_markup)
    assert update.effective_chat is not None
    chat_id, language = update.effective_chat.id, context.language_for(update)
    fade_later(context.services, chat_id, message_id, customer_id, kind, language)


async def send_and_fade(
    bot: CheckoutBot,
    services: Services,
    chat_id: int,
    text: str,
    reply_markup: Markup | None,
    *,
    customer_id: str,
    kind: Kind,
    language: str,
) -> None:
    """Send a message about ``customer_id`` that fades after ``CARD_TTL`` (outside an update)."""
    message_id = await bot.send_html(chat_id, text, reply_markup)
    fade_later(services, chat_id, message_id, customer_id, kind, language)


async def show_page(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """A page of a list: a new message for the command, the same message edited for its buttons."""
    query = update.callback_query
    if query is None:
        await reply(update, text, markup)
        return
    await query.answer()
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def close_buttons(update: Update, note: str | None = None) -> None:
    """Acknowledge a button press and take the keyboard off its message (no double taps)."""
    query = update.callback_query
    if query is None:
        return
    await query.answer(note)
    if query.message is not None and isinstance(query.message, Message):
        await query.edit_message_reply_markup(reply_markup=None)


async def send_card(update: Update, context: ChatContext, card: CustomerCard) -> None:
    """Send a balance card with its Refresh / Next customer buttons; it fades after a while."""
    t = context.t(update)
    text = balance_card(card, t)
    markup = card_markup(card, t, context.services)
    await reply_and_fade(
        update, context, text, markup, customer_id=card.customer_id, kind=Kind.CARD
    )


def card_markup(card: CustomerCard, t: Translator, services: Services) -> InlineKeyboardMarkup:
    """The buttons under this customer's card (Redeem points only with points to redeem)."""
    available = card.balance.available_points_balance or 0
    return kb.card_keyboard(card.customer_id, t, services, available=available)


def ask_id_text(context: ChatContext, t: Translator) -> str:
    """The first question, worded for the configured customer-ID scheme."""
    if context.services.rules.by_mobile:
        return t("Send the customer's mobile number (or /cancel).")
    return t("Send the customer ID (or /cancel).")


async def send_new_customer_card(
    bot: CheckoutBot,
    chat_id: int,
    services: Services,
    customer: NewCustomer,
    t: Translator,
) -> None:
    """A just-created profile's card; if Gameball stumbles now, the profile exists anyway.

    Used after a creation at the till and after a queued one went through.
    """
    try:
        card = await services.customers.card_after_create(customer, language=t.language)
    except GameballError:
        text = t("The balance is not available right now. Tap Refresh in a moment.")
        markup = kb.card_keyboard(customer.customer_id, t, services)
        await bot.send_message(chat_id, text, reply_markup=markup)
        return
    await send_and_fade(
        bot,
        services,
        chat_id,
        balance_card(card, t),
        card_markup(card, t, services),
        customer_id=customer.customer_id,
        kind=Kind.CARD,
        language=t.language,
    )
