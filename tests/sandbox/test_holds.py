"""The sandbox's points holds, the texted code and the scanned hash (PRODUCT §7, §8, §9)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bot.gameball.limits import TRANSACTIONS, Window
from bot.sandbox import Sandbox
from bot.sandbox.emulator import HOLD_PATH, ORDERS_PREFIX, OTP_PATH, REFUND_PATH, RESOURCES
from bot.sandbox.holds import DEMO_OTP
from tests.sandbox import NOW, customer_path, sandbox_client

HOLD = {"customerId": "demo-1001", "transactionTime": "2026-03-01T09:29:00.000Z"}
ORDER = {
    "customerId": "demo-1001",
    "orderId": "POP1-20260301-HOLD",
    "orderDate": "2026-03-01T09:29:30.000Z",
    "totalPaid": 430,
    "totalPrice": 450,
}
REFUND = {
    "customerId": "demo-1001",
    "refundTransactionId": "POP1-20260301-HOLD-R1",
    "reverseTransactionId": ORDER["orderId"],
    "transactionTime": "2026-03-01T09:30:00.000Z",
}


class Clock:
    """The sandbox's clock, moved by the test (a hold runs out after ``hold_ttl``)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    return Sandbox(clock=clock)


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with sandbox_client(sandbox) as http:
        yield http


async def hold(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    return await client.post(HOLD_PATH, json=HOLD | fields)


async def reference(client: httpx.AsyncClient, **fields: Any) -> str:
    response = await hold(client, **fields)
    assert response.status_code == 200, response.text
    return str(response.json()["holdReference"])


def one_hold(reference: str) -> str:
    return f"{HOLD_PATH}/{quote(reference, safe='')}"


async def available(client: httpx.AsyncClient, customer_id: str = "demo-1001") -> Any:
    return (await client.get(customer_path(customer_id, "balance"))).json()[
        "availablePointsBalance"
    ]


def code_of(response: httpx.Response) -> int | None:
    return response.json().get("code") if not response.is_success else None


# --- holding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "points", "money"),
    [
        ({"pointsToHold": 200}, 200, 20.0),
        ({"amountToHold": 20}, 200, 20),
        ({"amountToHold": 20.05}, 201, 20.05),  # the points it takes, rounded up
        ({"pointsToHold": 1250}, 1250, 125.0),
    ],
)
async def test_a_hold_reserves_points_or_their_worth(
    client: httpx.AsyncClient, asked: dict[str, Any], points: int, money: float
) -> None:
    response = await hold(client, **asked)

    answer = response.json()
    assert (answer["holdEquivalentPoints"], answer["holdAmount"]) == (points, money)
    assert answer["customerId"] == "demo-1001"
    assert answer["holdReference"]
    assert await available(client) == 1250 - points


async def test_held_points_cannot_be_held_again(client: httpx.AsyncClient) -> None:
    await reference(client, pointsToHold=1000)

    refused = await hold(client, pointsToHold=300)

    assert (refused.status_code, code_of(refused)) == (422, 9008)
    assert (await hold(client, pointsToHold=250)).status_code == 200


async def test_more_than_the_balance_is_insufficient_points(client: httpx.AsyncClient) -> None:
    for asked in ({"pointsToHold": 1251}, {"amountToHold": 125.01}):
        refused = await hold(client, **asked)
        assert (refused.status_code, code_of(refused)) == (422, 9008)
    assert await available(client) == 1250


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({}, 400, 3000),
        ({"pointsToHold": 10, "amountToHold": 1}, 422, 3003),
        ({"pointsToHold": 12.5}, 422, 3003),
        ({"pointsToHold": 0}, 422, 3003),
        ({"amountToHold": -1}, 422, 3003),
        ({"ruleId": "r1"}, 422, 3003),
        ({"pointsToHold": 10, "customerId": "nobody"}, 404, 7000),
        ({"pointsToHold": 10, "transactionTime": "2026-03-01T10:00:00Z"}, 422, 9007),
    ],
)
async def test_malformed_holds_are_refused(
    client: httpx.AsyncClient, fields: dict[str, Any], status: int, code: int
) -> None:
    response = await hold(client, **fields)

    assert (response.status_code, code_of(response)) == (status, code)


