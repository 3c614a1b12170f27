"""Order IDs and times: fixed before anything is sent, unique, readable (PRODUCT §8)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.domain.orders import Store, gameball_time, needs_manager, new_order_id, new_refund_id

NOW = datetime(2026, 11, 26, 23, 30, 5, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("store", "prefix"),
    [
        (Store(), "TG"),
        (Store(store_id="POP1"), "POP1"),
        (Store(store_id="POP1", branch_id="B2"), "POP1-B2"),
        (Store(branch_id="B2", branch_name="Gate 2"), "B2"),
        (Store(store_id="city stars/pop-up #1"), "citystarspop"),  # letters, digits; 12 at most
        (Store(store_id="---", store_name="Mall"), "TG"),
    ],
)
def test_an_order_id_says_which_store_and_day_made_it(store: Store, prefix: str) -> None:
    order_id = new_order_id(store, NOW)

    assert re.fullmatch(rf"{re.escape(prefix)}-20261126-[0-9A-HJKMNP-TV-Z]{{10}}", order_id)


def test_the_date_in_an_order_id_is_utcs() -> None:
    cairo_morning = datetime(2026, 11, 27, 1, 0, tzinfo=timezone(timedelta(hours=2)))

    assert "-20261126-" in new_order_id(Store(), cairo_morning)


def test_order_ids_do_not_repeat_and_fit_gameballs_fields() -> None:
    longest = Store(store_id="S" * 100, branch_id="B" * 100)
    ids = {new_order_id(longest, NOW) for _ in range(5000)}

    assert len(ids) == 5000
    assert max(len(order_id) for order_id in ids) <= 45
    assert all(re.fullmatch(r"[A-Za-z0-9-]+", order_id) for order_id in ids)


def test_a_refund_id_names_its_order_and_is_new_each_time() -> None:
    refunds = {new_refund_id("TG-20261126-ABCDEFGHJK") for _ in range(100)}

    assert len(refunds) == 100
    assert all(refund.startswith("TG-20261126-ABCDEFGHJK-R") for refund in refunds)


def test_gameball_times_are_utc_with_milliseconds() -> None:
    assert gameball_time(NOW) == "2026-11-26T23:30:05.123Z"
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    assert gameball_time(plus_two) == "2026-11-26T23:30:05.123Z"


@pytest.mark.parametrize(
    ("amount", "needed"), [("9999.99", False), ("10000", False), ("10000.01", True)]
)
def test_only_amounts_above_the_limit_need_a_manager(amount: str, needed: bool) -> None:
    assert needs_manager(Decimal(amount), Decimal(10000)) is needed


def test_a_stores_label_prefers_names_to_ids() -> None:
    assert Store("S1", "City Stars", "B2", "Gate 2").label == "City Stars · Gate 2"
    assert Store("S1", "", "B2", "").label == "S1 · B2"
    assert Store().label == ""
