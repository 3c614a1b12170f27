"""Commands outside the identify flow: /start, /help, /language, /balance, /cancel, card buttons.

``/start`` and ``/help`` answer anyone (with their Telegram ID when they have no access);
everything that touches customer data requires the staff role, checked when it runs.
"""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.chat import keyboards as kb
from bot.chat.access import point_to_private_chat, private_chat_pointer, requires, role_of
from bot.chat.alerts import alert_managers_about_credentials
from bot.chat.audit import audit, failure_result
from bot.chat.cards import balance_card, code
from bot.chat.context import ChatContext
from bot.chat.fading import Kind, fade_later
from bot.chat.feedback import gameball_error_text, invalid_input_text
from bot.chat.invites import redeem_invite
from bot.chat.replies import ask_id_text, card_markup, reply, send_card
from bot.chat.scan import chosen_code, find_first, offer_codes, read_codes
from bot.domain.contacts import InvalidInput
from bot.domain.identify import Identifier, resolve_identifier
from bot.domain.scan import Candidate, ScannedCode, scan_candidates
from bot.gameball.errors import GameballError, NotFound, Unauthorized
from bot.i18n import LANGUAGE_NAMES, Translator, normalise_language, translator
from bot.services.customers import CustomerCard

log = logging.getLogger(__name__)


def help_text(role: str | None, t: Translator, user_id: int, context: ChatContext) -> str:
    """Role-aware help: what this user can do here."""
    if role is None:
        return t(
            "Hello! This bot is for the store team. Your Telegram ID is {user_id}. "
            "Ask a manager for an invite link, or to add your ID.",
            user_id=code(str(user_id)),
        )
    lines = [
        "👋 " + t("Ready for checkout."),
        ask_id_text(context, t),
        "",
        t("/identify: look up or sign up a customer"),
        t("/balance: check a balance (never creates)"),
        t("A photo of the customer's QR code or barcode works like typing it."),
        t("/cancel: stop what you are doing"),
        t("/store: pick the store you work at this shift"),
        t("/language: English or Arabic"),
    ]
    if role == "manager":
        lines += [
            "",
            t("/invite: invite a staff member"),
            t("/staff: see and revoke staff"),
            t("/activity: recent activity and the queue"),
            t("/orders: recorded purchases and reversals"),
            t("/queue: sign-ups and purchases waiting for Gameball"),
        ]
    return "\n".join(lines)


