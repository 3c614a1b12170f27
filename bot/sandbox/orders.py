"""The sandbox's order book: Track Order, reward preview, order transactions and refunds.

What Gameball documents for them (GAMEBALL.md §8), with choices where it is silent:

* The earn rule is one point per ``earn_every`` of money paid (10 by default), rounded down;
  the reward preview quotes exactly what the order will earn.
* An ``orderId`` is unique: a second order with it is 422 code 9004. A refund reverses a whole
  order (a partial ``refundAmount`` is 422: the sandbox does not emulate partial refunds), takes
  its points back (the balance may go negative), and is refused with 404 code 9005 for an order
  Gameball does not know (or that belongs to another customer) and 422 code 9001 for an order
  already reversed. A ``refundTransactionId`` used before is 9004 too.
* An order's transactions are a ``PaymentReward`` and, once reversed, a ``Cancel``; an order
  Gameball does not know answers 404 code 9002 ("transaction not found").
* ``orderDate``/``transactionTime`` must be ISO 8601 and not in the future (code 9007).

The book keeps orders only; what they do to a balance is returned as a :class:`PointsChange`
for the emulator to apply to the customer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from bot.sandbox.payloads import (
    ApiError,
    amount,
    channel,
    has_type,
    invalid,
    json_object,
    required_string,
)

#: How far ahead of the sandbox's clock a transaction time may be (clocks drift).
CLOCK_SKEW: Final = timedelta(minutes=5)


def _transaction_error(status: int, code: int, message: str) -> ApiError:
    return ApiError(status, code, "TRANSACTION_ERROR", message)


@dataclass(frozen=True)
class PointsChange:
    """What an order or a refund does to a customer: points and money spent, signed."""

    customer_id: str
    points: int
    spent: float


@dataclass
class _Order:
    order_id: str
    customer_id: str
    order_date: str
    total_paid: float
    points: int
    transactions: list[dict[str, Any]] = field(default_factory=list)
    reversed: bool = False


class OrderBook:
    """Orders and their refunds; the emulator routes the four endpoints here."""

    def __init__(self, *, earn_every: float, clock: Callable[[], datetime]) -> None:
        if earn_every <= 0:
            raise ValueError("earn_every must be positive")
        self._earn_every = earn_every
        self._clock = clock
        self._orders: dict[str, _Order] = {}
        self._refund_ids: set[str] = set()
        self._transaction_ids = itertools.count(11_034_001)

    def points_for(self, total_paid: float) -> int:
        """The earn rule: one point per ``earn_every`` paid."""
        return math.floor(total_paid / self._earn_every + 1e-9)

    def preview(self, payload: Any, known: Callable[[str], bool]) -> dict[str, Any]:
        """``POST /orders/reward-preview``: the quote; nothing is recorded."""
        body = json_object(payload)
        paid = amount(body, "totalPaid", required=True) or 0.0
        amount(body, "totalPrice")
        channel(body)
        customer_id = body.get("customerId")
        if customer_id is not None and not isinstance(customer_id, str):
            raise invalid("customerId")
        points = self.points_for(paid)
        found = customer_id is not None and known(customer_id)
        answer: dict[str, Any] = {"customerFound": found, "totalPoints": points, "totalCoupons": 0}
        answer["cashback"] = {"totalPoints": points, "totalScore": points, "lineItems": []}
        answer["eventRewards"] = _no_campaigns() if found else None
        return ({"customerId": customer_id} if customer_id else {}) | answer

    def track(self, payload: Any) -> tuple[dict[str, Any], PointsChange]:
        """``POST /orders``: record the order once; its points go to the customer."""
        body = json_object(payload)
        customer_id = required_string(body, "customerId")
        order_id = required_string(body, "orderId")
        order_date = self._transaction_time(body, "orderDate")
        paid = amount(body, "totalPaid", required=True) or 0.0
        amount(body, "totalPrice")
        channel(body)
        _merchant(body.get("merchant"), branch_id_required=False)
        if order_id in self._orders:
            raise _transaction_error(422, 9004, "Transaction ID already exists")
        order = _Order(order_id, customer_id, order_date, paid, self.points_for(paid))
        order.transactions.append(self._transaction(order, "PaymentReward", order_id))
        self._orders[order_id] = order
        answer = {"customerId": customer_id, "redeemedPoints": 0, "rewardedPoints": order.points}
        return answer, PointsChange(customer_id, order.points, paid)

    def transactions(self, order_id: str) -> dict[str, Any]:
        """``GET /orders/{orderId}/transactions``."""
        order = self._orders.get(order_id)
        if order is None:
            raise _transaction_error(404, 9002, "Transaction not found")
        return {"transactions": list(order.transactions), "count": len(order.transactions)}

    def refund(self, payload: Any) -> tuple[dict[str, Any], PointsChange]:
        """``POST /transactions/refund``: reverse a whole order, once."""
        body = json_object(payload)
        customer_id = required_string(body, "customerId")
        refund_id = required_string(body, "refundTransactionId")
        order_id = required_string(body, "reverseTransactionId")
        self._transaction_time(body, "transactionTime")
        _merchant(body.get("merchant"), branch_id_required=True)
        order = self._orders.get(order_id)
        if order is None or order.customer_id != customer_id:
            raise _transaction_error(404, 9005, "Reversed transaction not found")
        if order.reversed:
            raise _transaction_error(422, 9001, "Transaction already cancelled")
        if refund_id in self._refund_ids:
            raise _transaction_error(422, 9004, "Transaction ID already exists")
        refund_amount = amount(body, "refundAmount")
        if refund_amount is not None and refund_amount != order.total_paid:
            raise invalid("refundAmount (the sandbox reverses whole orders only)")
        order.reversed = True
        self._refund_ids.add(refund_id)
        cancel = self._transaction(order, "Cancel", refund_id)
        order.transactions.append(cancel)
        answer = {
            "gameballTransactionId": str(cancel["gameballTransactionId"]),
            "refundTransactionId": refund_id,
            "refundAmount": order.total_paid,
            "refundEquivalentPoints": order.points,
        }
        return answer, PointsChange(customer_id, -order.points, -order.total_paid)

    def _transaction(self, order: _Order, kind: str, transaction_id: str) -> dict[str, Any]:
        return {
            "transactionDate": order.order_date.removesuffix("Z"),
            "gameballTransactionId": next(self._transaction_ids),
            "transactionType": kind,
            "amount": order.total_paid,
            "transactionId": transaction_id,
            "equivalentPoints": order.points,
        }

    def _transaction_time(self, body: dict[str, Any], name: str) -> str:
        """An ISO 8601 time with a zone, not in the future (code 9007 otherwise)."""
        text = required_string(body, name)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise invalid(name) from None
        if moment.utcoffset() is None:
            raise invalid(name)
        if moment > self._clock() + CLOCK_SKEW:
            raise _transaction_error(422, 9007, "Invalid transaction time")
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _merchant(raw: Any, *, branch_id_required: bool) -> None:
    """``merchant{uniqueId, name, branch{uniqueId, name}}``; a refund's branch needs its ID."""
    if raw is None:
        return
    merchant = _object(raw, "merchant")
    _strings(merchant, "merchant", ("uniqueId", "name"))
    if merchant.get("branch") is None:
        return
    branch = _object(merchant["branch"], "merchant.branch")
    _strings(branch, "merchant.branch", ("uniqueId", "name"))
    if branch_id_required and branch.get("uniqueId") is None:
        raise ApiError(400, 3000, "PAYLOAD_ERROR", "Missing arguments: merchant.branch.uniqueId")


def _object(raw: Any, name: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid(name)
    return raw


def _strings(raw: dict[str, Any], prefix: str, names: tuple[str, ...]) -> None:
    for name in names:
        if raw.get(name) is not None and not has_type(raw[name], (str,)):
            raise invalid(f"{prefix}.{name}")


def _no_campaigns() -> dict[str, Any]:
    """``eventRewards`` of a known customer when no campaign is set up: nothing to earn."""
    return {
        "eventName": "place_order",
        "valid": True,
        "invalidReason": None,
        "totalPoints": 0,
        "campaigns": [],
    }
