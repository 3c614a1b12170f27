"""The purchase flow (PRODUCT §8): record the sale from the card, once.

Read top to bottom, this is what a cashier does (``checkout.mmd`` draws it): tap Record purchase
on the card → type the amount paid → see what Gameball will award → Confirm → the receipt, with
the points earned and the new balance → Next customer. Above ``MAX_ORDER_AMOUNT`` only a manager
can confirm. The draft lives in ``user_data["purchase"]`` (``purchase_draft.py``); its
``orderId`` is fixed when it is made, and what happens once Confirm is tapped (never twice, never
lost) is the order service's. A purchase may start with Redeem points instead (``redeem.py``):
then the amount typed is the price before the points' discount, the order carries the hold, and
leaving the purchase in any way gives the held points back.

The flow's handlers run in a handler group before the identify flow's (``bot.app``). A step
that handles an update stops it there (:func:`consumed`), so the amount "450" is not also looked
up as a customer ID; leaving for another customer (``/identify``, Next customer) drops the
purchase and lets the identify flow take the same update.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
)

from bot.chat import keyboards as kb
from bot.chat import redeem
from bot.chat.access import requires, role_of
from bot.chat.alerts import alert_managers_about_credentials
from bot.chat.audit import audit, failure_result, hold_detail, order_detail
from bot.chat.cards import code, money, points_text
from bot.chat.context import ChatContext
from bot.chat.feedback import gameball_error_text, invalid_amount_text
from bot.chat.flow import END, say_expired
from bot.chat.purchase_draft import (
    AMOUNT,
    CONFIRM,
    HELD,
    HOLD_AGAIN,
    PLAIN_TEXT,
    PRIVATE,
    PURCHASES,
    USE_THE_BUTTONS,
    PurchaseDraft,
    button,
    cashier_of,
    consumed,
    current,
    drop,
    hint,
    keyboard,
    new_draft,
    purchase_step,
    start,
    store_of,
)
from bot.chat.receipts import amount_example, next_customer_keyboard, send_receipt
from bot.chat.replies import close_buttons, reply
from bot.config import CheckoutAction
from bot.domain.contacts import InvalidInput
from bot.domain.money import absurd_above, parse_amount
from bot.domain.orders import needs_manager
from bot.gameball.errors import GameballError, HoldNotFound, Unauthorized
from bot.i18n import N_, Translator
from bot.services.holds import ENDED
from bot.services.orders import Outcome, Result

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
    await redeem.abandon(update, context)  # another customer's purchase, or an older one
    draft = new_draft(update, context, customer_id)
    start(context, draft)
    return await _ask_amount(update, context, draft)


@purchase_step
async def purchase_with_hold(update: Update, context: ChatContext) -> int:
    """Record purchase under the held points: the price before their discount."""
    await close_buttons(update)
    return await _ask_amount(update, context, current(context))


async def _ask_amount(update: Update, context: ChatContext, draft: PurchaseDraft) -> int:
    t = context.t(update)
    customer_id, example = code(draft["customer_id"]), f"<code>{amount_example(t)}</code>"
    if draft.get("hold"):
        text = (
            redeem.discount_line(draft, context, t)
            + "\n🛒 "
            + t(
                "Purchase for {customer_id}. What is the price before the discount? "
                "For example {example}.",
                customer_id=customer_id,
                example=example,
            )
        )
    else:
        text = "🛒 " + t(
            "Purchase for {customer_id}. How much did the customer pay? For example {example}.",
            customer_id=customer_id,
            example=example,
        )
    await reply(update, text, keyboard(draft, [[(t("Cancel"), kb.CANCEL)]]))
    return AMOUNT


@purchase_step
async def amount_answer(update: Update, context: ChatContext) -> int:
    """The amount paid: read in any usual form, or refused with a reason and an example."""
    t = context.t(update)
    draft = current(context)
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
    if amount < _discount(draft):
        text = "⚠️ " + t(
            "The points take {discount} off, more than {amount}. Type the price before the "
            "discount, or Cancel to give the points back.",
            discount=money(_discount(draft), currency, t),
            amount=money(amount, currency, t),
        )
        await reply(update, text)
        return AMOUNT
    draft["amount"] = str(amount)
    return await _offer_confirmation(update, context, draft, amount)


def _discount(draft: PurchaseDraft) -> Decimal:
    """What held points take off the price (nothing without a hold)."""
    held = draft.get("hold")
    return Decimal(held["discount"]) if held else Decimal(0)


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
    ]
    if draft.get("hold"):
        paid = money(amount - _discount(draft), currency, t)
        lines += [redeem.discount_line(draft, context, t), "💵 " + t("To pay: {paid}", paid=paid)]
    lines.append(await _preview_line(update, context, draft, amount))
    if needs_manager(amount, limit):
        lines.append(t("Above the staff limit of {limit}.", limit=money(limit, currency, t)))
    buttons = [[("✅ " + t("Confirm"), kb.CONFIRM_PURCHASE)], _change_or_cancel(t)]
    await reply(update, "\n".join(lines), keyboard(draft, buttons))
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
    await reply(update, text, keyboard(draft, [_change_or_cancel(t)]))
    return CONFIRM


async def _preview_line(
    update: Update, context: ChatContext, draft: PurchaseDraft, amount: Decimal
) -> str:
    """The line saying what the customer will earn, from Gameball's reward preview."""
    t = context.t(update)
    programme = context.services.customers.programme
    customer_id = draft["customer_id"]
    try:
        points = await context.services.orders.preview(
            customer_id, amount, store_of(update, context), _discount(draft)
        )
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
    return await _ask_amount(update, context, current(context))


