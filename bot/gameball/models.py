"""Wire models for the Gameball v4.0 endpoints the bot uses: customers, orders, holds, refunds.

Responses are read leniently: every field may be absent or null (the documentation's examples
omit fields, and the live API has been seen to misspell some), and unknown fields are kept
out of the way. Requests are written strictly: absent values are never sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

#: Where a customer or an order came from; the bot is a till, so it always says ``pos``.
Channel = Literal["mobile", "pos", "web", "callcenter"]


class _Response(BaseModel):
    """Base for response bodies: ignore unknown fields, accept absent ones."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class CustomerBalance(_Response):
    """``GET /customers/{customerId}/balance``.

    Both ``availablePoints*`` and the live API's ``avaliablePoints*`` spellings are read.
    """

    total_points_balance: float | None = Field(None, alias="totalPointsBalance")
    total_points_value: float | None = Field(None, alias="totalPointsValue")
    available_points_balance: float | None = Field(
        None,
        validation_alias=AliasChoices("availablePointsBalance", "avaliablePointsBalance"),
        serialization_alias="availablePointsBalance",
    )
    available_points_value: float | None = Field(
        None,
        validation_alias=AliasChoices("availablePointsValue", "avaliablePointsValue"),
        serialization_alias="availablePointsValue",
    )
    pending_points: float | None = Field(None, alias="pendingPoints")
    pending_points_value: float | None = Field(None, alias="pendingPointsValue")
    currency: str | None = None
    points_name: str | None = Field(None, alias="pointsName")
    next_expiring_points_amount: float | None = Field(None, alias="nextExpiringPointsAmount")
    next_expiring_points_value: float | None = Field(None, alias="nextExpiringPointsValue")
    next_expiring_points_date: str | None = Field(None, alias="nextExpiringPointsDate")
    total_earned_points: float | None = Field(None, alias="totalEarnedPoints")


class TierState(_Response):
    """One tier of the programme as tier-progress describes it (``minPorgress`` also read)."""

    order: float | None = None
    name: str | None = None
    min_progress: float | None = Field(
        None,
        validation_alias=AliasChoices("minProgress", "minPorgress"),
        serialization_alias="minProgress",
    )
    icon: str | None = None


class TierProgress(_Response):
    """``GET /customers/{customerId}/tier-progress``."""

    current: TierState | None = None
    next: TierState | None = None
    progress: float | None = None


class CustomerDetailsAttributes(_Response):
    """The PII-bearing attributes returned by ``/details`` that the bot can show."""

    display_name: str | None = Field(None, alias="displayName")
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    email: str | None = None
    mobile: str | None = None
    preferred_language: str | None = Field(None, alias="preferredLanguage")
    join_date: str | None = Field(None, alias="joinDate")
    channel: str | None = None
    custom: dict[str, Any] | None = None


class CustomerDetails(_Response):
    """``GET /customers/{customerId}/details``."""

    customer_id: str | None = Field(None, alias="customerId")
    gameball_id: float | None = Field(None, alias="gameballId")
    customer_attributes: CustomerDetailsAttributes | None = Field(None, alias="customerAttributes")

    @property
    def name(self) -> str | None:
        """The best human name Gameball holds: display name, else first and last name."""
        attrs = self.customer_attributes
        if attrs is None:
            return None
        if attrs.display_name and attrs.display_name.strip():
            return attrs.display_name.strip()
        parts = [p.strip() for p in (attrs.first_name, attrs.last_name) if p and p.strip()]
        return " ".join(parts) or None


class UpsertCustomerResponse(_Response):
    """``POST /customers`` answer; treated as opaque apart from ``gameballId``."""

    gameball_id: float | None = Field(None, alias="gameballId")


class _Request(BaseModel):
    """Base for request bodies: strict, serialised by alias, absent values dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON body exactly as sent to Gameball."""
        return self.model_dump(by_alias=True, exclude_none=True)


class CustomerAttributes(_Request):
    """``customerAttributes`` of the upsert request: only what the bot fills in."""

    display_name: str | None = Field(None, alias="displayName")
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    email: str | None = None
    mobile: str | None = None
    preferred_language: str | None = Field(None, alias="preferredLanguage")
    channel: Channel | None = None
    custom: dict[str, str] | None = None


class UpsertCustomerRequest(_Request):
    """``POST /customers``: create or update, keyed on ``customerId`` (idempotent)."""

    customer_id: str = Field(alias="customerId")
    email: str | None = None
    mobile: str | None = None
    customer_attributes: CustomerAttributes | None = Field(None, alias="customerAttributes")


# --- orders and refunds (PRODUCT §8, GAMEBALL.md §8) -------------------------------------------


class Branch(_Request):
    """``merchant.branch``: where the sale (or refund) took place."""

    unique_id: str | None = Field(None, alias="uniqueId")
    name: str | None = None


class Merchant(_Request):
    """``merchant``: the store, for accounts with several merchants or branches."""

    unique_id: str | None = Field(None, alias="uniqueId")
    name: str | None = None
    branch: Branch | None = None


class RewardPreviewRequest(_Request):
    """``POST /orders/reward-preview``: what an order would earn; nothing is recorded."""

    customer_id: str = Field(alias="customerId")
    total_paid: float = Field(alias="totalPaid")
    total_price: float | None = Field(None, alias="totalPrice")
    channel: Channel | None = None
    merchant: Merchant | None = None


