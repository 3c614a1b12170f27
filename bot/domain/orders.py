"""The identity of an order the bot records, fixed before anything is sent (PRODUCT §8).

Gameball keys an order on the merchant's ``orderId`` and answers a second order with the same ID
as a duplicate (code 9004). So the ID is chosen once, when the cashier starts the purchase, and
every later attempt (a double tap, a retry, the queue after an outage, a restart mid-send) sends
that same ID: the sale can be recorded only once. The ID must also never collide with another
till's, another day's or another process's, and a person reading Gameball's dashboard should
see where and when it was made: ``POP1-B2-20261126-7K3Q9XJ2DM`` is store, branch, UTC date and
50 random bits.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from bot.domain.contacts import InvalidInput

#: Crockford's base 32: no I, L, O or U, so an ID read aloud or retyped is not misread.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_LENGTH = 10
#: Each of the store and branch IDs contributes at most this many characters to the prefix.
_PART_LENGTH = 12
#: Anything but letters and digits is dropped from the prefix (IDs travel in URL paths).
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]+")
#: The prefix when neither ``STORE_ID`` nor ``BRANCH_ID`` is set: "recorded by the Telegram till".
DEFAULT_PREFIX = "TG"


#: Gameball documents no length for merchant and branch fields; customer IDs get 100.
MAX_STORE_FIELD = 100
STORE_FIELD_TOO_LONG = "store_field_too_long"
STORE_FIELD_INVISIBLE = "store_field_invisible"


def store_field(value: str) -> str:
    """A store's name or Gameball ID, trimmed, as the settings and ``/store add`` accept them.

    It reaches Gameball's dashboard and every cashier's screen, so control and invisible
    characters are refused rather than passed on; raises ``InvalidInput`` with a reason.
    """
    text = value.strip()
    if len(text) > MAX_STORE_FIELD:
        raise InvalidInput(STORE_FIELD_TOO_LONG)
    if any(unicodedata.category(character) in ("Cc", "Cf") for character in text):
        raise InvalidInput(STORE_FIELD_INVISIBLE)
    return text


@dataclass(frozen=True)
class Store:
    """Where a sale happens: ``STORE_ID``/``STORE_NAME`` and ``BRANCH_ID``/``BRANCH_NAME``."""

    store_id: str = ""
    store_name: str = ""
    branch_id: str = ""
    branch_name: str = ""

    @property
    def label(self) -> str:
        """How ``/orders`` names the store: store and branch, by name or else by ID."""
        parts = (self.store_name or self.store_id, self.branch_name or self.branch_id)
        return " · ".join(part for part in parts if part)

    @property
    def order_prefix(self) -> str:
        """``POP1-B2`` from the store and branch IDs, reduced to letters and digits."""
        parts = (
            _NOT_ALPHANUMERIC.sub("", p)[:_PART_LENGTH] for p in (self.store_id, self.branch_id)
        )
        return "-".join(part for part in parts if part) or DEFAULT_PREFIX


@dataclass(frozen=True)
class Redemption:
    """Points a purchase is partly paid with: the hold Gameball placed, and what it takes off."""

    hold_reference: str
    points: float
    discount: Decimal


@dataclass(frozen=True)
class PointsHold:
    """Points Gameball holds for a purchase being drafted, until it is recorded or released.

    ``discount`` is the money the points cover (Gameball's ``holdAmount``); ``expires_at`` is
    when Gameball releases them by itself, when it said.
    """

    reference: str
    customer_id: str
    order_id: str  # the purchase the points are held for
    points: float
    discount: Decimal
    currency: str | None
    expires_at: datetime | None

    @property
    def redemption(self) -> Redemption:
        """What the purchase that uses the hold redeems."""
        return Redemption(self.reference, self.points, self.discount)


@dataclass(frozen=True)
class Sale:
    """A purchase staff confirmed: what Gameball must record, fixed before the first send.

    ``amount`` is the price before any discount (Gameball's ``totalPrice``); :attr:`paid` is
    what the customer paid after the points (``totalPaid``, on which points are earned).
    """

    order_id: str
    customer_id: str
    amount: Decimal
    currency: str | None
    store: Store
    order_date: datetime
    redemption: Redemption | None = None

    @property
    def paid(self) -> Decimal:
        """The price less what the redeemed points took off it."""
        return self.amount - (self.redemption.discount if self.redemption else 0)


def _random_part(length: int = _RANDOM_LENGTH) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_order_id(store: Store, now: datetime) -> str:
    """A fresh ``orderId``: at most 45 characters, well inside what Gameball stores."""
    return f"{store.order_prefix}-{now.astimezone(UTC):%Y%m%d}-{_random_part()}"


def new_refund_id(order_id: str) -> str:
    """A fresh ``refundTransactionId`` for reversing ``order_id``, recognisably its refund."""
    return f"{order_id}-R{_random_part(6)}"


def gameball_time(moment: datetime) -> str:
    """UTC with milliseconds, as Gameball's ``orderDate``/``transactionTime`` examples show.

    Milliseconds matter: Gameball refuses two transactions of a customer at the same time
    (code 9003), which whole seconds would make likely at a busy till.
    """
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def needs_manager(amount: Decimal, max_order_amount: Decimal) -> bool:
    """Above ``MAX_ORDER_AMOUNT`` only a manager may record the purchase."""
    return amount > max_order_amount
