"""The client against Gameball's official v4.0 OpenAPI document.

What the spec says Gameball answers must come out of the client with the same values; what the
client sends must be what the spec accepts, at the path, method and headers the spec declares.
Order and refund bodies are built by the order service's own builders, as the bot sends them.
"""

from __future__ import annotations

import itertools
import json
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from bot.domain.orders import Redemption, Sale, Store
from bot.gameball import (
    CustomerBalance,
    CustomerDetails,
    GameballClient,
    HoldDetails,
    HoldPlaced,
    HoldReleased,
    OrderResponse,
    OrderTransactions,
    RefundResponse,
    RewardPreview,
    TierProgress,
    UpsertCustomerRequest,
    UpsertCustomerResponse,
)
from bot.services.holds import HoldAsk, hold_request, otp_request
from bot.services.orders import order_request, preview_request, refund_request
from tests.contract import (
    HOLD,
    HOLD_DETAILS,
    OTP,
    REFUND,
    RELEASE_HOLD,
    find_operation,
    load_spec,
    request_schema,
    resolve,
    response_examples,
    response_schema,
    validate_request,
    validate_response,
)
from tests.gameball.test_client import full_upsert_request

CUSTOMER_ID = "c-1"
ORDER_ID = "POP1-B2-20261126-7K3Q9XJ2DM"
NOW = datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC)
#: A till with every merchant setting, and one with none: the bodies differ most between them.
STORES = {
    "full store": Store("POP1", "City Stars pop-up", "B2", "Gate 2"),
    "branch id only": Store(branch_id="B2"),
    "branch name only": Store(branch_name="Gate 2"),
    "no store": Store(),
}


HOLD_REFERENCE = "a2a199ad-86f3-45c4-8253-7aaee50e4798"
REDEMPTION = Redemption(HOLD_REFERENCE, 200, Decimal("20.00"))


def sale(store: Store, redemption: Redemption | None = None) -> Sale:
    return Sale(ORDER_ID, CUSTOMER_ID, Decimal("1250.50"), "EGP", store, NOW, redemption)


FULL_STORE = STORES["full store"]
#: Headers any HTTP client sends; everything else the client sends must be declared in the spec.
TRANSPORT_HEADERS = {
    "accept",
    "accept-encoding",
    "connection",
    "content-length",
    "content-type",
    "host",
    "user-agent",
}