# --- looking up, running out, releasing ----------------------------------------------------------


async def test_a_hold_is_active_until_it_runs_out(client: httpx.AsyncClient, clock: Clock) -> None:
    held = await reference(client, pointsToHold=200)

    details = (await client.get(one_hold(held))).json()
    assert details == {
        "customerId": "demo-1001",
        "holdAmount": 20.0,
        "holdEquivalentPoints": 200,
        "state": "active",
        "dateToExpire": "2026-03-01T09:40:00.000000",  # ten minutes, UTC without a zone
    }
    clock.now += timedelta(minutes=10)

    assert (await client.get(one_hold(held))).json()["state"] == "expired"
    assert await available(client) == 1250  # Gameball gave the points back by itself
    released = await client.delete(one_hold(held))
    assert (released.status_code, code_of(released)) == (404, 9006)


async def test_how_long_a_hold_lasts_is_configurable(clock: Clock) -> None:
    sandbox = Sandbox(clock=clock, hold_ttl=timedelta(minutes=1))
    async with sandbox_client(sandbox) as http:
        held = await reference(http, pointsToHold=200)
        clock.now += timedelta(seconds=61)
        assert (await http.get(one_hold(held))).json()["state"] == "expired"
    assert [h.state for h in sandbox.holds()] == ["expired"]