# --- 3. Confirm: record it, then the receipt --------------------------------------------------


@purchase_step
async def confirm(update: Update, context: ChatContext) -> int:
    """Confirm: record the sale once. Above the limit only a manager gets past this point."""
    t = context.t(update)
    query = update.callback_query
    assert query is not None
    draft = current(context)
    amount, currency = Decimal(draft["amount"] or 0), draft["currency"]
    services = context.services
    limit = services.settings.max_order_amount
    if needs_manager(amount, limit) and role_of(context, update) != "manager":
        text = t(
            "Only a manager can record a purchase above {limit}.", limit=money(limit, currency, t)
        )
        await query.answer(text, show_alert=True)
        return CONFIRM
    drop(context)  # before anything is awaited: a second tap finds no purchase to confirm
    await close_buttons(update)
    if not await redeem.hold_is_usable(update, context, draft):
        return HOLD_AGAIN
    held = draft.get("hold")
    result = await services.orders.record(
        order_id=draft["order_id"],
        customer_id=draft["customer_id"],
        amount=amount,
        currency=currency,
        store=store_of(update, context),
        cashier=cashier_of(update, context),
        redemption=redeem.redemption_of(held) if held else None,
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
        _audit_hold_end(context, update, result)
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
        text += _refused_hold_text(result, context, t)
    _audit_hold_end(context, update, result)
    await reply(
        update, gameball_error_text(result.error, t) + "\n" + text, next_customer_keyboard(t)
    )


def _audit_hold_end(context: ChatContext, update: Update, result: Result) -> None:
    """How the order's hold ended with it (used, or given back after a refusal), if it did."""
    sale = result.order.sale if result.order else None
    if sale is None or sale.redemption is None:
        return
    if result.hold in ENDED:
        detail = hold_detail(sale.order_id, sale.redemption, sale.currency)
        audit(context, update, "hold", str(result.hold), sale.customer_id, detail)


def _refused_hold_text(result: Result, context: ChatContext, t: Translator) -> str:
    """After a refused order: what became of its held points, and how to redeem again."""
    redemption = result.order.sale.redemption if result.order else None
    if redemption is None or result.hold is None:
        return ""
    if isinstance(result.error, HoldNotFound):
        return " " + t("Look the customer up again to redeem their points anew.")
    return "\n" + redeem.hold_end_text(result.hold, redemption.points, context, t)


# --- leaving ---------------------------------------------------------------------------------


@purchase_step
async def cancel_button(update: Update, context: ChatContext) -> int:
    """Cancel: nothing is recorded, and held points go back."""
    await close_buttons(update)
    await redeem.abandon(update, context)
    return END


@consumed
@requires("staff")
async def cancel_command(update: Update, context: ChatContext) -> int:
    """``/cancel`` at any step."""
    await redeem.abandon(update, context)
    return END


@requires("staff", explain=False)
async def leave(update: Update, context: ChatContext) -> int:
    """``/identify`` or Next customer mid-purchase: drop it, and let the identify flow answer."""
    await redeem.abandon(update, context)
    return END


async def timed_out(update: object, context: ChatContext) -> int:
    """``CONVERSATION_TIMEOUT`` of silence: the purchase was not recorded, held points go back."""
    draft = drop(context)
    if isinstance(update, Update) and draft is not None:
        await say_expired(update, context, PURCHASES)
        released = await redeem.release_hold(update, context, draft)
        if released is not None:
            await reply(update, released)
    return END


# --- wiring ----------------------------------------------------------------------------------


def build_checkout_conversation(timeout: float) -> ConversationHandler[Any]:
    """The purchase flow as a persistent ``ConversationHandler``, for a handler group of its own."""
    cancel = button(cancel_button, kb.CANCEL)
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        AMOUNT: [
            MessageHandler(PLAIN_TEXT, amount_answer),
            cancel,
            hint(N_("Please type the amount the customer paid, for example {example}.")),
        ],
        CONFIRM: [
            button(confirm, kb.CONFIRM_PURCHASE),
            button(change_amount, kb.CHANGE_AMOUNT),
            cancel,
            hint(USE_THE_BUTTONS),
        ],
        **redeem.redeem_states(cancel),
        ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
    }
    states[HELD].insert(0, button(purchase_with_hold, kb.PURCHASE_WITH_HOLD))
    # One purchase per cashier at a time, its buttons carrying the draft's id: PTB's
    # per_message advice does not apply (as for the identify flow).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return ConversationHandler(
            entry_points=[
                CallbackQueryHandler(record_purchase, pattern=kb.RECORD_PURCHASE_PATTERN),
                redeem.ENTRY,
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
