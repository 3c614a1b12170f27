"""What staff and managers read about orders: receipts, order lines, audit summaries (§8).

Money is formatted with Babel in the programme's currency (Gameball's ``currency``, remembered
from the last balance) and points under the programme's name for them, in the reader's language.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from babel.numbers import format_decimal
from telegram import InlineKeyboardMarkup

from bot.chat import keyboards as kb
from bot.chat.cards import code, day_and_time, isolate, money, points_text, worth_text
from bot.chat.checkout_bot import CheckoutBot
from bot.chat.fading import Kind
from bot.chat.replies import send_and_fade
from bot.gameball.errors import GameballError
from bot.gameball.models import CustomerBalance
from bot.i18n import Translator
from bot.services.container import Services
from bot.services.customers import Programme
from bot.storage import OrderRow

log = logging.getLogger(__name__)

#: The example shown with the amount question and a refused amount.
EXAMPLE_AMOUNT = Decimal("1250.50")


def amount_example(t: Translator) -> str:
    """``1,250.50``, written the reader's way."""
    return format_decimal(EXAMPLE_AMOUNT, format="#,##0.00", locale=t.locale)


def receipt_text(
    order: OrderRow, points: float | None, balance: CustomerBalance | None, t: Translator
) -> str:
    """The receipt: amount, points redeemed and earned, the new balance and the order ID."""
    sale = order.sale
    lines = [
        "✅ <b>" + t("Purchase recorded") + "</b>",
        t("Customer ID: {customer_id}", customer_id=code(sale.customer_id)),
        t("Amount: {amount}", amount=money(sale.amount, sale.currency, t)),
    ]
    points_name = balance.points_name if balance else None
    if sale.redemption is not None:
        redeemed = points_text(sale.redemption.points, points_name, t)
        off = money(sale.redemption.discount, sale.currency, t)
        lines.append("🎁 " + t("Redeemed: {points} ({off} off)", points=redeemed, off=off))
        lines.append("💵 " + t("Paid: {paid}", paid=money(sale.paid, sale.currency, t)))
    if points is not None:
        lines.append("⭐ " + t("Earned: {points}", points=points_text(points, points_name, t)))
    if balance is None:
        lines.append(t("The new balance is not available right now."))
    else:
        shown = f"<b>{points_text(balance.available_points_balance or 0, points_name, t)}</b>"
        worth = worth_text(balance.available_points_value, balance.currency, t)
        lines.append("💰 " + t("New balance: {points}{worth}", points=shown, worth=worth))
    lines.append(t("Order: {order_id}", order_id=code(sale.order_id)))
    return "\n".join(lines)


async def send_receipt(
    bot: CheckoutBot,
    services: Services,
    order: OrderRow,
    points: float | None,
    t: Translator,
    heading: str = "",
) -> None:
    """The receipt with a fresh balance and a Next customer button (``heading`` above it); it
    fades like a card."""
    try:
        balance: CustomerBalance | None = await services.customers.balance(order.sale.customer_id)
    except GameballError as exc:
        log.info("receipt without a balance: %s", type(exc).__name__)
        balance = None
    text = (heading + "\n\n" if heading else "") + receipt_text(order, points, balance, t)
    await send_and_fade(
        bot,
        services,
        order.cashier.chat_id,
        text,
        next_customer_keyboard(t),
        customer_id=order.sale.customer_id,
        kind=Kind.RECEIPT,
        language=t.language,
    )


def next_customer_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Under a receipt or a closed purchase: on to the next customer."""
    return InlineKeyboardMarkup([[kb.next_customer_button(t)]])


def sale_text(order: OrderRow, t: Translator, *, label: bool = False) -> str:
    """``EGP 450.00 for demo-1001``: which sale a message (or, as a ``label``, a button) names."""
    sale = order.sale
    customer_id = isolate(sale.customer_id) if label else code(sale.customer_id)
    return t(
        "{amount} for {customer_id}",
        amount=money(sale.amount, sale.currency, t),
        customer_id=customer_id,
    )


def order_line(order: OrderRow, who: str, programme: Programme, t: Translator) -> str:
    """One order in ``/orders``: state, time, amount and points, then customer, staff and ID."""
    sale = order.sale
    mark, change = _state(order, programme, t)
    first = " · ".join(
        part
        for part in (day_and_time(sale.order_date, t), money(sale.amount, sale.currency, t), change)
        if part
    )
    second = " · ".join([code(sale.customer_id), isolate(who), code(sale.order_id)])
    return f"{mark} {first}\n    {second}"


def _state(order: OrderRow, programme: Programme, t: Translator) -> tuple[str, str]:
    """The order's mark, and the points it earned or lost (or why it is not recorded)."""
    name = programme.points_name
    if order.reversal == "reversed":
        taken = order.points_reversed if order.points_reversed is not None else order.points
        lost = "" if taken is None else "−" + points_text(taken, name, t)
        return "↩️", " ".join(part for part in (t("reversed"), lost) if part)
    if order.status == "recorded":
        return "✅", "" if order.points is None else "+" + points_text(order.points, name, t)
    if order.status == "failed":
        return "❌", t("not recorded: {reason}", reason=isolate(order.last_error or "?"))
    return "⏳", t("waiting for Gameball")
