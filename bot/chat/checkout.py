"""The purchase flow (PRODUCT §8): record the sale from the card, once.

Read top to bottom, this is what a cashier does (``checkout.mmd`` draws it): tap Record purchase
on the card → type the amount paid → see what Gameball will award → Confirm → the receipt, with
the points earned and the new balance → Next customer. Above ``MAX_ORDER_AMOUNT`` only a manager
can confirm. The draft lives in ``user_data["purchase"]``; its ``orderId`` is fixed when it is
made, and what happens once Confirm is tapped (never twice, never lost) is the order service's.

The flow's handlers run in a handler group before the identify flow's (``bot.app``). A step
that handles an update stops it there (:func:`consumed`), so the amount "450" is not also looked
up as a customer ID; leaving for another customer (``/identify``, Next customer) drops the
purchase and lets the identify flow take the same update.
"""

from __future__ import annotations

import functools
import secrets
import time
import warnings
from decimal import Decimal
from typing import Any, TypedDict, cast

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat import keyboards as kb
from bot.chat.access import requires, role_of
from bot.chat.alerts import alert_managers_about_credentials
from bot.chat.audit import audit, failure_result, order_detail
from bot.chat.cards import code, money, points_text
from bot.chat.context import ChatContext
from bot.chat.feedback import gameball_error_text, invalid_amount_text
from bot.chat.flow import END, Drafts, Step, draft_in, guarded, say_expired
from bot.chat.receipts import amount_example, next_customer_keyboard, send_receipt
from bot.chat.replies import close_buttons, reply
from bot.config import CheckoutAction
from bot.domain.contacts import InvalidInput
from bot.domain.money import absurd_above, parse_amount
from bot.domain.orders import Store, needs_manager
from bot.gameball.errors import GameballError, Unauthorized
from bot.i18n import N_, Translator
from bot.services.orders import Outcome, Result
from bot.storage import Cashier

# Conversation states, in the order a cashier meets them.
AMOUNT, CONFIRM = range(2)

PRIVATE = filters.ChatType.PRIVATE
PLAIN_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND


class PurchaseDraft(TypedDict):
    """The purchase being recorded, as persisted in ``user_data["purchase"]``."""

    id: str  # the short id in this flow's buttons
    customer_id: str
    order_id: str  # fixed now: every attempt to record the sale sends this one
    amount: str | None  # a Decimal, once typed
    currency: str | None  # the programme's, as the amount was shown in it
    touched: float


PURCHASES = Drafts(
    "purchase",
    kb.PURCHASE_FLOW,
    N_(
        "This purchase was not recorded: it expired after a long pause. Look the customer up again."
    ),
)


def _draft(context: ChatContext) -> PurchaseDraft:
    """The draft a guarded step runs with (the guard has checked that it exists)."""
    draft = draft_in(context, PURCHASES)
    assert draft is not None
    return cast(PurchaseDraft, draft)


def _drop(context: ChatContext) -> PurchaseDraft | None:
    """Forget the draft; return it, if there was one."""
    draft = context.user_data.pop(PURCHASES.key, None) if context.user_data is not None else None
    return cast(PurchaseDraft, draft) if isinstance(draft, dict) else None


def _store(update: Update, context: ChatContext) -> Store:
    """Where the cashier works this shift: their sale is recorded there."""
    assert update.effective_user is not None
    return context.services.stores.of(update.effective_user.id)


def consumed(step: Step) -> Step:
    """The update is this flow's: the identify flow (a later handler group) must not see it."""

    @functools.wraps(step)
    async def run(update: Update, context: ChatContext) -> object:
        raise ApplicationHandlerStop(await step(update, context))

    return run


async def _no_purchase(update: Update, context: ChatContext) -> int:
    t = context.t(update)
    await reply(update, t("No purchase is open. Tap Record purchase under a balance card."))
    return END


def purchase_step(step: Step) -> Step:
    """A step of this flow: staff only, with a live draft, and the update stops here."""
    return consumed(guarded(PURCHASES, _no_purchase)(step))


# --- 1. Record purchase: the draft, then the amount -------------------------------------------


@consumed
@requires("staff")
async def record_purchase(update: Update, context: ChatContext) -> int:
    """Record purchase under a card: draft the purchase (its order ID is fixed now)."""
    query = update.callback_query
    assert query is not None
    services = context.services
    customer_id = kb.resolve_customer_ref(query.data, services.database, kb.RECORD_PURCHASE)
    if customer_id is None or not services.settings.offers(CheckoutAction.PURCHASE):
        await query.answer(context.t(update)("This button has expired."))
        return END
    await query.answer()
    draft = PurchaseDraft(
        id=secrets.token_urlsafe(6),
        customer_id=customer_id,
        order_id=services.orders.new_order_id(_store(update, context)),
        amount=None,
        currency=services.customers.programme.currency,
        touched=time.time(),
    )
    assert context.user_data is not None
    context.user_data[PURCHASES.key] = draft
    return await _ask_amount(update, context, draft)


