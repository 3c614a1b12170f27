"""Wire models for the Gameball v4.0 endpoints the bot uses.

Responses are read leniently: every field may be absent or null (the documentation's examples
omit fields, and the live API has been seen to misspell some), and unknown fields are kept
out of the way. Requests are written strictly: absent values are never sent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


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
    channel: Literal["mobile", "pos", "web", "callcenter"] | None = None
    custom: dict[str, str] | None = None


class UpsertCustomerRequest(_Request):
    """``POST /customers``: create or update, keyed on ``customerId`` (idempotent)."""

    customer_id: str = Field(alias="customerId")
    email: str | None = None
    mobile: str | None = None
    customer_attributes: CustomerAttributes | None = Field(None, alias="customerAttributes")
