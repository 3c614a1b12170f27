"""The sandbox speaks the official v4.0 contract, so code that passes against it fits Gameball."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import jsonschema
import pytest

from bot.domain.orders import Redemption, Sale, Store
from bot.sandbox import Sandbox
from bot.sandbox.emulator import (
    API_PREFIX,
    HOLD_PATH,
    ORDERS_PREFIX,
    OTP_PATH,
    REFUND_PATH,
    REWARD_PREVIEW_PATH,
)
from bot.sandbox.holds import DEMO_OTP
from bot.services.holds import HoldAsk, hold_request, otp_request
from bot.services.orders import order_request, preview_request, refund_request
from tests.contract import (
    HOLD,
    HOLD_DETAILS,
    OTP,
    REFUND,
    RELEASE_HOLD,
    find_operation,
    response_schema,
    validate_request,
    validate_response,
)
from tests.sandbox import (
    NOW,
    UPSERT_PATH,
    customer_path,
    fixed_clock,
    sandbox_client,
)

#: The error envelope of GAMEBALL.md §5: the spec documents none for these operations.
ERROR_ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "type", "message", "documentationUrl", "requestId"],
    "properties": {
        "code": {"type": "integer"},
        "type": {"type": "string", "pattern": "^[A-Z_]+$"},
        "message": {"type": "string", "minLength": 1},
        "documentationUrl": {"type": "string", "pattern": "^https://"},
        "requestId": {"type": "string", "format": "uuid"},
    },
    "additionalProperties": False,
}
ENVELOPE_VALIDATOR = jsonschema.Draft202012Validator(
    ERROR_ENVELOPE_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
READ_OPERATIONS = {
    "balance": "getCustomerBalance",
    "details": "getCustomerDetails",
    "tier-progress": "getCustomerTierProgress",
}
NEW_CUSTOMER = {
    "customerId": "contract-new",
    "mobile": "+201001234599",
    "email": "laila.mostafa@example.com",
    "customerAttributes": {
        "displayName": "Laila Mostafa",
        "firstName": "Laila",
        "lastName": "Mostafa",
        "mobile": "+201001234599",
        "email": "laila.mostafa@example.com",
        "preferredLanguage": "ar",
        "channel": "pos",
        "custom": {"store": "City Stars pop-up"},
    },
}
ALL_CUSTOMERS = [
    "demo-1001",
    "demo-1002",
    "demo-1003",
    "demo-1004",
    "+201001234567",
    NEW_CUSTOMER["customerId"],
]


@pytest.fixture(params=[True, False], ids=["tiers", "no-tiers"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """A sandbox (with and without tiers) that already holds a newly upserted customer."""
    sandbox = Sandbox(clock=fixed_clock, with_tiers=request.param)
    async with sandbox_client(sandbox) as http:
        validate_request("createCustomer", NEW_CUSTOMER)
        assert (await http.post(UPSERT_PATH, json=NEW_CUSTOMER)).status_code == 200
        yield http


def test_sandbox_routes_are_the_spec_paths() -> None:
    for endpoint, operation_id in READ_OPERATIONS.items():
        assert find_operation(operation_id)[:2] == (
            "GET",
            f"{API_PREFIX}/{{customerId}}/{endpoint}",
        )
    assert find_operation("createCustomer")[:2] == ("POST", API_PREFIX)


@pytest.mark.parametrize("customer_id", ALL_CUSTOMERS)
@pytest.mark.parametrize("endpoint", sorted(READ_OPERATIONS))
async def test_read_responses_fit_the_spec(
    client: httpx.AsyncClient, customer_id: str, endpoint: str
) -> None:
    response = await client.get(customer_path(customer_id, endpoint))
    assert response.status_code == 200
    validate_response(READ_OPERATIONS[endpoint], 200, response.json())


async def test_balance_carries_every_documented_field_when_points_expire(
    client: httpx.AsyncClient,
) -> None:
    balance = (await client.get(customer_path("demo-1002", "balance"))).json()
    assert set(balance) == set(response_schema("getCustomerBalance", 200)["properties"])


@pytest.mark.parametrize(
    "body",
    [
        {"customerId": "contract-min"},
        {"customerId": "contract-mobile", "mobile": "+966500001234"},
        NEW_CUSTOMER,
    ],
)
async def test_upsert_requests_and_responses_fit_the_spec(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    validate_request("createCustomer", body)
    response = await client.post(UPSERT_PATH, json=body)
    assert response.status_code == 200
    validate_response("createCustomer", 200, response.json())


async def test_invalid_channel_is_rejected_by_spec_and_sandbox_alike(
    client: httpx.AsyncClient,
) -> None:
    body = {"customerId": "c", "customerAttributes": {"channel": "fax"}}
    with pytest.raises(jsonschema.ValidationError):
        validate_request("createCustomer", body)
    assert (await client.post(UPSERT_PATH, json=body)).status_code == 422


async def error_responses(client: httpx.AsyncClient) -> list[httpx.Response]:
    """One response of every error the sandbox produces by itself."""
    balance = customer_path("demo-1001", "balance")
    return [
        await client.get(customer_path("nobody", "balance")),
        await client.get(f"{API_PREFIX}/a/b/balance"),
        await client.get(UPSERT_PATH),
        await client.get(balance, headers={"SecretKey": ""}),
        await client.post(UPSERT_PATH, content=b"{"),
        await client.post(UPSERT_PATH, json={}),
        await client.post(UPSERT_PATH, json={"customerId": ""}),
        await client.post(UPSERT_PATH, json={"customerId": "x", "email": NEW_CUSTOMER["email"]}),
    ]


async def test_every_error_uses_the_gameball_envelope(client: httpx.AsyncClient) -> None:
    responses = await error_responses(client)
    assert sorted({response.status_code for response in responses}) == [400, 401, 404, 405, 422]
    for response in responses:
        ENVELOPE_VALIDATOR.validate(response.json())
        assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("status", [401, 403, 404, 422, 429, 500, 503])
async def test_injected_faults_use_the_gameball_envelope(status: int) -> None:
    sandbox = Sandbox()
    sandbox.fail_next(1, status)
    async with sandbox_client(sandbox) as http:
        response = await http.get(customer_path("demo-1001", "balance"))
    assert response.status_code == status
    ENVELOPE_VALIDATOR.validate(response.json())


# --- orders, reward previews, order transactions, refunds (PRODUCT §8) ------------------------

ORDER_ID = "POP1-B2-20260301-7K3Q9XJ2DM"
STORE = Store("POP1", "City Stars pop-up", "B2", "Gate 2")
SALE = Sale(ORDER_ID, "demo-1001", Decimal("1250.50"), "EGP", STORE, NOW - timedelta(minutes=5))
ORDER_ROUTES = {
    "previewOrderRewards": ("POST", REWARD_PREVIEW_PATH),
    "trackOrder": ("POST", ORDERS_PREFIX),
    "getOrderTransactions": ("GET", f"{ORDERS_PREFIX}/{{orderId}}/transactions"),
    REFUND: ("POST", REFUND_PATH),
}


def test_sandbox_order_routes_are_the_spec_paths() -> None:
    for operation_id, route in ORDER_ROUTES.items():
        assert find_operation(operation_id)[:2] == route


async def answer(http: httpx.AsyncClient, operation_id: str, body: Any = None) -> Any:
    """The sandbox's 200 answer to a valid request, checked against the documented response."""
    if body is not None:
        validate_request(operation_id, body)
    method, path = ORDER_ROUTES[operation_id]
    response = await http.request(method, path.replace("{orderId}", ORDER_ID), json=body)
    assert response.status_code == 200, response.text
    validate_response(operation_id, 200, response.json())
    return response.json()


