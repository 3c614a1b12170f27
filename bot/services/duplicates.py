"""Existing profiles a sign-up may duplicate, found before the new one is made (issue 18).

Walk-in sign-ups are where duplicates are born. Gameball cannot search by contact (every
customer endpoint is keyed on the ID), so:

- with ``CUSTOMER_ID_SCHEME=mobile`` the numbers one usual slip away from the typed one
  (``bot.domain.variants``) are looked up: at most :data:`MAX_SIMILAR_LOOKUPS` balance reads per
  sign-up, each paced like any other, then one name read for each profile found (at most
  :data:`MAX_MATCHES`, and names are remembered as for cards);
- with ``CUSTOMER_ID_SCHEME=id`` the bot remembers, as keyed digests
  (``bot.storage.contacts``), the mobile and email of every profile it signed up, and points out
  a contact it signed up before under another ID. No Gameball request.

Staff decide: a match is offered, never forced.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.domain.contacts import customer_id_from_mobile
from bot.domain.identify import IdRules, NewCustomer
from bot.domain.variants import mobile_variants
from bot.gameball.errors import GameballError, NotFound
from bot.services.customers import CustomerService
from bot.storage import ContactIndexRepo

log = logging.getLogger(__name__)

#: Balance reads a sign-up may spend on the variants of the typed mobile.
MAX_SIMILAR_LOOKUPS = 10
#: Existing profiles offered at most (each costs a name read, and staff read the buttons).
MAX_MATCHES = 3


@dataclass(frozen=True)
class Match:
    """An existing profile the new one may duplicate, and why (``"number"`` for a near mobile,
    ``"mobile"`` or ``"email"`` for a contact signed up before)."""

    customer_id: str
    via: str
    name: str | None = None
    mobile: str | None = None


class DuplicateFinder:
    """Finds existing profiles close to a sign-up, and remembers the sign-ups it sees."""

    def __init__(
        self, customers: CustomerService, contacts: ContactIndexRepo, rules: IdRules
    ) -> None:
        self._customers = customers
        self._contacts = contacts
        self._rules = rules

    async def similar(self, mobile: str) -> list[Match]:
        """Existing profiles of the numbers one slip away from ``mobile`` (scheme ``mobile``)."""
        numbers = mobile_variants(mobile, self._rules.region)[:MAX_SIMILAR_LOOKUPS]
        variants = [(customer_id_from_mobile(n, self._rules.template), n) for n in numbers]
        found = await asyncio.gather(*(self._exists(customer_id) for customer_id, _ in variants))
        hits = [variant for variant, exists in zip(variants, found, strict=True) if exists]
        hits = hits[:MAX_MATCHES]
        names = await asyncio.gather(
            *(self._customers.name(customer_id) for customer_id, _ in hits)
        )
        return [
            Match(customer_id, "number", name, number)
            for (customer_id, number), name in zip(hits, names, strict=True)
        ]

    async def _exists(self, customer_id: str) -> bool:
        """A normal, paced balance read; a failure counts as "not found" (it only costs a hint)."""
        try:
            await self._customers.balance(customer_id)
        except NotFound:
            return False
        except GameballError as exc:
            log.info("a similar number could not be checked: %s", type(exc).__name__)
            return False
        return True

    def signed_up_before(self, customer: NewCustomer) -> list[Match]:
        """Profiles this bot signed the new customer's mobile or email up under, by another ID."""
        matches: dict[str, Match] = {}
        for via, contact in _contacts_of(customer):
            for customer_id in self._contacts.customers_with(contact):
                if customer_id != customer.customer_id:
                    matches.setdefault(customer_id, Match(customer_id, via))
        return list(matches.values())[:MAX_MATCHES]

    def remember(self, customer: NewCustomer) -> None:
        """Keep the keyed digests of a created profile's contacts (scheme ``id`` only: under
        ``mobile`` the number is the ID, looked up directly)."""
        contacts = [contact for _, contact in _contacts_of(customer)]
        if contacts and not self._rules.by_mobile:
            self._contacts.remember(contacts, customer.customer_id)


def _contacts_of(customer: NewCustomer) -> list[tuple[str, str]]:
    """The customer's contacts as digested: an email in lower case (people type it in any)."""
    contacts = []
    if customer.mobile:
        contacts.append(("mobile", "mobile:" + customer.mobile))
    if customer.email:
        contacts.append(("email", "email:" + customer.email.lower()))
    return contacts
