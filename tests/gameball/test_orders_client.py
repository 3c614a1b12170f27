"""GameballClient's order and refund calls (PRODUCT §8) against a fake Gameball.

What matters beyond the wire format: an order or a refund whose answer may have been lost is
never resent by the client (only the caller may, after asking Gameball), a read is retried like
any read, and Gameball's 9xxx codes arrive as errors that say what they mean.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from bot.gameball import (
    AlreadyRecorded,
    AlreadyReversed,
    Branch,
    HoldNotFound,
    InsufficientPoints,
    Merchant,
    NotFound,
    NotReversible,
    OrderRequest,
    RefundRequest,
    Rejected,
    RewardPreviewRequest,
    TransactionNotFound,
    Unavailable,
)
from bot.gameball.errors import Busy
from bot.gameball.limits import ORDERS, TRANSACTIONS, Pacers, Window
from tests.gameball.fakes import NASTY_IDS, ClientFactory, FakeGameball, error, hang

ORDER = OrderRequest(
    customer_id="demo-1001",
    order_id="POP1-20261126-7K3Q9XJ2DM",
    order_date="2026-11-26T12:00:00.123Z",
    total_paid=450.5,
    total_price=450.5,
    channel="pos",
    merchant=Merchant(unique_id="POP1", name="City Stars", branch=Branch(unique_id="B2")),
)
REFUND = RefundRequest(
    customer_id="demo-1001",
    refund_transaction_id="POP1-20261126-7K3Q9XJ2DM-RABCDEF",
    reverse_transaction_id="POP1-20261126-7K3Q9XJ2DM",
    transaction_time="2026-11-26T13:00:00.000Z",
)
PREVIEW = RewardPreviewRequest(customer_id="demo-1001", total_paid=450.5, channel="pos")
NOT_ANSWERED = [
    pytest.param(httpx.Response(503, json={"code": 5003}), id="503"),
    pytest.param(httpx.Response(502, text="bad gateway"), id="502 from a proxy"),
    pytest.param(httpx.ReadError("connection reset"), id="dropped"),
    pytest.param(httpx.ReadTimeout("read timed out"), id="timeout"),
]


async def test_an_order_is_posted_as_gameball_documents_it(connect: ClientFactory) -> None:
    gameball = FakeGameball(httpx.Response(200, json={"rewardedPoints": 45, "customerId": "x"}))

    answer = await connect(gameball).track_order(ORDER)

    request = gameball.only_request
    assert (request.method, request.url.path) == ("POST", "/api/v4.0/integrations/orders")
    assert json.loads(request.content) == {
        "customerId": "demo-1001",
        "orderId": "POP1-20261126-7K3Q9XJ2DM",
        "orderDate": "2026-11-26T12:00:00.123Z",
        "totalPaid": 450.5,
        "totalPrice": 450.5,
        "channel": "pos",
        "merchant": {"uniqueId": "POP1", "name": "City Stars", "branch": {"uniqueId": "B2"}},
    }
    assert answer.rewarded_points == 45


@pytest.mark.parametrize("body", [{"pointsEarned": 12, "status": "Success"}, "not json", {}])
async def test_an_order_answer_is_read_in_the_guides_spelling_or_not_at_all(
    connect: ClientFactory, body: Any
) -> None:
    answer = httpx.Response(200, json=body) if isinstance(body, dict) else error(200, text=body)

    result = await connect(FakeGameball(answer)).track_order(ORDER)

    assert result.rewarded_points == (12 if isinstance(body, dict) and body else None)


@pytest.mark.parametrize("lost", NOT_ANSWERED)
@pytest.mark.parametrize("call", ["track_order", "refund"])
async def test_a_write_whose_answer_may_be_lost_is_not_sent_again(
    connect: ClientFactory, lost: Any, call: str
) -> None:
    gameball = FakeGameball(lost, httpx.Response(200, json={}))
    client = connect(gameball)

    with pytest.raises(Unavailable):
        await getattr(client, call)(ORDER if call == "track_order" else REFUND)

    assert len(gameball.requests) == 1


async def test_a_write_that_hangs_is_given_up_once(connect: ClientFactory) -> None:
    gameball = FakeGameball(hang)

    with pytest.raises(Unavailable):
        await connect(gameball, attempt_timeout=0.05).track_order(ORDER, deadline=0.2)

    assert len(gameball.requests) == 1


async def test_a_write_refused_with_429_is_sent_again(connect: ClientFactory) -> None:
    gameball = FakeGameball(error(429, {"code": 4290}), httpx.Response(200, json={}))

    await connect(gameball).track_order(ORDER)

    assert len(gameball.requests) == 2


async def test_reads_and_previews_are_retried_like_any_read(connect: ClientFactory) -> None:
    gameball = FakeGameball(error(503), httpx.Response(200, json={"totalPoints": 45}))

    preview = await connect(gameball).preview_order(PREVIEW)

    assert preview.points == 45
    assert len(gameball.requests) == 2


async def test_order_transactions_are_read_from_the_orders_own_path(
    connect: ClientFactory,
) -> None:
    body = {
        "transactions": [{"transactionType": "PaymentReward", "equivalentPoints": 45}],
        "count": 1,
    }
    gameball = FakeGameball(httpx.Response(200, json=body))

    answer = await connect(gameball).order_transactions("POP1-20261126-7K3Q9XJ2DM")

    request = gameball.only_request
    assert request.method == "GET"
    assert (
        request.url.raw_path
        == b"/api/v4.0/integrations/orders/POP1-20261126-7K3Q9XJ2DM/transactions"
    )
    assert answer.transactions is not None
    assert answer.transactions[0].equivalent_points == 45


@pytest.mark.parametrize("order_id", NASTY_IDS)
async def test_any_order_id_is_one_path_segment(connect: ClientFactory, order_id: str) -> None:
    gameball = FakeGameball(httpx.Response(200, json={}))

    await connect(gameball).order_transactions(order_id)

    raw = gameball.only_request.url.raw_path.decode()
    prefix, suffix = "/api/v4.0/integrations/orders/", "/transactions"
    segment = raw.removeprefix(prefix).removesuffix(suffix)
    assert "/" not in segment
    assert "?" not in segment
    assert unquote(segment) == order_id


@pytest.mark.parametrize("order_id", ["", ".", ".."])
async def test_an_order_id_that_cannot_be_a_segment_is_refused_unsent(
    connect: ClientFactory, order_id: str
) -> None:
    gameball = FakeGameball()

    with pytest.raises(ValueError, match="ID"):
        await connect(gameball).order_transactions(order_id)

    assert gameball.requests == []


def test_a_preview_sends_what_the_till_knows_and_nothing_empty() -> None:
    assert PREVIEW.to_json() == {"customerId": "demo-1001", "totalPaid": 450.5, "channel": "pos"}


def test_a_full_refund_sends_no_amount() -> None:
    assert "refundAmount" not in REFUND.to_json()
    assert REFUND.to_json()["reverseTransactionId"] == ORDER.order_id


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (422, 9004, AlreadyRecorded),
        (422, 9001, AlreadyReversed),
        (422, 9000, NotReversible),
        (404, 9005, TransactionNotFound),
        (404, 9002, TransactionNotFound),
        (422, 9008, InsufficientPoints),
        (404, 9006, HoldNotFound),
        (422, 2001, Busy),
    ],
)
async def test_gameballs_transaction_codes_become_errors_that_say_what_they_mean(
    connect: ClientFactory, status: int, code: int, kind: type[Exception]
) -> None:
    envelope = {"code": code, "type": "TRANSACTION_ERROR", "message": f"code {code}"}
    gameball = FakeGameball(error(status, envelope))

    with pytest.raises(kind) as caught:
        await connect(gameball, max_attempts=1).refund(REFUND)

    assert type(caught.value) is kind
    assert caught.value.code == code
    assert caught.value.message == f"code {code}"


def test_not_found_transactions_are_still_not_found_and_busy_is_unavailable() -> None:
    assert issubclass(TransactionNotFound, NotFound)
    assert issubclass(HoldNotFound, NotFound)
    assert issubclass(InsufficientPoints, Rejected)
    assert issubclass(Busy, Unavailable)
    assert issubclass(AlreadyRecorded, Rejected)


async def test_orders_and_refunds_wait_for_their_own_resources(connect: ClientFactory) -> None:
    gameball = FakeGameball(httpx.Response(200, json={}))
    one_a_second = (Window(1, 1.0),)
    pacers = Pacers({ORDERS: one_a_second, TRANSACTIONS: one_a_second})
    client = connect(gameball, pacers=pacers)

    await client.track_order(ORDER)
    await client.refund(REFUND)  # another resource: no wait for the order's window

    assert len(gameball.requests) == 2
    assert not pacers[ORDERS].try_acquire(spare=0)
    assert not pacers[TRANSACTIONS].try_acquire(spare=0)