async def start(update: Update, context: ChatContext) -> None:
    """``/start [code]``: redeem an invite, or show help fitting the user's role."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    t = context.t(update)
    if chat.type != Chat.PRIVATE:
        await chat.send_message(private_chat_pointer(update, context))
        return
    if context.args:
        await redeem_invite(update, context, context.args[0])
        return
    role = role_of(context, update)
    markup = kb.scan_keyboard(context.services.settings.scanner_url, t) if role else None
    await reply(update, help_text(role, t, user.id, context), reply_markup=markup)


async def help_command(update: Update, context: ChatContext) -> None:
    """``/help``: the same role-aware help as ``/start``."""
    context.args = []
    await start(update, context)


async def language(update: Update, context: ChatContext) -> None:
    """``/language``: offer the supported languages, each named in its own language."""
    t = context.t(update)
    await reply(update, t("Choose your language:"), reply_markup=kb.language_keyboard())


async def language_chosen(update: Update, context: ChatContext) -> None:
    """A language button: remember the choice for this user."""
    query = update.callback_query
    assert query is not None
    chosen = normalise_language((query.data or "").removeprefix("l:"))
    if chosen is None or context.user_data is None:
        await query.answer()
        return
    context.user_data["language"] = chosen
    t = translator(chosen)
    await query.answer()
    await query.edit_message_text(t("Language: {language}", language=LANGUAGE_NAMES[chosen]))


@requires("staff")
async def balance(update: Update, context: ChatContext) -> None:
    """``/balance <id or mobile>``: read-only look-up; never creates a profile."""
    t = context.t(update)
    text = " ".join(context.args or [])
    if not text.strip():
        await reply(
            update,
            t(
                "Usage: /balance followed by the customer ID or mobile number, "
                "or a photo of their code with the caption /balance."
            ),
        )
        return
    try:
        identifier = resolve_identifier(text, context.services.rules, lenient=True)
    except InvalidInput as exc:
        await reply(update, invalid_input_text(exc, t, context.services.settings.default_region))
        return
    await show_balance(update, context, [Candidate(identifier)], action="balance")


@requires("staff")
async def balance_scan(update: Update, context: ChatContext) -> None:
    """A photo with the caption ``/balance``: the read-only look-up of the code in it."""
    codes = await read_codes(update, context)
    if len(codes) == 1:
        await _balance_of_code(update, context, codes[0])
    elif codes:
        await offer_codes(update, context, kb.BALANCE, codes)


@requires("staff")
async def balance_code_chosen(update: Update, context: ChatContext) -> None:
    """One of several codes of a ``/balance`` photo was chosen."""
    code = await chosen_code(update, context, kb.BALANCE)
    if code is not None:
        await _balance_of_code(update, context, code)


async def _balance_of_code(update: Update, context: ChatContext, code: ScannedCode) -> None:
    t = context.t(update)
    try:
        candidates = scan_candidates(code, context.services.rules, lenient=True)
    except InvalidInput as exc:
        await reply(update, invalid_input_text(exc, t, context.services.settings.default_region))
        return
    await show_balance(update, context, candidates, action="balance")


async def show_balance(
    update: Update, context: ChatContext, candidates: list[Candidate], *, action: str
) -> None:
    """Fetch and send (or, for Refresh, update in place) the card of the first candidate found."""
    t = context.t(update)
    customer_id = candidates[0].customer_id
    try:
        card = await find_first(update, context, candidates)
    except NotFound:
        audit(context, update, action, "not_found", customer_id)
        await reply(
            update,
            t(
                "No customer with ID {customer_id}. Use /identify to create one.",
                customer_id=code(customer_id),
            ),
        )
        return
    except GameballError as exc:
        audit(context, update, action, failure_result(exc), customer_id)
        if isinstance(exc, Unauthorized):
            await alert_managers_about_credentials(context)
        await reply(update, gameball_error_text(exc, t) + " " + t("Please try again in a moment."))
        return
    audit(context, update, action, "found", card.customer_id)
    query = update.callback_query
    if query is not None and action == "refresh":
        await _refresh_card(update, context, card)
        return
    await send_card(update, context, card)


async def _refresh_card(update: Update, context: ChatContext, card: CustomerCard) -> None:
    """The card updated in place, readable for another ``CARD_TTL``."""
    t = context.t(update)
    query = update.callback_query
    assert query is not None
    markup = card_markup(card, t, context.services)
    try:
        await query.edit_message_text(
            balance_card(card, t), parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except BadRequest as exc:
        # Telegram refuses an edit that changes nothing: the card is already current.
        if "not modified" not in str(exc).lower():
            raise
    message = query.message
    assert message is not None, "a Refresh button is on a message"
    fade_later(
        context.services,
        message.chat.id,
        message.message_id,
        card.customer_id,
        Kind.CARD,
        t.language,
    )


@requires("staff")
async def refresh(update: Update, context: ChatContext) -> None:
    """The card's Refresh button: fetch the balance again and update the card in place."""
    query = update.callback_query
    assert query is not None
    customer_id = kb.resolve_customer_ref(query.data, context.services.database)
    if customer_id is None:
        t = context.t(update)
        await query.answer(t("This button has expired."))
        return
    await query.answer()
    await show_balance(update, context, [Candidate(Identifier(customer_id))], action="refresh")


@requires("staff")
async def cancel_outside_flow(update: Update, context: ChatContext) -> None:
    """``/cancel`` when nothing is in progress."""
    t = context.t(update)
    await reply(update, t("Nothing to cancel."))


async def stale_button(update: Update, context: ChatContext) -> None:
    """Any other button press (old flows, malformed data): acknowledge, do nothing."""
    query = update.callback_query
    if query is not None:
        t = context.t(update)
        await query.answer(t("This button has expired."))


async def unknown_command(update: Update, context: ChatContext) -> None:
    """A command the bot does not have (a typo, an old menu): say so instead of staying silent."""
    t = context.t(update)
    await reply(update, t("I don't know that command. /help lists what I can do."))


async def group_command(update: Update, context: ChatContext) -> None:
    """Commands in groups get a pointer to a private chat; nothing else happens there."""
    await point_to_private_chat(update, context)