OPERATIONS = [
    pytest.param(
        "getCustomerBalance", CustomerBalance, lambda c: c.get_balance(CUSTOMER_ID), id="balance"
    ),
    pytest.param(
        "getCustomerDetails", CustomerDetails, lambda c: c.get_details(CUSTOMER_ID), id="details"
    ),
    pytest.param(
        "getCustomerTierProgress",
        TierProgress,
        lambda c: c.get_tier_progress(CUSTOMER_ID, lang="ar"),
        id="tier-progress",
    ),
    pytest.param(
        "createCustomer",
        UpsertCustomerResponse,
        lambda c: c.upsert_customer(full_upsert_request()),
        id="upsert",
    ),
    pytest.param(
        "previewOrderRewards",
        RewardPreview,
        lambda c: c.preview_order(preview_request(CUSTOMER_ID, Decimal("1250.50"), FULL_STORE)),
        id="reward-preview",
    ),
    pytest.param(
        "trackOrder",
        OrderResponse,
        lambda c: c.track_order(order_request(sale(FULL_STORE))),
        id="order",
    ),
    pytest.param(
        "getOrderTransactions",
        OrderTransactions,
        lambda c: c.order_transactions(ORDER_ID),
        id="order-transactions",
    ),
    pytest.param(
        REFUND,
        RefundResponse,
        lambda c: c.refund(refund_request(sale(FULL_STORE), f"{ORDER_ID}-R1", NOW)),
        id="refund",
    ),
    pytest.param(
        HOLD,
        HoldPlaced,
        lambda c: c.hold_points(hold_request(CUSTOMER_ID, HoldAsk(points=200), NOW)),
        id="hold",
    ),
    pytest.param(
        HOLD_DETAILS, HoldDetails, lambda c: c.hold_details(HOLD_REFERENCE), id="hold-details"
    ),
    pytest.param(
        RELEASE_HOLD, HoldReleased, lambda c: c.release_hold(HOLD_REFERENCE), id="release-hold"
    ),
]
#: The order and refund bodies the bot sends, per operation, for every kind of till.
ORDER_BODIES = [
    pytest.param(operation_id, build, store, id=f"{name}-{store_name}")
    for name, operation_id, build in [
        (
            "reward-preview",
            "previewOrderRewards",
            lambda s: preview_request(CUSTOMER_ID, Decimal("1250.50"), s),
        ),
        ("order", "trackOrder", lambda s: order_request(sale(s))),
        ("redeeming-order", "trackOrder", lambda s: order_request(sale(s, REDEMPTION))),
        ("refund", REFUND, lambda s: refund_request(sale(s), f"{ORDER_ID}-R1", NOW)),
    ]
    for store_name, store in STORES.items()
]
#: The hold and texted-code bodies the bot sends: by points or money, scanned or coded or not.
HOLD_BODIES = [
    pytest.param(HOLD, hold_request(CUSTOMER_ID, HoldAsk(points=200), NOW), id="hold-points"),
    pytest.param(
        HOLD, hold_request(CUSTOMER_ID, HoldAsk(amount=Decimal("20.05")), NOW), id="hold-amount"
    ),
    pytest.param(
        HOLD,
        hold_request(CUSTOMER_ID, HoldAsk(points=200), NOW, scan_hash="123456", otp="246810"),
        id="hold-scanned-and-coded",
    ),
    pytest.param(OTP, otp_request(CUSTOMER_ID, HoldAsk(points=200)), id="otp-points"),
    pytest.param(OTP, otp_request(CUSTOMER_ID, HoldAsk(amount=Decimal(20))), id="otp-amount"),
]

RESPONSE_MODELS = [pytest.param(*case.values[:2], id=case.id) for case in OPERATIONS]


class Recorder:
    """A fake Gameball that answers every request with one body and keeps the requests."""

    def __init__(self, body: Any = None) -> None:
        self.body = {} if body is None else body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=self.body)

    @property
    def only_request(self) -> httpx.Request:
        assert len(self.requests) == 1
        return self.requests[0]


async def call_client(call: Any, body: Any = None) -> tuple[Any, httpx.Request]:
    """Run one client call against a Recorder; return its result and the request it sent."""
    recorder = Recorder(body)
    async with GameballClient(
        "contract-api-key", "contract-secret-key", transport=httpx.MockTransport(recorder)
    ) as client:
        result = await call(client)
    return result, recorder.only_request


def example_from_schema(schema: dict[str, Any]) -> Any:
    """A body with every documented property filled, each with a value no other field shares.

    Distinct values make a model that reads one field under another field's name fail.
    """
    return _example(schema, "root", itertools.count(1))


