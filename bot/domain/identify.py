"""Identification rules that do not depend on Telegram or HTTP.

Turning what staff typed into a customer ID (per ``CUSTOMER_ID_SCHEME``), and what a new
customer's details must hold (PRODUCT §4 steps 5-7).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.contacts import (
    customer_id_from_mobile,
    looks_like_mobile,
    normalise_mobile,
    validate_customer_id,
)


@dataclass(frozen=True)
class IdRules:
    """How typed text becomes a customer ID: ``scheme`` is ``"id"`` or ``"mobile"``."""

    scheme: str
    template: str
    region: str

    @property
    def by_mobile(self) -> bool:
        """Whether staff identify customers by their mobile number."""
        return self.scheme == "mobile"


@dataclass(frozen=True)
class Identifier:
    """A resolved customer ID, with the normalised mobile when it was derived from one."""

    customer_id: str
    mobile: str | None = None


def resolve_identifier(text: str, rules: IdRules, *, lenient: bool = False) -> Identifier:
    """Read what staff typed as a customer identifier; raises ``InvalidInput`` with a reason.

    With the ``mobile`` scheme the text must be a mobile number, from which the ID is derived.
    ``lenient`` (used by read-only ``/balance``) also accepts a plain customer ID there, so a
    manager can look up a profile whose ID is not phone-derived.
    """
    if not rules.by_mobile:
        return Identifier(validate_customer_id(text))
    if lenient and not looks_like_mobile(text):
        return Identifier(validate_customer_id(text))
    mobile = normalise_mobile(text, rules.region)
    return Identifier(customer_id_from_mobile(mobile, rules.template), mobile)


@dataclass(frozen=True)
class NewCustomer:
    """The details staff collect for a customer Gameball does not know yet."""

    customer_id: str
    name: str | None = None
    mobile: str | None = None
    email: str | None = None

    @property
    def has_contact(self) -> bool:
        """PRODUCT §4: at least one contact field is required."""
        return bool(self.mobile or self.email)
