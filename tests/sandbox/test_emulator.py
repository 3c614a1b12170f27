"""The sandbox through its in-process transport, as the console and the client tests use it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import phonenumbers
import pytest

from bot.sandbox import ConnectionDropped, Sandbox
from tests.sandbox import AUTH, UPSERT_PATH, customer_path, fixed_clock

ENVELOPE_KEYS = {"code", "type", "message", "documentationUrl", "requestId"}


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(clock=fixed_clock)


def client_for(sandbox: Sandbox, **options: Any) -> httpx.AsyncClient:
    """A plain httpx client on the in-process transport (no GameballClient involved)."""
    options.setdefault("headers", AUTH)
    return httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox", **options)


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox) as http:
        yield http


async def get_json(client: httpx.AsyncClient, customer_id: str, endpoint: str) -> Any:
    response = await client.get(customer_path(customer_id, endpoint))
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, code: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["code"] == code


# --- happy paths ---------------------------------------------------------------------------


async def test_balance_of_customer_with_pending_and_expiring_points(
    client: httpx.AsyncClient,
) -> None:
    assert await get_json(client, "demo-1002", "balance") == {
        "totalPointsBalance": 1150,
        "totalPointsValue": 115.0,
        "availablePointsBalance": 850,
        "availablePointsValue": 85.0,
        "pendingPoints": 300,
        "pendingPointsValue": 30.0,
        "currency": "EGP",
        "pointsName": "Stars",
        "nextExpiringPointsAmount": 200,
        "nextExpiringPointsValue": 20.0,
        "nextExpiringPointsDate": "2026-03-06T00:00:00",
        "totalEarnedPoints": 1150,
    }


async def test_balance_omits_expiry_fields_when_nothing_expires(
    client: httpx.AsyncClient,
) -> None:
    balance = await get_json(client, "demo-1001", "balance")
    assert balance["availablePointsBalance"] == 1250
    assert not any(key.startswith("nextExpiring") for key in balance)


async def test_balance_uses_the_programme_settings() -> None:
    sandbox = Sandbox(points_name="Points", currency="SAR", point_value=0.05)
    sandbox.add_customer("c-1", points=333)
    async with client_for(sandbox) as client:
        balance = await get_json(client, "c-1", "balance")
    assert (balance["pointsName"], balance["currency"]) == ("Points", "SAR")
    assert balance["availablePointsValue"] == 16.65


async def test_details_show_the_stored_profile(client: httpx.AsyncClient) -> None:
    details = await get_json(client, "demo-1001", "details")
    assert details["customerId"] == "demo-1001"
    assert isinstance(details["gameballId"], int)
    assert details["customerAttributes"] == {
        "displayName": "Omar Hassan",
        "firstName": "Omar",
        "lastName": "Hassan",
        "email": "omar.hassan@example.com",
        "mobile": "+201001112233",
        "totalSpent": 4750,
        "joinDate": "2026-03-01T09:30:00Z",
    }


async def test_tier_progress_names_the_next_tier(client: httpx.AsyncClient) -> None:
    progress = await get_json(client, "demo-1001", "tier-progress")
    assert progress["current"]["name"] == "Silver"
    assert progress["next"] == {"order": 3, "name": "Gold", "minProgress": 5000}
    assert progress["progress"] == 4750


async def test_tier_progress_at_the_top_tier_has_no_next(client: httpx.AsyncClient) -> None:
    progress = await get_json(client, "demo-1003", "tier-progress")
    assert progress["current"]["name"] == "Gold"
    assert "next" not in progress


async def test_programme_without_tiers_answers_an_empty_object() -> None:
    sandbox = Sandbox(with_tiers=False)
    async with client_for(sandbox) as client:
        assert await get_json(client, "demo-1003", "tier-progress") == {}


# --- upsert ----------------------------------------------------------------------------------


async def test_upsert_creates_a_customer_with_the_welcome_bonus() -> None:
    sandbox = Sandbox(welcome_bonus=250)
    async with client_for(sandbox) as client:
        created = await client.post(UPSERT_PATH, json={"customerId": "new-1"})
        balance = await get_json(client, "new-1", "balance")
    assert created.status_code == 200
    assert isinstance(created.json()["gameballId"], int)
    assert balance["availablePointsBalance"] == 250
    assert balance["pendingPoints"] == 0
    assert balance["totalEarnedPoints"] == 250


async def test_second_upsert_merges_attributes_without_a_second_bonus(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post(
        UPSERT_PATH,
        json={
            "customerId": "new-2",
            "mobile": "+201001234568",
            "customerAttributes": {"displayName": "Salma Fathy", "custom": {"store": "Zamalek"}},
        },
    )
    second = await client.post(
        UPSERT_PATH,
        json={
            "customerId": "new-2",
            "email": "salma@example.com",
            "customerAttributes": {"channel": "pos", "custom": {"campaign": "spring"}},
        },
    )
    assert first.json() == second.json()
    attributes = (await get_json(client, "new-2", "details"))["customerAttributes"]
    assert attributes["displayName"] == "Salma Fathy"
    assert attributes["mobile"] == "+201001234568"
    assert attributes["email"] == "salma@example.com"
    assert attributes["channel"] == "pos"
    assert attributes["custom"] == {"store": "Zamalek", "campaign": "spring"}
    assert (await get_json(client, "new-2", "balance"))["availablePointsBalance"] == 100


async def test_double_tap_on_create_creates_once(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.latency = 0.01
    answers = await asyncio.gather(
        *(client.post(UPSERT_PATH, json={"customerId": "tap"}) for _ in range(2))
    )
    assert answers[0].json() == answers[1].json()
    assert (await get_json(client, "tap", "balance"))["availablePointsBalance"] == 100


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"not json", 400, 3016),
        (b"[]", 400, 3016),
        (b'{"email": "x@example.com"}', 400, 3000),
        (b'{"customerId": ""}', 422, 3003),
        (b'{"customerId": 42}', 422, 3003),
        (b'{"customerId": "c", "customerAttributes": {"channel": "fax"}}', 422, 3003),
        (b'{"customerId": "c", "customerAttributes": {"totalSpent": "lots"}}', 422, 3003),
        (b'{"customerId": "c", "customerAttributes": []}', 422, 3003),
        (b'{"customerId": "c", "mobile": 201001234567}', 422, 3003),
    ],
)
async def test_upsert_rejects_invalid_bodies(
    sandbox: Sandbox, client: httpx.AsyncClient, content: bytes, status: int, code: int
) -> None:
    response = await client.post(
        UPSERT_PATH, content=content, headers={"Content-Type": "application/json"}
    )
    assert_error(response, status, code)
    assert sandbox.customer("c") is None


async def test_upsert_refuses_an_email_another_customer_uses(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        UPSERT_PATH, json={"customerId": "new-3", "email": "Omar.Hassan@Example.com"}
    )
    assert_error(response, 422, 3008)
    assert "another customer" in response.json()["message"]
    assert sandbox.customer("new-3") is None


async def test_upsert_accepts_a_customer_resending_their_own_email(
    client: httpx.AsyncClient,
) -> None:
    body = {"customerId": "demo-1001", "email": "omar.hassan@example.com"}
    assert (await client.post(UPSERT_PATH, json=body)).status_code == 200


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"APIKey": "sandbox"},
        {"SecretKey": "sandbox"},
        {"APIKey": "", "SecretKey": "sandbox"},
        {"APIKey": "sandbox", "SecretKey": "wrong"},
        {"APIKey": "wrong", "SecretKey": "sandbox"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", customer_path("demo-1001", "balance")), ("POST", UPSERT_PATH)],
)
async def test_requests_without_both_valid_keys_are_unauthorized(
    sandbox: Sandbox, headers: dict[str, str], method: str, path: str
) -> None:
    async with client_for(sandbox, headers={}) as client:
        response = await client.request(method, path, headers=headers, json={"customerId": "x"})
    assert_error(response, 401, 1000)
    assert sandbox.customer("x") is None


async def test_header_names_are_case_insensitive(sandbox: Sandbox) -> None:
    async with client_for(sandbox, headers={"apikey": "sandbox", "SECRETKEY": "sandbox"}) as client:
        assert (await client.get(customer_path("demo-1001", "balance"))).status_code == 200


async def test_custom_keys_are_enforced() -> None:
    sandbox = Sandbox(api_key="k-123", secret_key="s-456")
    async with client_for(sandbox, headers={}) as client:
        path = customer_path("demo-1001", "balance")
        assert (await client.get(path, headers=AUTH)).status_code == 401
        good = {"APIKey": "k-123", "SecretKey": "s-456"}
        assert (await client.get(path, headers=good)).status_code == 200


# --- routing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["balance", "details", "tier-progress"])
async def test_unknown_customer_is_7000(client: httpx.AsyncClient, endpoint: str) -> None:
    response = await client.get(customer_path("nobody", endpoint))
    assert_error(response, 404, 7000)
    assert response.json()["type"] == "CUSTOMER_ERROR"


async def test_customer_id_with_a_slash_stays_one_segment(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.add_customer("a/b", points=7)
    encoded = await client.get("/api/v4.0/integrations/customers/a%2Fb/balance")
    escaped = await client.get("/api/v4.0/integrations/customers/a/b/balance")
    assert encoded.json()["availablePointsBalance"] == 7
    assert_error(escaped, 404, 4004)
    assert sandbox.requests[0].customer_id == "a/b"


@pytest.mark.parametrize(
    "customer_id", ["+966500001234", "ملك أحمد", "50% off?", "x#y", "..", "a&b=c", "~_.-"]
)
async def test_any_percent_encoded_id_reaches_its_customer(
    sandbox: Sandbox, client: httpx.AsyncClient, customer_id: str
) -> None:
    sandbox.add_customer(customer_id, points=9)
    balance = await get_json(client, customer_id, "balance")
    assert balance["availablePointsBalance"] == 9
    assert sandbox.requests[-1].customer_id == customer_id


@pytest.mark.parametrize(
    "path",
    [
        "/api/v4.0/integrations/customers/demo-1001/coupons",
        "/api/v4.0/integrations/customers/demo-1001",
        "/api/v4.0/integrations/customers//balance",
        "/api/v4.0/integrations/customers/demo-1001/balance/extra",
        "/api/v4.0/integrations/customer/demo-1001/balance",
        "/api/v4/integrations/customers/demo-1001/balance",
        "/api/v4.0/integrations/customers/%FF/balance",
    ],
)
async def test_unknown_routes_are_4004(client: httpx.AsyncClient, path: str) -> None:
    assert_error(await client.get(path), 404, 4004)


async def test_wrong_method_on_a_known_route_is_405(client: httpx.AsyncClient) -> None:
    assert_error(await client.post(customer_path("demo-1001", "balance"), json={}), 405, 4005)
    assert_error(await client.get(UPSERT_PATH), 405, 4005)


async def test_query_string_does_not_change_the_route(client: httpx.AsyncClient) -> None:
    response = await client.get(customer_path("demo-1001", "balance"), params={"expand": "tier"})
    assert response.status_code == 200


# --- fault injection ---------------------------------------------------------------------------


async def test_fail_next_fails_exactly_that_many_requests(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.fail_next(2)
    path = customer_path("demo-1001", "balance")
    statuses = [(await client.get(path)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


async def test_fail_next_can_target_one_endpoint(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.fail_next(1, 500, endpoint="upsert")
    assert (await client.get(customer_path("demo-1001", "balance"))).status_code == 200
    assert_error(await client.post(UPSERT_PATH, json={"customerId": "f"}), 500, 5000)
    assert (await client.post(UPSERT_PATH, json={"customerId": "f"})).status_code == 200


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        (401, 1000, "AUTHENTICATION_ERROR"),
        (403, 1002, "AUTHENTICATION_ERROR"),
        (404, 7000, "CUSTOMER_ERROR"),
        (422, 3003, "PAYLOAD_ERROR"),
        (429, 4290, "RATE_LIMIT"),
        (500, 5000, "SERVER_ERROR"),
        (502, 5000, "SERVER_ERROR"),
        (503, 5003, "SERVER_ERROR"),
    ],
)
async def test_injected_faults_answer_with_a_gameball_envelope(
    sandbox: Sandbox, client: httpx.AsyncClient, status: int, code: int, error_type: str
) -> None:
    sandbox.fail_next(1, status)
    response = await client.get(customer_path("demo-1001", "balance"))
    assert_error(response, status, code)
    assert response.json()["type"] == error_type


async def test_set_down_fails_everything_until_lifted(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.set_down(503)
    assert (await client.get(customer_path("demo-1001", "details"))).status_code == 503
    assert (await client.post(UPSERT_PATH, json={"customerId": "d"})).status_code == 503
    sandbox.set_down(None)
    assert (await client.get(customer_path("demo-1001", "details"))).status_code == 200
    assert sandbox.customer("d") is None


async def test_status_zero_drops_the_connection(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.fail_next(1, 0)
    with pytest.raises(httpx.ConnectError):
        await client.get(customer_path("demo-1001", "balance"))
    assert (await client.get(customer_path("demo-1001", "balance"))).status_code == 200


async def test_set_down_zero_drops_every_connection(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.set_down(0)
    with pytest.raises(ConnectionDropped):
        await client.post(UPSERT_PATH, json={"customerId": "z"})
    assert sandbox.customer("z") is None


async def test_latency_delays_every_request(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    sandbox.latency = 0.15
    started = time.monotonic()
    await client.get(customer_path("demo-1001", "balance"))
    assert time.monotonic() - started >= 0.15


async def test_transport_honours_the_client_read_timeout(sandbox: Sandbox) -> None:
    sandbox.latency = 5
    async with client_for(sandbox, timeout=0.05) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(UPSERT_PATH, json={"customerId": "slow"})
    assert sandbox.customer("slow") is None


@pytest.mark.parametrize(
    ("status", "endpoint"), [(200, None), (302, None), (600, None), (503, "coupons")]
)
def test_fault_arguments_are_checked(status: int, endpoint: str | None) -> None:
    with pytest.raises(ValueError, match="must be"):
        Sandbox().fail_next(1, status, endpoint=endpoint)


def test_set_down_rejects_a_success_status() -> None:
    with pytest.raises(ValueError, match="must be"):
        Sandbox().set_down(200)


# --- recording and state -----------------------------------------------------------------------


async def test_requests_are_recorded_without_key_values(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    await client.post(UPSERT_PATH, json={"customerId": "rec"}, headers={"SecretKey": ""})
    await client.get(customer_path("rec", "details"))
    upsert, details = sandbox.requests
    assert (upsert.method, upsert.endpoint, upsert.customer_id) == ("POST", "upsert", "rec")
    assert upsert.body == {"customerId": "rec"}
    assert (upsert.has_api_key, upsert.has_secret_key) == (True, False)
    assert (details.method, details.endpoint, details.body) == ("GET", "details", None)
    assert (details.has_api_key, details.has_secret_key) == (True, True)
    assert "sandbox" not in repr(sandbox.requests)


def test_keys_never_appear_in_the_repr() -> None:
    assert "top-secret" not in repr(Sandbox(api_key="top-secret", secret_key="top-secret"))


def test_customer_returns_a_copy_of_the_state(sandbox: Sandbox) -> None:
    state = sandbox.customer("demo-1002")
    assert state is not None
    assert (state["points"], state["pending"]) == (850, 300)
    state["attributes"]["displayName"] = "Changed"
    assert sandbox.customer("demo-1002") != state
    assert sandbox.customer("nobody") is None


def test_add_customer_refuses_a_duplicate(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="already exists"):
        sandbox.add_customer("demo-1001")


def test_empty_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        Sandbox(api_key="")


# --- demo customers ----------------------------------------------------------------------------


def test_demo_customers_cover_the_console_scenarios(sandbox: Sandbox) -> None:
    demos = sandbox.demo_customers
    assert 4 <= len(demos) <= 5
    assert any(demo.points == 0 for demo in demos)
    assert any(demo.customer_id == demo.mobile for demo in demos)
    assert any("\u0600" <= demo.name[0] <= "\u06ff" for demo in demos)
    for demo in demos:
        assert demo.note
        assert sandbox.customer(demo.customer_id) is not None


def test_demo_mobiles_are_valid_e164(sandbox: Sandbox) -> None:
    for demo in sandbox.demo_customers:
        assert demo.mobile is not None
        number = phonenumbers.parse(demo.mobile)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == (
            demo.mobile
        )


async def test_without_demo_customers_the_sandbox_is_empty() -> None:
    sandbox = Sandbox(with_demo_customers=False)
    assert sandbox.demo_customers == []
    async with client_for(sandbox) as client:
        assert (await client.get(customer_path("demo-1001", "balance"))).status_code == 404