@pytest.mark.parametrize("customer_id", ["demo-1001", "nobody-yet"])
async def test_reward_previews_fit_the_spec(client: httpx.AsyncClient, customer_id: str) -> None:
    preview = await answer(
        client,
        "previewOrderRewards",
        preview_request(customer_id, Decimal("1250.50"), STORE).to_json(),
    )
    assert preview["customerFound"] is (customer_id == "demo-1001")


async def test_an_order_its_transactions_and_its_refund_fit_the_spec(
    client: httpx.AsyncClient,
) -> None:
    await answer(client, "trackOrder", order_request(SALE).to_json())
    recorded = await answer(client, "getOrderTransactions")
    refund = refund_request(SALE, f"{ORDER_ID}-R1", NOW).to_json()
    await answer(client, REFUND, refund)
    reversed_ = await answer(client, "getOrderTransactions")

    assert [t["transactionType"] for t in recorded["transactions"]] == ["PaymentReward"]
    assert [t["transactionType"] for t in reversed_["transactions"]] == ["PaymentReward", "Cancel"]


async def test_every_order_error_uses_the_gameball_envelope(client: httpx.AsyncClient) -> None:
    order = order_request(SALE).to_json()
    refund = refund_request(SALE, f"{ORDER_ID}-R1", NOW).to_json()
    unknown = f"{ORDERS_PREFIX}/unknown/transactions"
    responses = [
        await client.post(ORDERS_PREFIX, json=order),
        await client.post(ORDERS_PREFIX, json=order),  # 9004: the order ID exists
        await client.get(unknown),  # 9002
        await client.post(REFUND_PATH, json=refund | {"reverseTransactionId": "unknown"}),  # 9005
        await client.post(REFUND_PATH, json=refund),
        await client.post(REFUND_PATH, json=refund),  # 9001: reversed already
        await client.post(ORDERS_PREFIX, json={"customerId": "x"}),  # 400: fields missing
        await client.post(REWARD_PREVIEW_PATH, json={"totalPaid": -1}),  # 422
    ]
    codes = [response.json().get("code") for response in responses]
    assert codes == [None, 9004, 9002, 9005, None, 9001, 3000, 3003]
    for response in responses:
        if not response.is_success:
            ENVELOPE_VALIDATOR.validate(response.json())