def _example(schema: dict[str, Any], name: str, numbers: Iterator[int]) -> Any:
    schema = resolve(schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" and "properties" in schema:
        return {key: _example(sub, key, numbers) for key, sub in schema["properties"].items()}
    if kind == "array" and "items" in schema:
        return [_example(schema["items"], f"{name}-item", numbers)]
    samples: dict[Any, Any] = {
        "object": lambda: {f"{name}-key": f"{name}-value"},
        "array": lambda: [f"{name}-item"],
        "string": lambda: f"{name}-sample",
        "integer": lambda: next(numbers),
        "number": lambda: next(numbers) + 0.5,
        "boolean": lambda: True,
    }
    return samples[kind]()


def _nested_model(field_type: Any) -> type[BaseModel] | None:
    candidates = [field_type, *typing.get_args(field_type)]
    return next((t for t in candidates if isinstance(t, type) and issubclass(t, BaseModel)), None)


def _wire_name(field: Any, attribute: str) -> str:
    return str(field.serialization_alias or field.alias or attribute)


def expected_view(model: type[BaseModel], payload: dict[str, Any]) -> dict[str, Any]:
    """What ``model`` should expose of ``payload``: the fields it declares, by wire name."""
    view: dict[str, Any] = {}
    for attribute, field in model.model_fields.items():
        wire_name = _wire_name(field, attribute)
        if payload.get(wire_name) is None:
            continue
        nested = _nested_model(field.annotation)
        value = payload[wire_name]
        view[wire_name] = expected_view(nested, value) if nested else value
    return view


def undocumented_fields(model: type[BaseModel], schema: dict[str, Any]) -> list[str]:
    """Fields the model reads under a name the schema does not define (a typo'd alias)."""
    properties = resolve(schema).get("properties", {})
    missing: list[str] = []
    for attribute, field in model.model_fields.items():
        wire_name = _wire_name(field, attribute)
        nested = _nested_model(field.annotation)
        if wire_name not in properties:
            missing.append(wire_name)
        elif nested:
            inner = undocumented_fields(nested, properties[wire_name])
            missing += [f"{wire_name}.{name}" for name in inner]
    return missing


def undocumented_keys(body: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Keys of a request body the schema does not name (JSON Schema alone would allow them)."""
    schema = resolve(schema)
    if schema.get("additionalProperties") is True or "properties" not in schema:
        return []
    unknown: list[str] = []
    for key, value in body.items():
        if key not in schema["properties"]:
            unknown.append(key)
        elif isinstance(value, dict):
            inner = undocumented_keys(value, schema["properties"][key])
            unknown += [f"{key}.{name}" for name in inner]
    return unknown


def documented_responses(operation_id: str) -> list[Any]:
    return response_examples(operation_id, 200) or [
        example_from_schema(response_schema(operation_id, 200))
    ]


# --- (a) what Gameball answers ---------------------------------------------------------


@pytest.mark.parametrize(("operation_id", "model", "call"), OPERATIONS)
async def test_documented_answers_come_out_of_the_client_unchanged(
    operation_id: str, model: type[BaseModel], call: Any
) -> None:
    for body in documented_responses(operation_id):
        validate_response(operation_id, 200, body)

        result, _ = await call_client(call, body)

        assert isinstance(result, model)
        assert result.model_dump(by_alias=True, exclude_none=True) == expected_view(model, body)


@pytest.mark.parametrize(("operation_id", "model"), RESPONSE_MODELS)
def test_models_read_only_documented_fields(operation_id: str, model: type[BaseModel]) -> None:
    assert undocumented_fields(model, response_schema(operation_id, 200)) == []


def test_the_balance_example_is_real_and_complete() -> None:
    """The balance card depends on these; the spec must really carry them in its example."""
    (example,) = response_examples("getCustomerBalance", 200)

    assert {"availablePointsBalance", "availablePointsValue", "pointsName"} <= example.keys()


# --- (b) what the client sends ---------------------------------------------------------


@pytest.mark.parametrize(
    "upsert",
    [
        pytest.param(UpsertCustomerRequest(customer_id="+201001234567"), id="minimal"),
        pytest.param(full_upsert_request(), id="full"),
    ],
)
async def test_upsert_bodies_sent_are_valid_create_customer_requests(
    upsert: UpsertCustomerRequest,
) -> None:
    _, request = await call_client(lambda c: c.upsert_customer(upsert))
    body = json.loads(request.content)

    validate_request("createCustomer", body)
    assert undocumented_keys(body, request_schema("createCustomer")) == []


@pytest.mark.parametrize(("operation_id", "build", "store"), ORDER_BODIES)
def test_order_and_refund_bodies_are_valid_requests(
    operation_id: str, build: Any, store: Store
) -> None:
    body = build(store).to_json()

    validate_request(operation_id, body)
    assert undocumented_keys(body, request_schema(operation_id)) == []


@pytest.mark.parametrize(("operation_id", "request_model"), HOLD_BODIES)
async def test_hold_and_code_bodies_sent_are_valid_requests_at_the_documented_place(
    operation_id: str, request_model: Any
) -> None:
    send = {HOLD: "hold_points", OTP: "send_otp"}[operation_id]
    method, template, _ = find_operation(operation_id)

    _, request = await call_client(lambda c: getattr(c, send)(request_model))

    body = json.loads(request.content)
    validate_request(operation_id, body)
    assert undocumented_keys(body, request_schema(operation_id)) == []
    assert (request.method, request.url.raw_path.decode()) == (method, template)


def test_a_redeeming_order_carries_its_hold_and_the_price_before_the_discount() -> None:
    body = order_request(sale(FULL_STORE, REDEMPTION)).to_json()

    assert body["redemption"] == {"pointsHoldReference": HOLD_REFERENCE}
    assert (body["totalPrice"], body["totalPaid"]) == (1250.5, 1230.5)


def test_a_refund_names_its_merchant_only_with_a_branch_id() -> None:
    """The spec requires ``branch.uniqueId`` in a refund's merchant: the cases above need both."""
    with_id = refund_request(sale(STORES["branch id only"]), "R1", NOW).to_json()
    without_id = refund_request(sale(STORES["branch name only"]), "R1", NOW).to_json()

    assert with_id["merchant"] == {"branch": {"uniqueId": "B2"}}
    assert "merchant" not in without_id


def test_full_upsert_uses_the_pos_channel_and_a_custom_store() -> None:
    """Guards the case above: the full request must exercise the enum and the free object."""
    attributes = full_upsert_request().to_json()["customerAttributes"]

    assert attributes["channel"] == "pos"
    assert "store" in attributes["custom"]


# --- (c) where and how the client sends it ---------------------------------------------


@pytest.mark.parametrize(("operation_id", "model", "call"), OPERATIONS)
async def test_client_calls_the_documented_path_and_method(
    operation_id: str, model: type[BaseModel], call: Any
) -> None:
    method, template, _ = find_operation(operation_id)

    _, request = await call_client(call)

    path = (
        template.replace("{customerId}", CUSTOMER_ID)
        .replace("{orderId}", ORDER_ID)
        .replace("{holdReferenceId}", HOLD_REFERENCE)
    )
    assert request.method == method
    assert request.url.raw_path.decode() == path
    operation = load_spec()["paths"][template][method.lower()]
    assert operation.get("operationId", f"{method} {template}") == operation_id


@pytest.mark.parametrize(("operation_id", "model", "call"), OPERATIONS)
async def test_client_sends_the_documented_security_headers(
    operation_id: str, model: type[BaseModel], call: Any
) -> None:
    _, _, operation = find_operation(operation_id)
    schemes = load_spec()["components"]["securitySchemes"]

    _, request = await call_client(call)

    satisfied = [
        all(
            schemes[name]["in"] == "header" and schemes[name]["name"] in request.headers
            for name in requirement
        )
        for requirement in operation["security"]
    ]
    assert any(satisfied)


@pytest.mark.parametrize(("operation_id", "model", "call"), OPERATIONS)
async def test_client_sends_no_undeclared_headers(
    operation_id: str, model: type[BaseModel], call: Any
) -> None:
    _, _, operation = find_operation(operation_id)
    schemes = load_spec()["components"]["securitySchemes"].values()
    declared = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
    declared |= {s["name"].lower() for s in schemes if s.get("in") == "header"}

    _, request = await call_client(call)

    assert set(request.headers.keys()) - TRANSPORT_HEADERS <= declared
