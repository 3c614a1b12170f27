"""The calls behind a balance card: essentials first, nothing asked twice (PRODUCT §10)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.domain.identify import NewCustomer
from bot.gameball import GameballClient
from bot.gameball.limits import CUSTOMER_READS, CUSTOMER_WRITES, DOCUMENTED, Pacers, Window
from bot.sandbox import Sandbox
from bot.services.customers import REMEMBER_SECONDS, CustomerService

DEMOS = ("demo-1001", "demo-1002", "demo-1003", "demo-1004")


class Clock:
    """A monotonic clock the test moves by hand (for what is remembered, and for how long)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


ServiceFactory = Callable[..., CustomerService]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(sandbox: Sandbox, clock: Clock) -> AsyncIterator[ServiceFactory]:
    clients: list[GameballClient] = []

    def build(
        reads: tuple[Window, ...] = DOCUMENTED[CUSTOMER_READS], **options: Any
    ) -> CustomerService:
        limits = {CUSTOMER_READS: reads, CUSTOMER_WRITES: DOCUMENTED[CUSTOMER_WRITES]}
        sandbox.set_rate_limits(limits)
        client = GameballClient(
            "sandbox", "sandbox", transport=sandbox.transport(), pacers=Pacers(limits)
        )
        clients.append(client)
        return CustomerService(client, timer=clock, **options)

    yield build
    for client in clients:
        await client.aclose()


def endpoints(sandbox: Sandbox) -> list[str | None]:
    return [request.endpoint for request in sandbox.requests]


async def test_a_first_look_up_asks_for_balance_name_and_tier(
    service: ServiceFactory, sandbox: Sandbox
) -> None:
    card = await service().lookup("demo-1001")

    assert (card.name, card.tier is not None) == ("Omar Hassan", True)
    assert sorted(endpoints(sandbox)) == ["balance", "details", "tier-progress"]


async def test_a_repeat_look_up_costs_one_request_and_shows_a_fresh_balance(
    service: ServiceFactory, sandbox: Sandbox
) -> None:
    customers = service()
    await customers.lookup("demo-1001")
    sandbox.credit("demo-1001", 50)
    sandbox.requests.clear()

    card = await customers.lookup("demo-1001")

    assert endpoints(sandbox) == ["balance"]
    assert card.balance.available_points_balance == 1300
    assert (card.name, card.tier is not None) == ("Omar Hassan", True)


async def test_what_was_learned_is_asked_again_once_it_is_old(
    service: ServiceFactory, sandbox: Sandbox, clock: Clock
) -> None:
    customers = service()
    await customers.lookup("demo-1001")
    sandbox.requests.clear()
    clock.now += REMEMBER_SECONDS + 1

    await customers.lookup("demo-1001")

    assert sorted(endpoints(sandbox)) == ["balance", "details", "tier-progress"]


async def test_a_signed_up_customers_name_is_not_asked_for(
    service: ServiceFactory, sandbox: Sandbox
) -> None:
    customers = service()
    walk_in = NewCustomer("walk-in-9", name="Salma Nabil", mobile="+201005551212")
    await customers.upsert(walk_in, language="en", store_name="")
    await customers.card_after_create(walk_in, language="en")
    sandbox.requests.clear()

    card = await customers.lookup("walk-in-9", language="en")

    assert card.name == "Salma Nabil"
    assert endpoints(sandbox) == ["balance"]


async def test_in_a_rush_the_tier_gives_way_so_every_card_comes_at_once(
    service: ServiceFactory, sandbox: Sandbox
) -> None:
    """Ten reads a second: a lone cashier's whole card (three), then three cashiers at once,
    whose essentials (six) fit in what is left; no tier may push one into the next second."""
    customers = service(reads=(Window(10, 1.0), Window(100, 30.0)))
    alone = await customers.lookup(DEMOS[0])
    started = asyncio.get_running_loop().time()

    rush = await asyncio.gather(*(customers.lookup(customer) for customer in DEMOS[1:]))

    elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 0.5  # nobody waited for the next second
    assert alone.tier is not None
    assert all(card.name and card.tier is None for card in rush)
    assert sandbox.rate_limited == 0
    assert endpoints(sandbox).count("tier-progress") == 1


async def test_a_quiet_till_asks_for_the_tier_at_once(
    service: ServiceFactory, sandbox: Sandbox
) -> None:
    """Nobody else is looking up: nothing to let go first (an hour's settling would show)."""
    customers = service(settle_seconds=3600)

    card = await asyncio.wait_for(customers.lookup("demo-1001"), timeout=10)

    assert card.tier is not None
    assert sandbox.rate_limited == 0


async def test_with_room_for_a_whole_rush_a_busy_till_asks_for_the_tier_at_once(
    service: ServiceFactory, sandbox: Sandbox
) -> None:
    """An account with a large budget: no cashier's essentials can be pushed out by a tier."""
    customers = service(reads=(Window(1000, 1.0), Window(12000, 30.0)), settle_seconds=3600)
    await customers.lookup(DEMOS[0])  # the till is busy from now on

    card = await asyncio.wait_for(customers.lookup(DEMOS[1]), timeout=10)

    assert card.tier is not None
