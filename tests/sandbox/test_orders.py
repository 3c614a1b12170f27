"""The sandbox's orders, reward previews, order transactions and refunds (PRODUCT §7, §8)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.gameball.limits import ORDERS, TRANSACTIONS, Window
from bot.sandbox import Sandbox
from bot.sandbox.emulator import ORDERS_PREFIX, REFUND_PATH, RESOURCES, REWARD_PREVIEW_PATH
from tests.sandbox import AUTH, customer_path, fixed_clock

ORDER = {
    "customerId": "demo-1001",
    "orderId": "POP1-20260301-AAAA",
    "orderDate": "2026-03-01T09:00:00.123Z",
    "totalPaid": 455.5,
    "totalPrice": 455.5,
    "channel": "pos",
}
REFUND = {
    "customerId": "demo-1001",
    "refundTransactionId": "POP1-20260301-AAAA-R1",
    "reverseTransactionId": "POP1-20260301-AAAA",
    "transactionTime": "2026-03-01T09:30:00.000Z",
}


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=fixed_clock)


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH
    ) as http:
        yield http


async def available(client: httpx.AsyncClient, customer_id: str = "demo-1001") -> Any:
    response = await client.get(customer_path(customer_id, "balance"))
    return response.json()["availablePointsBalance"]


def code_of(response: httpx.Response) -> int | None:
    return response.json().get("code") if not response.is_success else None


async def test_an_order_earns_one_point_per_ten_paid_and_the_preview_says_so(
    client: httpx.AsyncClient,
) -> None:
    preview = await client.post(
        REWARD_PREVIEW_PATH, json={"customerId": "demo-1001", "totalPaid": 455.5}
    )
    order = await client.post(ORDERS_PREFIX, json=ORDER)

    assert preview.json()["totalPoints"] == 45
    assert order.json()["rewardedPoints"] == 45
    assert await available(client) == 1250 + 45


async def test_a_preview_records_nothing(client: httpx.AsyncClient) -> None:
    await client.post(REWARD_PREVIEW_PATH, json={"customerId": "demo-1001", "totalPaid": 1000})

    assert await available(client) == 1250
    assert code_of(await client.get(f"{ORDERS_PREFIX}/{ORDER['orderId']}/transactions")) == 9002


async def test_the_earn_rule_is_configurable() -> None:
    sandbox = Sandbox(earn_every=1.0, clock=fixed_clock)
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH
    ) as http:
        answer = (await http.post(ORDERS_PREFIX, json=ORDER)).json()
    assert answer["rewardedPoints"] == 455


async def test_an_order_id_is_recorded_once(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    first = await client.post(ORDERS_PREFIX, json=ORDER)
    again = await client.post(ORDERS_PREFIX, json=ORDER | {"totalPaid": 999})

    assert first.status_code == 200
    assert (again.status_code, code_of(again)) == (422, 9004)
    assert await available(client) == 1250 + 45


async def test_an_order_moves_the_customer_toward_the_next_tier(client: httpx.AsyncClient) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER | {"totalPaid": 300})

    tier = (await client.get(customer_path("demo-1001", "tier-progress"))).json()
    assert tier["current"]["name"] == "Gold"  # 4,750 spent before, 5,050 now


async def test_an_order_for_an_unknown_customer_creates_them(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER | {"customerId": "walk-in-7"})

    stored = sandbox.customer("walk-in-7")
    assert stored is not None
    assert stored["points"] == 100 + 45  # the welcome bonus, then the order


async def test_a_refund_takes_the_points_back_once(client: httpx.AsyncClient) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER)

    refund = await client.post(REFUND_PATH, json=REFUND)
    again = await client.post(REFUND_PATH, json=REFUND | {"refundTransactionId": "other"})

    assert refund.json()["refundEquivalentPoints"] == 45
    assert refund.json()["refundAmount"] == 455.5
    assert (again.status_code, code_of(again)) == (422, 9001)
    assert await available(client) == 1250


async def test_a_refund_may_leave_a_negative_balance(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER | {"customerId": "demo-1004", "totalPaid": 500})
    sandbox.credit("demo-1004", -40)  # 40 of the 50 points it earned spent elsewhere

    await client.post(REFUND_PATH, json=REFUND | {"customerId": "demo-1004"})

    assert await available(client, "demo-1004") == -40


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"reverseTransactionId": "never-sent"}, 404, 9005),
        ({"customerId": "demo-1002"}, 404, 9005),  # another customer's order
        ({"refundAmount": 100}, 422, 3003),  # the sandbox reverses whole orders only
        ({"merchant": {"uniqueId": "POP1", "branch": {"name": "Gate 2"}}}, 400, 3000),
        ({"transactionTime": "2026-03-02T09:00:00Z"}, 422, 9007),  # in the future
        ({"transactionTime": "yesterday"}, 422, 3003),
        ({"transactionTime": "2026-03-01T09:00:00"}, 422, 3003),  # no time zone
    ],
)
async def test_refunds_are_refused_as_gameball_documents(
    client: httpx.AsyncClient, change: dict[str, Any], status: int, code: int
) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER)

    refused = await client.post(REFUND_PATH, json=REFUND | change)

    assert (refused.status_code, code_of(refused)) == (status, code)
    assert await available(client) == 1250 + 45


async def test_a_used_refund_id_cannot_reverse_another_order(client: httpx.AsyncClient) -> None:
    other = ORDER | {"orderId": "POP1-20260301-BBBB"}
    await client.post(ORDERS_PREFIX, json=ORDER)
    await client.post(ORDERS_PREFIX, json=other)
    await client.post(REFUND_PATH, json=REFUND)

    reused = await client.post(
        REFUND_PATH, json=REFUND | {"reverseTransactionId": other["orderId"]}
    )

    assert (reused.status_code, code_of(reused)) == (422, 9004)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"orderId": None}, 400, 3000),
        ({"totalPaid": "450"}, 422, 3003),
        ({"totalPaid": -1}, 422, 3003),
        ({"channel": "fax"}, 422, 3003),
        ({"merchant": {"uniqueId": 7}}, 422, 3003),
        ({"orderDate": "2026-03-01T10:00:00Z"}, 422, 9007),  # half an hour ahead
    ],
)
async def test_malformed_orders_are_refused(
    client: httpx.AsyncClient, change: dict[str, Any], status: int, code: int
) -> None:
    refused = await client.post(ORDERS_PREFIX, json={**ORDER, **change})

    assert (refused.status_code, code_of(refused)) == (status, code)
    assert await available(client) == 1250


async def test_order_transactions_show_the_reward_then_the_reversal(
    client: httpx.AsyncClient,
) -> None:
    path = f"{ORDERS_PREFIX}/{ORDER['orderId']}/transactions"
    await client.post(ORDERS_PREFIX, json=ORDER)
    recorded = (await client.get(path)).json()
    await client.post(REFUND_PATH, json=REFUND)
    reversed_ = (await client.get(path)).json()

    assert recorded["count"] == 1
    assert recorded["transactions"][0] | {"gameballTransactionId": 0} == {
        "transactionDate": "2026-03-01T09:00:00.123",
        "gameballTransactionId": 0,
        "transactionType": "PaymentReward",
        "amount": 455.5,
        "transactionId": ORDER["orderId"],
        "equivalentPoints": 45,
    }
    assert [t["transactionType"] for t in reversed_["transactions"]] == ["PaymentReward", "Cancel"]


async def test_an_order_id_in_the_path_is_one_segment(client: httpx.AsyncClient) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER | {"orderId": "a/b?c"})

    found = await client.get(f"{ORDERS_PREFIX}/a%2Fb%3Fc/transactions")
    escaped = await client.get(f"{ORDERS_PREFIX}/a/b%3Fc/transactions")

    assert found.json()["count"] == 1
    assert (escaped.status_code, code_of(escaped)) == (404, 4004)


def test_orders_and_refunds_draw_on_their_rate_limited_resources() -> None:
    assert RESOURCES["order"] == RESOURCES["reward-preview"] == ORDERS
    assert RESOURCES["order-transactions"] == ORDERS
    assert RESOURCES["refund"] == TRANSACTIONS


async def test_order_limits_are_enforced_apart_from_customer_reads() -> None:
    sandbox = Sandbox(clock=fixed_clock, rate_limits={ORDERS: (Window(1, 1.0),)})
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH
    ) as http:
        first = await http.post(ORDERS_PREFIX, json=ORDER)
        second = await http.post(REWARD_PREVIEW_PATH, json={"totalPaid": 1})
        balance = await http.get(customer_path("demo-1001", "balance"))
    assert [first.status_code, second.status_code, balance.status_code] == [200, 429, 200]


async def test_a_slow_answer_comes_after_the_work_is_done(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.slow_next(1, 5.0, endpoint="order")

    with pytest.raises(httpx.ReadTimeout):
        await client.post(ORDERS_PREFIX, json=ORDER, timeout=0.2)
    started = time.monotonic()
    quick = await client.post(REWARD_PREVIEW_PATH, json={"totalPaid": 10})

    assert time.monotonic() - started < 1
    assert quick.status_code == 200
    assert await available(client) == 1250 + 45  # recorded, though the answer never came


async def test_slow_answers_can_target_one_endpoint(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.slow_next(1, 0.3, endpoint="refund")
    started = time.monotonic()
    await client.post(ORDERS_PREFIX, json=ORDER)
    assert time.monotonic() - started < 0.2
    await asyncio.wait_for(client.post(REFUND_PATH, json=REFUND), timeout=2)
    assert time.monotonic() - started >= 0.3


def test_faults_can_target_the_new_endpoints(sandbox: Sandbox) -> None:
    for endpoint in ("order", "reward-preview", "order-transactions", "refund"):
        sandbox.fail_next(1, 503, endpoint=endpoint)
        sandbox.slow_next(1, 0.1, endpoint=endpoint)
    with pytest.raises(ValueError, match="endpoint"):
        sandbox.slow_next(1, 0.1, endpoint="orders")


async def test_order_requests_are_recorded_with_their_ids(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await client.post(ORDERS_PREFIX, json=ORDER)
    await client.get(f"{ORDERS_PREFIX}/{ORDER['orderId']}/transactions")
    await client.post(REFUND_PATH, json=REFUND)

    seen = [(r.endpoint, r.customer_id, r.order_id) for r in sandbox.requests]
    assert seen == [
        ("order", "demo-1001", ORDER["orderId"]),
        ("order-transactions", None, ORDER["orderId"]),
        ("refund", "demo-1001", ORDER["orderId"]),
    ]
