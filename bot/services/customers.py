"""Customer look-ups and sign-ups: the Gameball calls behind one balance card.

A card needs the balance and the name (the essentials), and shows the tier when it can. The
calls run concurrently over the client's keep-alive pool, so the cashier waits for one round
trip. Gameball's rate limits are shared by every cashier and the shop's website, so the budget
goes to essentials first: the tier is asked for only when there is room to spare (a rush of
cashiers gets cards without it rather than waiting a second for it), and what was learned about a
customer minutes ago (name, tier; they rarely change) is reused, so a repeat look-up or a
Refresh costs one request: a fresh balance. A failed name or tier call only leaves a line out.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

from bot.domain.contacts import split_name
from bot.domain.identify import NewCustomer
from bot.gameball.client import GameballClient
from bot.gameball.errors import GameballError
from bot.gameball.limits import CUSTOMER_READS
from bot.gameball.models import (
    CustomerAttributes,
    CustomerBalance,
    TierProgress,
    UpsertCustomerRequest,
)

log = logging.getLogger(__name__)

#: How long a customer's name and tier are reused.
REMEMBER_SECONDS = 600.0
#: How many customers are remembered at most (a busy event day, with room to spare).
REMEMBERED_CUSTOMERS = 5_000
#: How long a look-up lets the look-ups that arrived with it (one batch of Telegram updates reaches
#: its handlers within a few milliseconds) ask for their essentials before it asks for a tier.
SETTLE_SECONDS = 0.03
#: A till is quiet when no other look-up started this long ago or less: the tier is asked for at
#: once then, so a lone cashier's card costs one round trip, not one plus the settling time.
QUIET_SECONDS = 1.0
#: The essential reads of the most look-ups that can arrive at once: a getUpdates answer holds
#: at most 100 updates, each a balance and a name. With that much room left in every window,
#: nobody's essentials can be pushed out, and the tier is asked for at once.
RUSH_READS = 2 * 100


@dataclass(frozen=True)
class CustomerCard:
    """Everything a balance card shows about one customer."""

    customer_id: str
    balance: CustomerBalance
    name: str | None = None
    tier: TierProgress | None = None


@dataclass(frozen=True)
class Programme:
    """What every balance tells about the programme itself, for screens without a balance.

    The purchase flow shows money in the programme's currency and points under its name before
    it has fetched anything for that customer.
    """

    currency: str | None = None
    points_name: str | None = None


class CustomerService:
    """Looks customers up and creates them; raises the client's typed errors."""

    def __init__(
        self,
        client: GameballClient,
        *,
        remember_seconds: float = REMEMBER_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._settle_seconds = settle_seconds
        self._timer = timer
        self._last_look_up = -math.inf
        self._names: TTLCache[str, str | None] = TTLCache(
            REMEMBERED_CUSTOMERS, remember_seconds, timer
        )
        self._tiers: TTLCache[tuple[str, str | None], TierProgress | None] = TTLCache(
            REMEMBERED_CUSTOMERS, remember_seconds, timer
        )
        self.programme = Programme()

    async def lookup(self, customer_id: str, *, language: str | None = None) -> CustomerCard:
        """The card of an existing customer; raises ``NotFound`` when there is none."""
        balance, name, tier = await asyncio.gather(
            self.balance(customer_id),
            self.name(customer_id),
            self._tier(customer_id, language),
        )
        return CustomerCard(customer_id, balance, name, tier)

    async def upsert(
        self,
        customer: NewCustomer,
        *,
        language: str,
        store_name: str,
        deadline: float | None = None,
    ) -> None:
        """Create (or update: the call is idempotent) the profile, signed up at ``store_name``."""
        await self._client.upsert_customer(
            build_upsert(customer, language=language, store_name=store_name),
            deadline=deadline,
        )
        self._names[customer.customer_id] = customer.name

    async def card_after_create(self, customer: NewCustomer, *, language: str) -> CustomerCard:
        """The card of a just-created customer: the name is the one staff typed."""
        balance, tier = await asyncio.gather(
            self.balance(customer.customer_id),
            self._tier(customer.customer_id, language),
        )
        return CustomerCard(customer.customer_id, balance, customer.name, tier)

    async def balance(self, customer_id: str) -> CustomerBalance:
        """A fresh balance; what it says about the programme is remembered."""
        balance = await self._client.get_balance(customer_id)
        self.programme = Programme(
            balance.currency or self.programme.currency,
            balance.points_name or self.programme.points_name,
        )
        return balance

    async def name(self, customer_id: str) -> str | None:
        """The customer's name: remembered, or asked for (essential, so it waits its turn)."""
        if customer_id in self._names:
            return self._names[customer_id]
        try:
            details = await self._client.get_details(customer_id)
        except GameballError as exc:
            log.debug("no name for the card: %s", type(exc).__name__)
            return None
        self._names[customer_id] = details.name
        return details.name

    async def _tier(self, customer_id: str, language: str | None) -> TierProgress | None:
        """The tier line: remembered, or asked for only if Gameball's budget has room to spare."""
        key = (customer_id, language)
        if key in self._tiers:
            return self._tiers[key]
        now = self._timer()
        busy = now - self._last_look_up < QUIET_SECONDS
        self._last_look_up = now
        if busy and not self._client.has_room(CUSTOMER_READS, RUSH_READS):
            # Essentials first: this card's, and those of the look-ups that came with it.
            await asyncio.sleep(self._settle_seconds)
        try:
            tier = await self._client.get_tier_progress(customer_id, lang=language, optional=True)
        except GameballError as exc:
            log.debug("no tier for the card: %s", type(exc).__name__)
            return None
        self._tiers[key] = shown = _tier_or_none(tier)
        return shown


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
