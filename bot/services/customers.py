"""Customer look-ups and sign-ups: the Gameball calls behind one balance card.

An existing customer's card needs the balance, and the name and tier when Gameball has them.
The three calls run concurrently over the client's keep-alive pool, so the cashier waits for one
round trip. Only the balance is essential: a failed name or tier call leaves that line out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from bot.domain.contacts import split_name
from bot.domain.identify import NewCustomer
from bot.gameball.client import GameballClient
from bot.gameball.errors import GameballError
from bot.gameball.models import (
    CustomerAttributes,
    CustomerBalance,
    CustomerDetails,
    TierProgress,
    UpsertCustomerRequest,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class CustomerCard:
    """Everything a balance card shows about one customer."""

    customer_id: str
    balance: CustomerBalance
    name: str | None = None
    tier: TierProgress | None = None


class CustomerService:
    """Looks customers up and creates them; raises the client's typed errors."""

    def __init__(self, client: GameballClient, *, store_name: str = "") -> None:
        self._client = client
        self._store_name = store_name

    async def lookup(self, customer_id: str, *, language: str | None = None) -> CustomerCard:
        """The card of an existing customer; raises ``NotFound`` when there is none."""
        balance, details, tier = await asyncio.gather(
            self._client.get_balance(customer_id),
            self._optional(self._client.get_details(customer_id)),
            self._optional(self._client.get_tier_progress(customer_id, lang=language)),
        )
        name = details.name if isinstance(details, CustomerDetails) else None
        return CustomerCard(customer_id, balance, name, _tier_or_none(tier))

    async def upsert(
        self, customer: NewCustomer, *, language: str, deadline: float | None = None
    ) -> None:
        """Create (or update: the call is idempotent) the customer's profile."""
        await self._client.upsert_customer(
            build_upsert(customer, language=language, store_name=self._store_name),
            deadline=deadline,
        )

    async def card_after_create(self, customer: NewCustomer, *, language: str) -> CustomerCard:
        """The card of a just-created customer: the name is the one staff typed."""
        balance, tier = await asyncio.gather(
            self._client.get_balance(customer.customer_id),
            self._optional(self._client.get_tier_progress(customer.customer_id, lang=language)),
        )
        return CustomerCard(customer.customer_id, balance, customer.name, _tier_or_none(tier))

    @staticmethod
    async def _optional(call: Awaitable[T]) -> T | None:
        """Await a non-essential call; its failure only drops a line from the card."""
        try:
            return await call
        except GameballError as exc:
            log.debug("optional Gameball call failed: %s", type(exc).__name__)
            return None


def _tier_or_none(tier: TierProgress | None) -> TierProgress | None:
    """A programme without tiers answers with no current tier: show no tier then."""
    if tier is None or tier.current is None or not tier.current.name:
        return None
    return tier


def build_upsert(customer: NewCustomer, *, language: str, store_name: str) -> UpsertCustomerRequest:
    """The ``POST /customers`` body for a new customer signed up at the till."""
    first, last = split_name(customer.name) if customer.name else (None, None)
    attributes = CustomerAttributes(
        display_name=customer.name,
        first_name=first,
        last_name=last,
        email=customer.email,
        mobile=customer.mobile,
        preferred_language=language,
        channel="pos",
        custom={"store": store_name} if store_name else None,
    )
    return UpsertCustomerRequest(
        customer_id=customer.customer_id,
        mobile=customer.mobile,
        email=customer.email,
        customer_attributes=attributes,
    )
