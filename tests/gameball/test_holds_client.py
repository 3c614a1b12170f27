"""GameballClient's points holds and texted codes (PRODUCT §8) against a fake Gameball.

What matters beyond the wire format: a hold or a code whose answer may have been lost is never
sent again (a second hold would lock the points twice, a second text confuse the customer), a
release and a look-up are retried like reads, a hold reference is one path segment, and the
scanned hash and the code never show in a request's ``repr``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from bot.gameball import (
    HoldNotFound,
    HoldRequest,
    InsufficientPoints,
    OtpRequest,
    Unavailable,
)
from bot.gameball.errors import Busy
from bot.gameball.limits import TRANSACTIONS, Pacers, Window
from tests.gameball.fakes import NASTY_IDS, ClientFactory, FakeGameball, error

HOLD = HoldRequest(
    customer_id="demo-1001",
    transaction_time="2026-11-26T12:00:00.123Z",
    points_to_hold=200,
    scan_hash="433383",
    otp="246810",
)
OTP = OtpRequest(customer_id="demo-1001", points=200)
LOST = [
    pytest.param(httpx.Response(503, json={"code": 5003}), id="503"),
    pytest.param(httpx.ReadError("connection reset"), id="dropped"),
    pytest.param(httpx.ReadTimeout("read timed out"), id="timeout"),
]


@pytest.mark.parametrize(
    "amount", [5, "5", "5.00"], ids=["number", "string (the guides)", "string with cents"]
)
async def test_a_hold_answer_is_read_whether_its_amount_is_a_number_or_a_string(
    connect: ClientFactory, amount: Any
) -> None:
    body = {"holdAmount": amount, "holdEquivalentPoints": 50, "holdReference": "HOLD-abc123"}
    gameball = FakeGameball(httpx.Response(200, json=body))

    placed = await connect(gameball).hold_points(HOLD)

    assert placed.hold_amount == Decimal(5)
    assert (placed.hold_equivalent_points, placed.hold_reference) == (50, "HOLD-abc123")


@pytest.mark.parametrize("lost", LOST)
@pytest.mark.parametrize("call", ["hold_points", "send_otp"])
async def test_a_hold_or_a_code_whose_answer_may_be_lost_is_not_sent_again(
    connect: ClientFactory, lost: Any, call: str
) -> None:
    gameball = FakeGameball(lost, httpx.Response(200, json={}))

    with pytest.raises(Unavailable):
        await getattr(connect(gameball), call)(HOLD if call == "hold_points" else OTP)

    assert len(gameball.requests) == 1


async def test_a_release_and_a_look_up_are_retried_like_reads(connect: ClientFactory) -> None:
    gameball = FakeGameball(
        error(503), httpx.Response(200, json={"success": True}),
        error(503), httpx.Response(200, json={"state": "active"}),
    )  # fmt: skip
    client = connect(gameball)

    released = await client.release_hold("HOLD-1")
    details = await client.hold_details("HOLD-1")

    assert released.success is True
    assert details.state == "active"
    assert [r.method for r in gameball.requests] == ["DELETE", "DELETE", "GET", "GET"]


async def test_a_release_counts_whatever_body_comes_with_its_2xx(connect: ClientFactory) -> None:
    gameball = FakeGameball(httpx.Response(200, text=""))

    released = await connect(gameball).release_hold("HOLD-1")

    assert released.success is None


@pytest.mark.parametrize("reference", NASTY_IDS)
async def test_any_hold_reference_is_one_path_segment(
    connect: ClientFactory, reference: str
) -> None:
    gameball = FakeGameball(httpx.Response(200, json={}))

    await connect(gameball).release_hold(reference)

    raw = gameball.only_request.url.raw_path.decode()
    segment = raw.removeprefix("/api/v4.0/integrations/transactions/hold/")
    assert "/" not in segment
    assert "?" not in segment
    assert unquote(segment) == reference


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [(422, 9008, InsufficientPoints), (404, 9006, HoldNotFound), (422, 2001, Busy)],
)
async def test_holds_refused_for_what_gameball_documents_say_why(
    connect: ClientFactory, status: int, code: int, kind: type[Exception]
) -> None:
    gameball = FakeGameball(error(status, {"code": code, "message": f"code {code}"}))

    with pytest.raises(kind):
        await connect(gameball, max_attempts=1).hold_points(HOLD)


def test_the_scanned_hash_and_the_code_stay_out_of_a_holds_repr() -> None:
    shown = repr(HOLD) + str(HOLD)

    assert "433383" not in shown
    assert "246810" not in shown
    assert HOLD.to_json()["hash"] == "433383"  # but they are sent


async def test_holds_and_codes_wait_for_the_transactions_resource(
    connect: ClientFactory,
) -> None:
    gameball = FakeGameball(httpx.Response(200, json={"holdReference": "H"}))
    pacers = Pacers({TRANSACTIONS: (Window(3, 1.0),)})
    client = connect(gameball, pacers=pacers)

    await client.hold_points(HOLD)
    await client.hold_details("H")
    await client.send_otp(OTP)

    assert not pacers[TRANSACTIONS].try_acquire(spare=0)
