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
* An order with ``redemption.pointsHoldReference`` uses that points hold (``holds.py``: an
  active hold of the same customer, once; 9006 otherwise) and answers its points as
  ``redeemedPoints``; its refund gives them back. Its transactions are the same as without.

The book keeps orders only; what they do to a balance is returned as a :class:`PointsChange`
for the emulator to apply to the customer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.sandbox.payloads import (
    ApiError,
    amount,
    channel,
    has_type,
    invalid,
    json_object,
    required_string,
    transaction_error,
    transaction_time,
)

#: Uses a points hold for an order: ``(reference, customer ID)`` → the points it held.
UseHold = Callable[[str, str], int]


@dataclass(frozen=True)
class PointsChange:
    """What an order or a refund does to a customer: points earned, points redeemed and money
    spent, signed (a refund's are negative: it takes earned points back, gives redeemed back)."""

    customer_id: str
    points: int
    spent: float
    redeemed: int = 0


@dataclass
class _Order:
    order_id: str
    customer_id: str
    order_date: str
    total_paid: float
    points: int
    redeemed: int = 0
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

    def track(self, payload: Any, use_hold: UseHold) -> tuple[dict[str, Any], PointsChange]:
        """``POST /orders``: record the order once; its points go to the customer.

        A hold it names is used (``use_hold``) only once everything else about it is valid.
        """
        body = json_object(payload)
        customer_id = required_string(body, "customerId")
        order_id = required_string(body, "orderId")
        order_date = transaction_time(body, "orderDate", self._clock())
        paid = amount(body, "totalPaid", required=True) or 0.0
        amount(body, "totalPrice")
        channel(body)
        _merchant(body.get("merchant"), branch_id_required=False)
        hold_reference = _hold_reference(body.get("redemption"))
        if order_id in self._orders:
            raise transaction_error(422, 9004, "Transaction ID already exists")
        redeemed = use_hold(hold_reference, customer_id) if hold_reference else 0
        order = _Order(order_id, customer_id, order_date, paid, self.points_for(paid), redeemed)
        order.transactions.append(self._transaction(order, "PaymentReward", order_id))
        self._orders[order_id] = order
        answer = {
            "customerId": customer_id,
            "redeemedPoints": redeemed,
            "rewardedPoints": order.points,
        }
        return answer, PointsChange(customer_id, order.points, paid, redeemed)

    def transactions(self, order_id: str) -> dict[str, Any]:
        """``GET /orders/{orderId}/transactions``."""
        order = self._orders.get(order_id)
        if order is None:
            raise transaction_error(404, 9002, "Transaction not found")
        return {"transactions": list(order.transactions), "count": len(order.transactions)}

    def refund(self, payload: Any) -> tuple[dict[str, Any], PointsChange]:
        """``POST /transactions/refund``: reverse a whole order, once."""
        body = json_object(payload)
        customer_id = required_string(body, "customerId")
        refund_id = required_string(body, "refundTransactionId")
        order_id = required_string(body, "reverseTransactionId")
        transaction_time(body, "transactionTime", self._clock())
        _merchant(body.get("merchant"), branch_id_required=True)
        order = self._orders.get(order_id)
        if order is None or order.customer_id != customer_id:
            raise transaction_error(404, 9005, "Reversed transaction not found")
        if order.reversed:
            raise transaction_error(422, 9001, "Transaction already cancelled")
        if refund_id in self._refund_ids:
            raise transaction_error(422, 9004, "Transaction ID already exists")
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
        change = PointsChange(customer_id, -order.points, -order.total_paid, -order.redeemed)
        return answer, change

    def _transaction(self, order: _Order, kind: str, transaction_id: str) -> dict[str, Any]:
        return {
            "transactionDate": order.order_date.removesuffix("Z"),
            "gameballTransactionId": next(self._transaction_ids),
            "transactionType": kind,
            "amount": order.total_paid,
            "transactionId": transaction_id,
            "equivalentPoints": order.points,
        }


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


def _hold_reference(raw: Any) -> str | None:
    """``redemption.pointsHoldReference``, when the order redeems points."""
    if raw is None:
        return None
    redemption = _object(raw, "redemption")
    reference = redemption.get("pointsHoldReference")
    if reference is not None and not (has_type(reference, (str,)) and reference):
        raise invalid("redemption.pointsHoldReference")
    return reference


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