class OrderRedemption(_Request):
    """``redemption`` of an order: the points hold whose points pay part of it."""

    points_hold_reference: str = Field(alias="pointsHoldReference")


class OrderRequest(_Request):
    """``POST /orders`` (Track Order): records the purchase, keyed on ``orderId``."""

    customer_id: str = Field(alias="customerId")
    order_id: str = Field(alias="orderId")
    order_date: str = Field(alias="orderDate")
    total_paid: float = Field(alias="totalPaid")
    total_price: float | None = Field(None, alias="totalPrice")
    channel: Channel | None = None
    merchant: Merchant | None = None
    redemption: OrderRedemption | None = None


class RefundRequest(_Request):
    """``POST /transactions/refund``; without ``refundAmount`` the whole order is reversed."""

    customer_id: str = Field(alias="customerId")
    refund_transaction_id: str = Field(alias="refundTransactionId")
    reverse_transaction_id: str = Field(alias="reverseTransactionId")
    transaction_time: str = Field(alias="transactionTime")
    merchant: Merchant | None = None


class HoldRequest(_Request):
    """``POST /transactions/hold``: reserve points (or their worth in money) for a purchase.

    Exactly one of ``pointsToHold`` and ``amountToHold``. ``hash`` (from the customer's scanned
    QR code) and ``otp`` (the code Gameball texted them) are credentials: left out of ``repr``.
    """

    customer_id: str = Field(alias="customerId")
    transaction_time: str = Field(alias="transactionTime")
    points_to_hold: int | None = Field(None, alias="pointsToHold")
    amount_to_hold: float | None = Field(None, alias="amountToHold")
    scan_hash: str | None = Field(None, alias="hash", repr=False)
    otp: str | None = Field(None, repr=False)


class OtpRequest(_Request):
    """``POST /transactions/otp``: Gameball texts the customer a code for this redemption."""

    customer_id: str = Field(alias="customerId")
    points: int | None = None
    amount: float | None = None


class CashbackQuote(_Response):
    """``cashback`` of a reward preview: the points the order's cashback rules give."""

    total_points: float | None = Field(None, alias="totalPoints")


class RewardPreview(_Response):
    """``POST /orders/reward-preview`` answer."""

    customer_id: str | None = Field(None, alias="customerId")
    customer_found: bool | None = Field(None, alias="customerFound")
    total_points: float | None = Field(None, alias="totalPoints")
    cashback: CashbackQuote | None = None

    @property
    def points(self) -> float | None:
        """What the customer would earn in all: cashback plus campaigns, else cashback alone."""
        if self.total_points is not None:
            return self.total_points
        return self.cashback.total_points if self.cashback else None


class OrderResponse(_Response):
    """``POST /orders`` answer; the POS guides spell them ``pointsEarned``, ``pointsRedeemed``."""

    customer_id: str | None = Field(None, alias="customerId")
    redeemed_points: float | None = Field(
        None,
        validation_alias=AliasChoices("redeemedPoints", "pointsRedeemed"),
        serialization_alias="redeemedPoints",
    )
    rewarded_points: float | None = Field(
        None,
        validation_alias=AliasChoices("rewardedPoints", "pointsEarned"),
        serialization_alias="rewardedPoints",
    )


class OrderTransaction(_Response):
    """One entry of ``GET /orders/{orderId}/transactions``."""

    transaction_date: str | None = Field(None, alias="transactionDate")
    gameball_transaction_id: int | str | None = Field(None, alias="gameballTransactionId")
    transaction_type: str | None = Field(None, alias="transactionType")
    amount: float | None = None
    transaction_id: str | None = Field(None, alias="transactionId")
    equivalent_points: float | None = Field(None, alias="equivalentPoints")


class OrderTransactions(_Response):
    """``GET /orders/{orderId}/transactions``: what Gameball recorded for one order."""

    transactions: list[OrderTransaction] | None = None
    count: int | None = None


class RefundResponse(_Response):
    """``POST /transactions/refund`` answer."""

    gameball_transaction_id: int | str | None = Field(None, alias="gameballTransactionId")
    refund_transaction_id: str | None = Field(None, alias="refundTransactionId")
    refund_amount: float | None = Field(None, alias="refundAmount")
    refund_equivalent_points: float | None = Field(None, alias="refundEquivalentPoints")


class HoldPlaced(_Response):
    """``POST /transactions/hold`` answer. ``holdAmount`` is a number, or a string in examples."""

    customer_id: str | None = Field(None, alias="customerId")
    hold_amount: Decimal | None = Field(None, alias="holdAmount")
    hold_equivalent_points: float | None = Field(None, alias="holdEquivalentPoints")
    hold_reference: str | None = Field(None, alias="holdReference")


class HoldDetails(_Response):
    """``GET /transactions/hold/{holdReferenceId}``.

    ``state`` is ``active``, ``used`` or ``expired``; ``dateToExpire`` comes without a time zone.
    """

    customer_id: str | None = Field(None, alias="customerId")
    hold_amount: Decimal | None = Field(None, alias="holdAmount")
    hold_equivalent_points: float | None = Field(None, alias="holdEquivalentPoints")
    state: str | None = None
    date_to_expire: str | None = Field(None, alias="dateToExpire")


class HoldReleased(_Response):
    """``DELETE /transactions/hold/{holdReferenceId}`` answer."""

    success: bool | None = None
    message: str | None = None


class OtpSent(_Response):
    """``POST /transactions/otp`` answer: Gameball documents none; a 2xx means the text is sent."""
