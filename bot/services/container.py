"""Which services the bot has and how they are built: the composition root below the chat layer.

``Services`` is created once by ``build_application``. The Gameball client is opened in
``post_init`` and closed in ``post_shutdown``, so a handler that runs before start-up finished
gets a clear error instead of a half-built client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from bot.config import CustomerIdScheme, Settings
from bot.domain.identify import IdRules
from bot.gameball.client import GameballClient
from bot.masking import mask_digits_in
from bot.services.codes import CodeReader
from bot.services.customers import CustomerService
from bot.services.duplicates import DuplicateFinder
from bot.services.gameball import gameball_client
from bot.services.holds import HoldService
from bot.services.orders import OrderService
from bot.services.scans import ScanMemory
from bot.services.stores import StoreService
from bot.storage import Database


@dataclass
class Services:
    """Long-lived collaborators of the handlers."""

    settings: Settings
    database: Database
    gameball_transport: httpx.AsyncBaseTransport | None = None
    last_credentials_alert: float | None = None
    code_reader: CodeReader = field(default_factory=CodeReader)
    scans: ScanMemory = field(init=False)
    stores: StoreService = field(init=False)
    _client: GameballClient | None = field(default=None, repr=False)
    _customers: CustomerService | None = field(default=None, repr=False)
    _orders: OrderService | None = field(default=None, repr=False)
    _holds: HoldService | None = field(default=None, repr=False)
    _duplicates: DuplicateFinder | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.scans = ScanMemory(self.settings.conversation_timeout)
        self.stores = StoreService(self.database.stores, self.settings.store)

    @property
    def rules(self) -> IdRules:
        """How staff input becomes a customer ID."""
        s = self.settings
        return IdRules(s.customer_id_scheme.value, s.customer_id_template, s.default_region)

    @property
    def customers(self) -> CustomerService:
        """The customer service; only available between ``open`` and ``close``."""
        return _opened(self._customers)

    @property
    def orders(self) -> OrderService:
        """The order service; only available between ``open`` and ``close``."""
        return _opened(self._orders)

    @property
    def holds(self) -> HoldService:
        """The points holds of redemptions; only available between ``open`` and ``close``."""
        return _opened(self._holds)

    @property
    def duplicates(self) -> DuplicateFinder:
        """Existing profiles a sign-up may duplicate; only available between ``open`` and
        ``close``."""
        return _opened(self._duplicates)

    def shown_customer_id(self, customer_id: str) -> str:
        """The customer ID as the audit log and a faded card show it: never a phone number.

        Under ``CUSTOMER_ID_SCHEME=mobile`` the customer ID is the phone number, so its digits
        are masked, for every writer alike.
        """
        if self.settings.customer_id_scheme is CustomerIdScheme.MOBILE:
            return mask_digits_in(customer_id)
        return customer_id

    def record_audit(
        self,
        *,
        actor_id: int,
        actor_name: str | None,
        action: str,
        result: str,
        customer_id: str | None = None,
        detail: str | None = None,
        store: str | None = None,
    ) -> None:
        """Write one audit entry, never with a phone number in clear, naming ``store`` (by
        default the one its actor works at now)."""
        self.database.audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action=action,
            result=result,
            customer_id=self.shown_customer_id(customer_id) if customer_id else None,
            store=store or self.stores.of(actor_id).store_name or None,
            detail=detail,
        )

    async def open(self) -> None:
        """Open the Gameball client (one keep-alive pool for the whole process)."""
        if self._client is not None:
            return
        self._client = gameball_client(self.settings, self.gameball_transport)
        self._customers = CustomerService(self._client)
        clock = self.database.now
        self._holds = HoldService(
            self._client,
            self.database.holds,
            clock=clock,
            keep_for=self.settings.conversation_timeout,
        )
        self._orders = OrderService(self._client, self.database.orders, self._holds, clock=clock)
        self._duplicates = DuplicateFinder(self._customers, self.database.contacts, self.rules)

    async def close(self) -> None:
        """Close the Gameball client and the database."""
        if self._client is not None:
            await self._client.aclose()
            self._client = self._customers = self._orders = self._holds = None
            self._duplicates = None
        self.database.close()


_Service = TypeVar("_Service")


def _opened(service: _Service | None) -> _Service:
    if service is None:
        raise RuntimeError("services are not open yet (post_init has not run)")
    return service
