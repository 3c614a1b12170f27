"""Audit helpers for handlers: who did what to which customer, in which store (PRODUCT §3).

Purchases and reversals also keep their amount, points and order ID in ``detail`` (as JSON, so
``/activity`` can show them in the reader's language); never contact details. So do points
holds (action ``hold``: ``placed``, ``released``, ``used``, ``expired``, ``refused``): the
money they take off, the points held and the order they were held for; never a hold's scanned
hash or code.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TypedDict

from telegram import Update

from bot.chat.context import ChatContext
from bot.domain.orders import Redemption
from bot.gameball.errors import GameballError, Rejected, Unauthorized, Unavailable


def actor_name(update: Update) -> str | None:
    """The Telegram user's display name, as the audit log records it."""
    user = update.effective_user
    return user.full_name if user else None


def audit(
    context: ChatContext,
    update: Update,
    action: str,
    result: str,
    customer_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Record one action by the user behind ``update``. Never contact data in clear."""
    user = update.effective_user
    context.services.record_audit(
        actor_id=user.id if user else 0,
        actor_name=actor_name(update),
        action=action,
        result=result,
        customer_id=customer_id,
        detail=detail,
    )


def failure_result(exc: GameballError) -> str:
    """The audit log's word for a Gameball call that failed."""
    if isinstance(exc, Unavailable):
        return "unavailable"
    if isinstance(exc, Unauthorized):
        return "unauthorized"
    return "rejected"


class OrderDetail(TypedDict):
    """What the audit log keeps of a purchase, its preview or its reversal."""

    order: str
    amount: str
    currency: str | None
    points: float | None


def order_detail(
    order_id: str, amount: Decimal, currency: str | None, points: float | None = None
) -> str:
    """The ``detail`` of an order's audit entry."""
    detail = OrderDetail(order=order_id, amount=str(amount), currency=currency, points=points)
    return json.dumps(detail, ensure_ascii=False)


def hold_detail(order_id: str, redemption: Redemption, currency: str | None) -> str:
    """The ``detail`` of a hold's audit entry: the order it is for, its discount and points."""
    return order_detail(order_id, redemption.discount, currency, redemption.points)


def asked_detail(
    order_id: str, currency: str | None, *, points: int | None, amount: Decimal | None
) -> str:
    """What a hold Gameball refused asked for: points, or an amount (never both known)."""
    if amount is not None:
        return order_detail(order_id, amount, currency)
    return json.dumps({"order": order_id, "currency": currency, "points": points})


def hold_failure(exc: GameballError) -> str:
    """The audit log's word for a hold Gameball did not place: ``refused``, or why not asked."""
    return "refused" if isinstance(exc, Rejected) else failure_result(exc)
