"""Pacing under Gameball's rate limits (PRODUCT §10), in real time on shortened windows.

Gameball's windows are a second and 30 seconds; here they are a few hundred milliseconds, so a
burst that must wait for the next window takes well under a second of test time. The sandbox
counts requests as Gameball would, so "never a 429" is measured on its own counters.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bot.gameball import GameballClient
from bot.gameball.limits import (
    CUSTOMER_READS,
    CUSTOMER_WRITES,
    DOCUMENTED,
    Pacer,
    Pacers,
    Window,
    account_limits,
)
from bot.sandbox import Sandbox

SHORT = (Window(5, 0.2), Window(8, 0.6))


def most_within(times: list[float], seconds: float) -> int:
    """The largest number of ``times`` inside any stretch of ``seconds``."""
    ordered = sorted(times)
    return max(
        sum(1 for later in ordered[i:] if later - start < seconds)
        for i, start in enumerate(ordered)
    )


async def admitted_times(pacer: Pacer, count: int) -> list[float]:
    """``count`` callers at once; when each was let through."""
    times: list[float] = []

    async def caller() -> None:
        await pacer.acquire()
        times.append(time.monotonic())

    await asyncio.gather(*(caller() for _ in range(count)))
    return times


async def test_a_burst_never_exceeds_either_window() -> None:
    pacer = Pacer(SHORT, margin=0.01)
    started = time.monotonic()

    times = await admitted_times(pacer, 14)

    assert most_within(times, 0.2) <= 5
    assert most_within(times, 0.6) <= 8
    assert max(times) - started >= 0.6  # the ninth had to wait for the longer window


async def test_callers_are_let_through_in_the_order_they_came() -> None:
    pacer = Pacer([Window(2, 0.1)], margin=0.0)
    order: list[int] = []

    async def caller(number: int) -> None:
        await pacer.acquire()
        order.append(number)

    await asyncio.gather(*(caller(number) for number in range(7)))

    assert order == list(range(7))


async def test_a_spare_request_is_refused_while_anyone_waits() -> None:
    pacer = Pacer([Window(2, 0.2)], margin=0.0)
    await pacer.acquire()
    await pacer.acquire()
    waiting = asyncio.ensure_future(pacer.acquire())
    await asyncio.sleep(0.01)

    assert pacer.busy
    assert not pacer.try_acquire(spare=0)
    await waiting
    await asyncio.sleep(0.25)
    assert pacer.try_acquire(spare=0)


@pytest.mark.parametrize(("spare", "granted"), [(0.4, True), (0.5, False)])
async def test_a_spare_request_leaves_room_for_the_next_ones(spare: float, granted: bool) -> None:
    pacer = Pacer([Window(10, 60.0)])
    for _ in range(5):
        await pacer.acquire()

    assert pacer.try_acquire(spare=spare) is granted


@pytest.mark.parametrize(("count", "room"), [(4, True), (5, True), (6, False)])
async def test_room_counts_what_every_window_can_still_take(count: int, room: bool) -> None:
    pacer = Pacer([Window(8, 60.0), Window(10, 120.0)])
    for _ in range(3):
        await pacer.acquire()

    assert pacer.has_room(count) is room


async def test_a_hold_after_a_429_keeps_every_caller_waiting() -> None:
    pacer = Pacer([Window(100, 1.0)])
    pacer.hold_off(0.2)
    started = time.monotonic()

    times = await admitted_times(pacer, 3)

    assert min(times) - started >= 0.19


def test_the_documented_limits_are_gameballs_published_ones() -> None:
    assert DOCUMENTED[CUSTOMER_READS] == (Window(100, 1.0), Window(1200, 30.0))
    assert DOCUMENTED[CUSTOMER_WRITES] == (Window(30, 1.0), Window(360, 30.0))


def test_an_account_with_other_limits_scales_every_resource() -> None:
    limits = account_limits(50)

    assert limits[CUSTOMER_READS] == (Window(50, 1.0), Window(600, 30.0))
    assert limits[CUSTOMER_WRITES] == (Window(15, 1.0), Window(180, 30.0))


async def test_the_sandbox_answers_429_beyond_a_window() -> None:
    sandbox = Sandbox(rate_limits={CUSTOMER_READS: [Window(2, 60.0)]})
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://gb") as http:
        path = "/api/v4.0/integrations/customers/demo-1001/balance"
        headers = {"APIKey": "sandbox", "SecretKey": "sandbox"}
        statuses = [(await http.get(path, headers=headers)).status_code for _ in range(3)]
        refused = await http.get(path, headers=headers)

    assert statuses == [200, 200, 429]
    assert refused.json()["code"] == 4290
    assert "Retry-After" not in refused.headers  # Gameball documents none
    assert sandbox.rate_limited == 2


async def test_a_rush_through_the_client_never_draws_a_429() -> None:
    """Both windows held, counted by the sandbox as Gameball would count them."""
    windows = (Window(6, 0.3), Window(15, 1.2))
    sandbox = Sandbox(rate_limits={CUSTOMER_READS: windows})
    pacers = Pacers({CUSTOMER_READS: windows})
    async with GameballClient(
        "sandbox", "sandbox", transport=sandbox.transport(), pacers=pacers
    ) as client:
        balances = await asyncio.gather(*(client.get_balance("demo-1001") for _ in range(20)))

    assert len(balances) == 20
    assert sandbox.rate_limited == 0
    assert sandbox.busiest(CUSTOMER_READS, 0.3) <= 6
    assert sandbox.busiest(CUSTOMER_READS, 1.2) <= 15
    assert sandbox.busiest(CUSTOMER_READS, 1.2) >= 12  # the windows were really used


@pytest.mark.parametrize("reads_per_second", [1, 2, 7, 50, 333, 10_000])
def test_every_rate_an_operator_may_configure_makes_valid_pacers(reads_per_second: int) -> None:
    """GAMEBALL_LIMITS accepts 1 to 10,000 reads a second: each scales to windows the limiter
    takes (a longer window must allow more requests, and no faster a pace)."""
    pacers = Pacers(account_limits(reads_per_second))

    assert pacers[CUSTOMER_READS].has_room(1)