async def test_a_released_hold_gives_the_points_back_once(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    held = await reference(client, pointsToHold=200)

    released = await client.delete(one_hold(held))
    again = await client.delete(one_hold(held))

    assert released.json() == {"success": True, "message": "Hold released successfully"}
    assert (again.status_code, code_of(again)) == (404, 9006)
    assert (await client.get(one_hold(held))).status_code == 404
    assert await available(client) == 1250
    assert [(h.reference, h.state) for h in sandbox.holds()] == [(held, "released")]


async def test_an_unknown_hold_is_9006(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get(one_hold("no-such-hold")),
        await client.delete(one_hold("no-such-hold")),
    ):
        assert (response.status_code, code_of(response)) == (404, 9006)


async def test_a_hold_reference_in_the_path_is_one_segment(client: httpx.AsyncClient) -> None:
    held = await reference(client, pointsToHold=10)

    escaped = await client.get(f"{HOLD_PATH}/{held}/..%2F..%2Fcustomers%2Fdemo-1001%2Fbalance")
    wrong_method = await client.post(one_hold(held), json={})

    assert escaped.status_code == 404
    assert code_of(escaped) == 4004
    assert wrong_method.status_code == 405


# --- used by an order ----------------------------------------------------------------------------


async def test_an_order_spends_its_hold_once_and_its_refund_gives_the_points_back(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    held = await reference(client, pointsToHold=200)
    order = ORDER | {"redemption": {"pointsHoldReference": held}}

    recorded = await client.post(ORDERS_PREFIX, json=order)
    assert recorded.json() == {
        "customerId": "demo-1001",
        "redeemedPoints": 200,
        "rewardedPoints": 43,  # earned on what was paid after the discount
    }
    assert await available(client) == 1250 - 200 + 43
    assert (await client.get(one_hold(held))).json()["state"] == "used"

    twice = await client.post(ORDERS_PREFIX, json=order | {"orderId": "POP1-20260301-AGAIN"})
    assert (twice.status_code, code_of(twice)) == (404, 9006)
    assert (await client.delete(one_hold(held))).status_code == 404

    refund = await client.post(REFUND_PATH, json=REFUND)
    assert refund.status_code == 200
    assert await available(client) == 1250
    assert [h.state for h in sandbox.holds()] == ["used"]


async def test_an_order_cannot_use_another_customers_or_a_lapsed_hold(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    theirs = await reference(client, customerId="demo-1002", pointsToHold=100)
    lapsed = await reference(client, pointsToHold=100)
    clock.now += timedelta(minutes=11)

    for held in (theirs, lapsed):
        order = ORDER | {"redemption": {"pointsHoldReference": held}}
        refused = await client.post(ORDERS_PREFIX, json=order)
        assert (refused.status_code, code_of(refused)) == (404, 9006)
    assert await available(client) == 1250


async def test_an_order_whose_id_exists_leaves_its_hold_alone(
    client: httpx.AsyncClient,
) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER)
    held = await reference(client, pointsToHold=200)

    duplicate = await client.post(
        ORDERS_PREFIX, json=ORDER | {"redemption": {"pointsHoldReference": held}}
    )

    assert code_of(duplicate) == 9004
    assert (await client.get(one_hold(held))).json()["state"] == "active"


# --- the scanned hash ----------------------------------------------------------------------------


async def test_a_scanned_customers_hash_is_checked(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    valid = sandbox.customer_hash("demo-1001")

    wrong = await hold(client, pointsToHold=10, hash="482913")
    anothers = await hold(client, pointsToHold=10, hash=sandbox.customer_hash("demo-1002"))
    right = await hold(client, pointsToHold=10, hash=valid)

    assert (wrong.status_code, code_of(wrong)) == (422, 3003)
    assert "hash" in wrong.json()["message"]
    assert code_of(anothers) == 3003
    assert right.status_code == 200
    assert len(valid) == 6
    assert valid.isdigit()
    assert valid != sandbox.customer_hash("demo-1002")


# --- the texted code -----------------------------------------------------------------------------


async def test_a_texted_code_authorises_one_hold_of_what_it_was_sent_for(
    client: httpx.AsyncClient,
) -> None:
    before = await hold(client, pointsToHold=200, otp=DEMO_OTP)  # nothing texted yet
    sent = await client.post(OTP_PATH, json={"customerId": "demo-1001", "points": 200})
    other_points = await hold(client, pointsToHold=300, otp=DEMO_OTP)
    wrong = await hold(client, pointsToHold=200, otp="000000")
    right = await hold(client, pointsToHold=200, otp=DEMO_OTP)
    reused = await hold(client, pointsToHold=200, otp=DEMO_OTP)

    assert sent.status_code == 200
    assert [code_of(r) for r in (before, other_points, wrong, reused)] == [3003] * 4
    assert "otp" in wrong.json()["message"]
    assert right.status_code == 200


async def test_a_code_for_an_amount_authorises_that_amount(client: httpx.AsyncClient) -> None:
    await client.post(OTP_PATH, json={"customerId": "demo-1001", "amount": 20})

    assert (await hold(client, amountToHold=20, otp=DEMO_OTP)).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"customerId": "nobody", "points": 10}, 404, 7000),
        ({"customerId": "demo-1001"}, 400, 3000),
        ({"customerId": "demo-1001", "points": 10, "amount": 1}, 422, 3003),
        ({"points": 10}, 400, 3000),
    ],
)
async def test_malformed_code_requests_are_refused(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: int
) -> None:
    response = await client.post(OTP_PATH, json=body)

    assert (response.status_code, code_of(response)) == (status, code)


# --- recording, faults, limits -------------------------------------------------------------------


async def test_hold_requests_are_recorded_with_their_reference(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    held = await reference(client, pointsToHold=10)
    await client.get(one_hold(held))
    await client.delete(one_hold(held))

    seen = [(r.method, r.endpoint, r.customer_id, r.hold_reference) for r in sandbox.requests]
    assert seen == [
        ("POST", "hold", "demo-1001", None),
        ("GET", "hold-details", None, held),
        ("DELETE", "release-hold", None, held),
    ]


def test_holds_and_codes_draw_on_the_transactions_resource() -> None:
    for endpoint in ("hold", "hold-details", "release-hold", "otp", "refund"):
        assert RESOURCES[endpoint] == TRANSACTIONS


async def test_hold_limits_are_enforced_with_the_other_transactions() -> None:
    sandbox = Sandbox(rate_limits={TRANSACTIONS: (Window(2, 1.0),)})
    async with sandbox_client(sandbox) as http:
        statuses = [(await hold(http, pointsToHold=1)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_faults_can_target_the_hold_endpoints(sandbox: Sandbox) -> None:
    for endpoint in ("hold", "hold-details", "release-hold", "otp"):
        sandbox.fail_next(1, 503, endpoint=endpoint)