async def _ask_amount(update: Update, context: ChatContext, draft: PurchaseDraft) -> int:
    t = context.t(update)
    text = "🛒 " + t(
        "Purchase for {customer_id}. How much did the customer pay? For example {example}.",
        customer_id=code(draft["customer_id"]),
        example=f"<code>{amount_example(t)}</code>",
    )
    await reply(update, text, _keyboard(draft, [[(t("Cancel"), kb.CANCEL)]]))
    return AMOUNT


def _keyboard(draft: PurchaseDraft, rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return kb.flow_keyboard(draft["id"], rows, kb.PURCHASE_FLOW)


@purchase_step
async def amount_answer(update: Update, context: ChatContext) -> int:
    """The amount paid: read in any usual form, or refused with a reason and an example."""
    t = context.t(update)
    draft = _draft(context)
    assert update.effective_message is not None
    currency = draft["currency"]
    largest = absurd_above(context.services.settings.max_order_amount)
    try:
        amount = parse_amount(
            update.effective_message.text or "", currency=currency, largest=largest
        )
    except InvalidInput as exc:
        await reply(update, invalid_amount_text(exc, t, currency, amount_example(t)))
        return AMOUNT
    draft["amount"] = str(amount)
    return await _offer_confirmation(update, context, draft, amount)


# --- 2. what Gameball will award, then Confirm ------------------------------------------------


async def _offer_confirmation(
    update: Update, context: ChatContext, draft: PurchaseDraft, amount: Decimal
) -> int:
    t = context.t(update)
    currency, limit = draft["currency"], context.services.settings.max_order_amount
    if needs_manager(amount, limit) and role_of(context, update) != "manager":
        return await _for_a_manager(update, context, draft, amount)
    lines = [
        "🧾 <b>" + t("Purchase of {amount}", amount=money(amount, currency, t)) + "</b>",
        t("Customer ID: {customer_id}", customer_id=code(draft["customer_id"])),
        await _preview_line(update, context, draft, amount),
    ]
    if needs_manager(amount, limit):
        lines.append(t("Above the staff limit of {limit}.", limit=money(limit, currency, t)))
    buttons = [[("✅ " + t("Confirm"), kb.CONFIRM_PURCHASE)], _change_or_cancel(t)]
    await reply(update, "\n".join(lines), _keyboard(draft, buttons))
    return CONFIRM


def _change_or_cancel(t: Translator) -> list[tuple[str, str]]:
    return [(t("Change amount"), kb.CHANGE_AMOUNT), (t("Cancel"), kb.CANCEL)]


async def _for_a_manager(
    update: Update, context: ChatContext, draft: PurchaseDraft, amount: Decimal
) -> int:
    """Above ``MAX_ORDER_AMOUNT`` a staff member gets no Confirm, and is told why."""
    t = context.t(update)
    currency, limit = draft["currency"], context.services.settings.max_order_amount
    detail = order_detail(draft["order_id"], amount, currency)
    audit(context, update, "order", "needs_manager", draft["customer_id"], detail)
    text = "⚠️ " + t(
        "{amount} is more than {limit}, the most staff can record. "
        "A manager must record this purchase.",
        amount=money(amount, currency, t),
        limit=money(limit, currency, t),
    )
    await reply(update, text, _keyboard(draft, [_change_or_cancel(t)]))
    return CONFIRM


async def _preview_line(
    update: Update, context: ChatContext, draft: PurchaseDraft, amount: Decimal
) -> str:
    """The line saying what the customer will earn, from Gameball's reward preview."""
    t = context.t(update)
    programme = context.services.customers.programme
    customer_id = draft["customer_id"]
    try:
        points = await context.services.orders.preview(customer_id, amount, _store(update, context))
    except GameballError as exc:
        audit(context, update, "preview", failure_result(exc), customer_id)
        if isinstance(exc, Unauthorized):
            await alert_managers_about_credentials(context)
        points = None
    else:
        detail = order_detail(draft["order_id"], amount, draft["currency"], points)
        audit(context, update, "preview", "ok", customer_id, detail)
    if points is None:
        return "⏳ " + t("Gameball cannot say now what this earns; you can record it anyway.")
    shown = points_text(points, programme.points_name, t)
    return "⭐ " + t("The customer will earn {points}.", points=f"<b>{shown}</b>")


@purchase_step
async def change_amount(update: Update, context: ChatContext) -> int:
    """Change amount: ask again (the order ID stays the same)."""
    await close_buttons(update)
    return await _ask_amount(update, context, _draft(context))


# --- 3. Confirm: record it, then the receipt --------------------------------------------------


@purchase_step
async def confirm(update: Update, context: ChatContext) -> int:
    """Confirm: record the sale once. Above the limit only a manager gets past this point."""
    t = context.t(update)
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None
    assert chat is not None
    assert user is not None
    draft = _draft(context)
    amount, currency = Decimal(draft["amount"] or 0), draft["currency"]
    services = context.services
    limit = services.settings.max_order_amount
    if needs_manager(amount, limit) and role_of(context, update) != "manager":
        text = t(
            "Only a manager can record a purchase above {limit}.", limit=money(limit, currency, t)
        )
        await query.answer(text, show_alert=True)
        return CONFIRM
    _drop(context)  # before anything is awaited: a second tap finds no purchase to confirm
    await close_buttons(update)
    result = await services.orders.record(
        order_id=draft["order_id"],
        customer_id=draft["customer_id"],
        amount=amount,
        currency=currency,
        store=_store(update, context),
        cashier=Cashier(chat.id, user.id, context.language_for(update)),
    )
    await _tell_result(update, context, result)
    return END


async def _tell_result(update: Update, context: ChatContext, result: Result) -> None:
    """The receipt, or what happens to the sale now."""
    t = context.t(update)
    order = result.order
    if order is None:
        await reply(update, t("This purchase is already recorded, or on its way."))
        return
    sale = order.sale
    detail = order_detail(sale.order_id, sale.amount, sale.currency, result.points)
    if result.outcome in (Outcome.DONE, Outcome.EARLIER):
        audit(context, update, "order", "recorded", sale.customer_id, detail)
        await send_receipt(context.bot, context.services, order, result.points, t)
        return
    assert result.error is not None
    if isinstance(result.error, Unauthorized):
        await alert_managers_about_credentials(context)
    if result.outcome is Outcome.QUEUED:
        audit(context, update, "order", "queued", sale.customer_id, detail)
        text = "📥 " + t(
            "Saved. The purchase will be recorded as soon as Gameball answers, "
            "and I will tell you here."
        )
    else:
        audit(context, update, "order", "rejected", sale.customer_id, detail)
        text = "❌ " + t("The purchase was not recorded.")
    await reply(
        update, gameball_error_text(result.error, t) + "\n" + text, next_customer_keyboard(t)
    )


# --- leaving ---------------------------------------------------------------------------------


async def _not_recorded(update: Update, context: ChatContext) -> None:
    t = context.t(update)
    draft = _drop(context)
    if draft is not None:
        text = t(
            "The purchase for {customer_id} was not recorded.",
            customer_id=code(draft["customer_id"]),
        )
        await reply(update, text)


@purchase_step
async def cancel_button(update: Update, context: ChatContext) -> int:
    """Cancel: nothing is recorded."""
    await close_buttons(update)
    await _not_recorded(update, context)
    return END


@consumed
@requires("staff")
async def cancel_command(update: Update, context: ChatContext) -> int:
    """``/cancel`` at any step."""
    await _not_recorded(update, context)
    return END


@requires("staff", explain=False)
async def leave(update: Update, context: ChatContext) -> int:
    """``/identify`` or Next customer mid-purchase: drop it, and let the identify flow answer."""
    await _not_recorded(update, context)
    return END


async def timed_out(update: object, context: ChatContext) -> int:
    """``CONVERSATION_TIMEOUT`` of silence: tell the cashier the purchase was not recorded."""
    if isinstance(update, Update) and _drop(context) is not None:
        await say_expired(update, context, PURCHASES)
    return END


def _hint(text: str) -> MessageHandler[Any, Any]:
    """Stickers, photos, or text where a button is expected: say what this step needs."""

    @purchase_step
    async def hint(update: Update, context: ChatContext) -> None:
        t = context.t(update)
        await reply(update, t(text, example=amount_example(t)))

    return MessageHandler(PRIVATE & ~filters.COMMAND, hint)


# --- wiring ----------------------------------------------------------------------------------


def _button(callback: Step, *actions: str) -> CallbackQueryHandler[Any, Any]:
    return CallbackQueryHandler(callback, pattern=kb.flow_pattern(kb.PURCHASE_FLOW, *actions))


def build_checkout_conversation(timeout: float) -> ConversationHandler[Any]:
    """The purchase flow as a persistent ``ConversationHandler``, for a handler group of its own."""
    cancel = _button(cancel_button, kb.CANCEL)
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        AMOUNT: [
            MessageHandler(PLAIN_TEXT, amount_answer),
            cancel,
            _hint(N_("Please type the amount the customer paid, for example {example}.")),
        ],
        CONFIRM: [
            _button(confirm, kb.CONFIRM_PURCHASE),
            _button(change_amount, kb.CHANGE_AMOUNT),
            cancel,
            _hint(N_("Please use the buttons above, or /cancel.")),
        ],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    # One purchase per cashier at a time, its buttons carrying the draft's id: PTB's
    # per_message advice does not apply (as for the identify flow).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return ConversationHandler(
            entry_points=[
                CallbackQueryHandler(record_purchase, pattern=kb.RECORD_PURCHASE_PATTERN)
            ],
            states=states,
            fallbacks=[
                CommandHandler("cancel", cancel_command, filters=PRIVATE),
                CommandHandler("identify", leave, filters=PRIVATE),
                CallbackQueryHandler(leave, pattern=f"^{kb.NEXT_CUSTOMER}$"),
            ],
            name="checkout",
            persistent=True,
            allow_reentry=True,
            conversation_timeout=timeout,
        )
