"""``/orders`` and reversals (PRODUCT §8): what the bot recorded, and taking a sale back.

A manager sees the orders newest first, a page at a time, for every store or one, and can
reverse a recorded one (a full refund in Gameball) after confirming. Each order can be reversed
once: the order service claims the reversal in SQLite before Gameball is asked, and Gameball's
own "already cancelled" (9001) is read as reversed. Every handler checks the manager role when
it runs, including presses on old lists.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.chat import keyboards as kb
from bot.chat.access import requires
from bot.chat.alerts import alert_managers_about_credentials
from bot.chat.audit import audit, failure_result, order_detail
from bot.chat.cards import isolate, points_text
from bot.chat.context import ChatContext
from bot.chat.feedback import gameball_error_text
from bot.chat.receipts import order_line, sale_text
from bot.chat.replies import reply, show_page
from bot.config import CheckoutAction
from bot.gameball.errors import Unauthorized
from bot.i18n import Translator
from bot.services.container import Services
from bot.services.orders import Outcome, Result
from bot.storage import OrderRow

ORDERS_PAGE = 5
MAX_STORE_BUTTONS = 6
#: ``o:l:<older than>:<store>`` pages the list; the store is ``-`` (all) or a ref key.
LIST = "o:l"
ALL_STORES = "-"
REVERSE_ASK, REVERSE_YES, REVERSE_NO = "o:rv", "o:rvy", "o:rvn"
NUMBER = "[0-9]{1,15}"
#: The ``/activity`` button that opens this list.
ORDERS_BUTTON_DATA = f"{LIST}:0:{ALL_STORES}"


@requires("manager")
async def orders(update: Update, context: ChatContext) -> None:
    """``/orders``: the orders the bot recorded, newest first."""
    await _send_orders(update, context, None, None)


@requires("manager")
async def orders_page(update: Update, context: ChatContext) -> None:
    """Older / per-store / All stores buttons under the list (and Orders in ``/activity``)."""
    before, store_key = kb.page_data(update, ("0", ALL_STORES))
    store = None if store_key == ALL_STORES else context.services.database.refs.get(store_key)
    if not before.isdigit() or (store is None and store_key != ALL_STORES):
        assert update.callback_query is not None
        await update.callback_query.answer(context.t(update)("This button has expired."))
        return
    await _send_orders(update, context, int(before) or None, store)


async def _send_orders(
    update: Update, context: ChatContext, before_id: int | None, store: str | None
) -> None:
    t = context.t(update)
    services = context.services
    rows = services.database.orders.latest(limit=ORDERS_PAGE + 1, before_id=before_id, store=store)
    page = rows[:ORDERS_PAGE]
    header = "🧾 <b>" + t("Orders") + "</b>"
    if store is not None:
        header += " · " + isolate(store or t("no store name"))
    lines = [_line(order, services, t) for order in page] or [t("No orders recorded yet.")]
    text = "\n\n".join([header, *lines])
    older = page[-1].id if len(rows) > ORDERS_PAGE else None
    await show_page(update, text, _list_markup(services, page, older, store, t))


def _line(order: OrderRow, services: Services, t: Translator) -> str:
    member = services.database.staff.get(order.cashier.user_id)
    who = (member.name if member else None) or str(order.cashier.user_id)
    return order_line(order, who, services.customers.programme, t)


def _list_markup(
    services: Services, page: list[OrderRow], older: int | None, store: str | None, t: Translator
) -> InlineKeyboardMarkup | None:
    """Reverse per reversible order (when on), Older, and a filter per store when several."""
    refs = services.database.refs
    store_key = ALL_STORES if store is None else refs.put(store)
    rows: list[list[InlineKeyboardButton]] = []
    if services.settings.offers(CheckoutAction.REVERSE):
        rows += [
            [
                InlineKeyboardButton(
                    "↩️ " + t("Reverse {sale}", sale=sale_text(order, t, label=True)),
                    callback_data=f"{REVERSE_ASK}:{order.id}",
                )
            ]
            for order in page
            if order.reversible
        ]
    if older is not None:
        rows.append([InlineKeyboardButton(t("Older"), callback_data=f"{LIST}:{older}:{store_key}")])
    stores = services.database.orders.stores()
    if len(stores) > 1:
        rows += [
            [InlineKeyboardButton("🏬 " + (label or t("no store name")), callback_data=data)]
            for label in stores[:MAX_STORE_BUTTONS]
            if label != store and (data := f"{LIST}:0:{refs.put(label)}")
        ]
        if store is not None:
            rows.append([InlineKeyboardButton(t("All stores"), callback_data=ORDERS_BUTTON_DATA)])
    return InlineKeyboardMarkup(rows) if rows else None


# --- reversing --------------------------------------------------------------------------------


@requires("manager")
async def reverse_ask(update: Update, context: ChatContext) -> None:
    """Reverse: ask first (a reversal takes the customer's points back)."""
    query = update.callback_query
    assert query is not None
    t = context.t(update)
    key = kb.pressed_number(update)
    order = context.services.database.orders.get(key) if key else None
    if order is None or not context.services.settings.offers(CheckoutAction.REVERSE):
        await query.answer(t("This button has expired."))
        return
    await query.answer()
    if not order.reversible:
        await reply(update, _closed_text(order, t))
        return
    lines = [t("Reverse the purchase of {sale}?", sale=sale_text(order, t))]
    name = context.services.customers.programme.points_name
    if order.points:
        earned = points_text(order.points, name, t)
        lines.append(t("Gameball takes back the {points} it earned.", points=earned))
    if order.sale.redemption is not None:
        redeemed = points_text(order.sale.redemption.points, name, t)
        lines.append(t("The {points} redeemed with it go back to the customer.", points=redeemed))
    markup = kb.yes_no_keyboard(
        t("Yes, reverse"), f"{REVERSE_YES}:{order.id}", t("No"), f"{REVERSE_NO}:{order.id}"
    )
    await reply(update, "\n".join(lines), markup)


@requires("manager")
async def reverse_answer(update: Update, context: ChatContext) -> None:
    """Yes / No (and Retry): reverse the order in Gameball, once, or leave it as it is."""
    query, user = update.callback_query, update.effective_user
    assert query is not None
    assert user is not None
    t = context.t(update)
    key = kb.pressed_number(update)
    await query.answer()
    if key is None or (query.data or "").startswith(REVERSE_NO + ":"):
        await query.edit_message_text(t("Nothing changed."))
        return
    if not context.services.settings.offers(CheckoutAction.REVERSE):
        await query.edit_message_text(t("This button has expired."))
        return
    await query.edit_message_reply_markup(reply_markup=None)
    result = await context.services.orders.reverse(key, manager_id=user.id)
    text, markup = await _reversal_outcome(update, context, result, key)
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _reversal_outcome(
    update: Update, context: ChatContext, result: Result, key: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the manager reads after Yes, and the audit entry behind it."""
    t = context.t(update)
    order = result.order
    if order is None:
        return t("There is no such order."), None
    sale = order.sale
    detail = order_detail(sale.order_id, sale.amount, sale.currency, result.points)
    name = context.services.customers.programme.points_name
    if result.outcome is Outcome.DONE:
        audit(context, update, "reverse", "reversed", sale.customer_id, detail)
        text = "↩️ " + t("Reversed: {sale}.", sale=sale_text(order, t))
        if result.points is not None:
            text += "\n" + t("{points} taken back.", points=points_text(result.points, name, t))
        if sale.redemption is not None:
            redeemed = points_text(sale.redemption.points, name, t)
            text += "\n" + t("{points} given back.", points=redeemed)
        return text, None
    if result.outcome is Outcome.EARLIER:
        audit(context, update, "reverse", "already_reversed", sale.customer_id, detail)
        return "↩️ " + t("Gameball had already reversed {sale}.", sale=sale_text(order, t)), None
    if result.outcome is Outcome.CLOSED:
        return _closed_text(order, t), None
    assert result.error is not None
    audit(context, update, "reverse", failure_result(result.error), sale.customer_id, detail)
    if isinstance(result.error, Unauthorized):
        await alert_managers_about_credentials(context)
    text = gameball_error_text(result.error, t) + "\n" + t("Nothing was reversed.")
    if result.outcome is not Outcome.UNAVAILABLE:
        return text, None
    retry = InlineKeyboardButton(t("Retry"), callback_data=f"{REVERSE_YES}:{key}")
    return text, InlineKeyboardMarkup([[retry]])


def _closed_text(order: OrderRow, t: Translator) -> str:
    """Why an order cannot be reversed now."""
    if order.reversal == "reversed":
        return t("{sale} is reversed already.", sale=sale_text(order, t))
    if order.reversal == "sending":
        return t("{sale} is being reversed right now.", sale=sale_text(order, t))
    return t("{sale} is not recorded, so it cannot be reversed.", sale=sale_text(order, t))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The handlers of ``/orders`` and reversals, for ``register_handlers``."""
    return [
        CommandHandler("orders", orders),
        CallbackQueryHandler(orders_page, pattern=rf"^{LIST}:{NUMBER}:[\w-]+$"),
        CallbackQueryHandler(reverse_ask, pattern=rf"^{REVERSE_ASK}:{NUMBER}$"),
        CallbackQueryHandler(reverse_answer, pattern=rf"^({REVERSE_YES}|{REVERSE_NO}):{NUMBER}$"),
    ]
