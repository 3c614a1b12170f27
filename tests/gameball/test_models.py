"""Wire models: lenient reading of what Gameball (really) sends, strict writing of requests."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.gameball import (
    CustomerAttributes,
    CustomerBalance,
    CustomerDetails,
    TierProgress,
    UpsertCustomerRequest,
    UpsertCustomerResponse,
)


@pytest.mark.parametrize("spelling", ["available", "avaliable"])
def test_balance_reads_both_spellings_of_available_points(spelling: str) -> None:
    balance = CustomerBalance.model_validate(
        {f"{spelling}PointsBalance": 1200, f"{spelling}PointsValue": 60.5}
    )

    assert balance.available_points_balance == 1200
    assert balance.available_points_value == 60.5


def test_balance_reads_every_documented_field() -> None:
    balance = CustomerBalance.model_validate(
        {
            "totalPointsBalance": 1500,
            "totalPointsValue": 75.0,
            "pendingPoints": 300,
            "pendingPointsValue": 15.0,
            "currency": "SAR",
            "pointsName": "Stars",
            "nextExpiringPointsAmount": 200,
            "nextExpiringPointsValue": 10.0,
            "nextExpiringPointsDate": "2024-12-01T00:00:00",
            "totalEarnedPoints": 2500,
        }
    )

    assert (balance.total_points_balance, balance.total_points_value) == (1500, 75.0)
    assert (balance.pending_points, balance.pending_points_value) == (300, 15.0)
    assert (balance.currency, balance.points_name) == ("SAR", "Stars")
    assert balance.next_expiring_points_amount == 200
    assert balance.next_expiring_points_value == 10.0
    assert balance.next_expiring_points_date == "2024-12-01T00:00:00"
    assert balance.total_earned_points == 2500


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="absent"),
        pytest.param(
            {
                "availablePointsBalance": None,
                "nextExpiringPointsAmount": None,
                "nextExpiringPointsDate": None,
                "currency": None,
            },
            id="null",
        ),
    ],
)
def test_balance_absent_or_null_fields_are_none(body: dict[str, Any]) -> None:
    balance = CustomerBalance.model_validate(body)

    assert balance.available_points_balance is None
    assert balance.next_expiring_points_amount is None
    assert balance.next_expiring_points_date is None
    assert balance.currency is None


def test_unknown_response_fields_are_ignored() -> None:
    balance = CustomerBalance.model_validate({"pendingPoints": 5, "brandNewField": {"x": 1}})

    assert balance.pending_points == 5
    assert "brandNewField" not in balance.model_dump(by_alias=True)


@pytest.mark.parametrize("spelling", ["minProgress", "minPorgress"])
def test_tier_progress_reads_both_spellings_of_min_progress(spelling: str) -> None:
    tiers = TierProgress.model_validate(
        {
            "current": {"order": 1, "name": "Basic", spelling: 0},
            "next": {"order": 2, "name": "Gold", spelling: 190, "icon": "https://x/i.webp"},
            "progress": 50,
        }
    )

    assert tiers.current is not None
    assert tiers.next is not None
    assert (tiers.current.name, tiers.current.min_progress) == ("Basic", 0)
    assert (tiers.next.name, tiers.next.min_progress, tiers.next.icon) == (
        "Gold",
        190,
        "https://x/i.webp",
    )
    assert tiers.progress == 50


def test_tier_progress_without_a_programme_is_all_none() -> None:
    tiers = TierProgress.model_validate({"current": None, "next": None})

    assert (tiers.current, tiers.next, tiers.progress) == (None, None, None)


@pytest.mark.parametrize(
    ("attributes", "name"),
    [
        pytest.param({"displayName": "Mona A.", "firstName": "Mona"}, "Mona A.", id="display"),
        pytest.param({"displayName": "  Mona  "}, "Mona", id="display-trimmed"),
        pytest.param({"displayName": "  ", "firstName": "Mona", "lastName": "Adel"}, "Mona Adel"),
        pytest.param({"firstName": "Mona", "lastName": None}, "Mona", id="first-only"),
        pytest.param({"lastName": " Adel "}, "Adel", id="last-only"),
        pytest.param({"firstName": " ", "lastName": ""}, None, id="blank"),
        pytest.param({"displayName": None, "email": "m@x.co"}, None, id="no-name"),
    ],
)
def test_details_name_prefers_display_name_then_first_and_last(
    attributes: dict[str, Any], name: str | None
) -> None:
    details = CustomerDetails.model_validate({"customerAttributes": attributes})

    assert details.name == name


@pytest.mark.parametrize("body", [{}, {"customerAttributes": None}])
def test_details_without_attributes_has_no_name(body: dict[str, Any]) -> None:
    assert CustomerDetails.model_validate(body).name is None


def test_details_reads_ids_and_contacts() -> None:
    details = CustomerDetails.model_validate(
        {
            "customerId": "c-1",
            "gameballId": 123,
            "customerAttributes": {
                "mobile": "+201001234567",
                "email": "m@x.co",
                "channel": "pos",
                "custom": {"store": "Zamalek"},
            },
        }
    )

    assert (details.customer_id, details.gameball_id) == ("c-1", 123)
    assert details.customer_attributes is not None
    assert details.customer_attributes.mobile == "+201001234567"
    assert details.customer_attributes.custom == {"store": "Zamalek"}


def test_upsert_response_keeps_only_the_gameball_id() -> None:
    response = UpsertCustomerResponse.model_validate({"gameballId": 42, "customerId": "c-1"})

    assert response.gameball_id == 42


def test_upsert_request_json_uses_wire_names_and_drops_absent_values() -> None:
    request = UpsertCustomerRequest(
        customer_id="c-1",
        mobile="+201001234567",
        customer_attributes=CustomerAttributes(
            display_name="Mona", channel="pos", custom={"store": "Zamalek"}
        ),
    )

    assert request.to_json() == {
        "customerId": "c-1",
        "mobile": "+201001234567",
        "customerAttributes": {
            "displayName": "Mona",
            "channel": "pos",
            "custom": {"store": "Zamalek"},
        },
    }


def test_minimal_upsert_request_sends_only_the_id() -> None:
    assert UpsertCustomerRequest(customer_id="c-1").to_json() == {"customerId": "c-1"}


def test_upsert_request_accepts_wire_names_too() -> None:
    request = UpsertCustomerRequest.model_validate(
        {"customerId": "c-1", "customerAttributes": {"preferredLanguage": "ar"}}
    )

    assert request.to_json() == {
        "customerId": "c-1",
        "customerAttributes": {"preferredLanguage": "ar"},
    }


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"customerId": "c-1", "isGuest": True}, id="unknown-field"),
        pytest.param(
            {"customerId": "c-1", "customerAttributes": {"channel": "till"}}, id="channel"
        ),
        pytest.param({"email": "m@x.co"}, id="no-id"),
    ],
)
def test_upsert_request_refuses_what_gameball_would_not_understand(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        UpsertCustomerRequest.model_validate(body)