# --- points holds and the texted code (PRODUCT §8) --------------------------------------------

HOLD_ROUTES = {
    HOLD: ("POST", HOLD_PATH),
    HOLD_DETAILS: ("GET", f"{HOLD_PATH}/{{holdReferenceId}}"),
    RELEASE_HOLD: ("DELETE", f"{HOLD_PATH}/{{holdReferenceId}}"),
    OTP: ("POST", OTP_PATH),
}


def test_sandbox_hold_routes_are_the_spec_paths() -> None:
    for operation_id, route in HOLD_ROUTES.items():
        assert find_operation(operation_id)[:2] == route


async def hold_answer(
    http: httpx.AsyncClient, operation_id: str, body: Any = None, ref: str = ""
) -> Any:
    """The sandbox's 200 answer to a valid hold request, checked against the documented one."""
    if body is not None:
        validate_request(operation_id, body)
    method, path = HOLD_ROUTES[operation_id]
    response = await http.request(method, path.replace("{holdReferenceId}", ref), json=body)
    assert response.status_code == 200, response.text
    if operation_id != OTP:  # the spec documents no answer to it
        validate_response(operation_id, 200, response.json())
    return response.json()


@pytest.mark.parametrize(
    "ask", [HoldAsk(points=200), HoldAsk(amount=Decimal("20.05"))], ids=["points", "amount"]
)
async def test_a_hold_by_code_and_scan_its_details_its_order_and_its_release_fit_the_spec(
    ask: HoldAsk,
) -> None:
    sandbox = Sandbox(clock=fixed_clock)
    async with sandbox_client(sandbox) as http:
        await hold_answer(http, OTP, otp_request("demo-1001", ask).to_json())
        scan_hash = sandbox.customer_hash("demo-1001")
        request = hold_request("demo-1001", ask, NOW, scan_hash=scan_hash, otp=DEMO_OTP)
        placed = await hold_answer(http, HOLD, request.to_json())
        ref = placed["holdReference"]
        await hold_answer(http, HOLD_DETAILS, ref=ref)
        redemption = Redemption(ref, placed["holdEquivalentPoints"], Decimal("20.05"))
        sale = Sale(ORDER_ID, "demo-1001", Decimal(450), "EGP", STORE, NOW, redemption)
        await answer(http, "trackOrder", order_request(sale).to_json())
        used = await hold_answer(http, HOLD_DETAILS, ref=ref)
        second = await hold_answer(http, HOLD, hold_request("demo-1001", ask, NOW).to_json())
        await hold_answer(http, RELEASE_HOLD, ref=second["holdReference"])

    assert used["state"] == "used"
    assert [h.state for h in sandbox.holds()] == ["used", "released"]


async def test_every_hold_error_uses_the_gameball_envelope(client: httpx.AsyncClient) -> None:
    hold = hold_request("demo-1001", HoldAsk(points=10), NOW).to_json()
    responses = [
        await client.post(HOLD_PATH, json=hold | {"pointsToHold": 100_000}),  # 9008
        await client.get(f"{HOLD_PATH}/unknown"),  # 9006
        await client.delete(f"{HOLD_PATH}/unknown"),  # 9006
        await client.post(HOLD_PATH, json=hold | {"hash": "000000"}),  # 3003
        await client.post(HOLD_PATH, json=hold | {"otp": "000000"}),  # 3003
        await client.post(OTP_PATH, json={"customerId": "demo-1001"}),  # 3000
    ]
    assert [response.json().get("code") for response in responses] == [
        9008,
        9006,
        9006,
        3003,
        3003,
        3000,
    ]
    for response in responses:
        ENVELOPE_VALIDATOR.validate(response.json())
