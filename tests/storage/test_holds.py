"""The points holds the bot keeps until each is used or given back (PRODUCT §8)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.orders import PointsHold, Redemption, Sale, Store
from bot.storage import Cashier, Database, StorageError
from tests.storage.conftest import FakeClock

CASHIER = Cashier(chat_id=700, user_id=7, language="ar")


def placed(clock: FakeClock, reference: str = "HOLD-1") -> PointsHold:
    return PointsHold(
        reference=reference,
        customer_id="demo-1001",
        order_id="POP1-B2-20250301-AAAA",
        points=200,
        discount=Decimal("20.00"),
        currency="EGP",
        expires_at=clock.now + timedelta(minutes=10),
    )


def keep(database: Database, clock: FakeClock, reference: str = "HOLD-1") -> PointsHold:
    hold = placed(clock, reference)
    database.holds.add(hold, CASHIER, release_at=clock.now + timedelta(minutes=10))
    return hold


def test_a_kept_hold_is_read_back_exactly(database: Database, clock: FakeClock) -> None:
    hold = keep(database, clock)

    row = database.holds.get("HOLD-1")

    assert row is not None
    assert (row.hold, row.cashier, row.status, row.attempts) == (hold, CASHIER, "active", 0)
    assert row.hold.redemption == Redemption("HOLD-1", 200, Decimal("20.00"))
    assert [r.hold.reference for r in database.holds.active()] == ["HOLD-1"]


def test_an_abandoned_hold_falls_due_unless_staff_keep_working(
    database: Database, clock: FakeClock
) -> None:
    keep(database, clock)
    clock.advance(timedelta(minutes=9))
    database.holds.postpone("HOLD-1", clock.now + timedelta(minutes=10))
    clock.advance(timedelta(minutes=9))

    assert database.holds.claim_due(clock.now) == []
    clock.advance(timedelta(minutes=1))
    (due,) = database.holds.claim_due(clock.now)
    assert due.status == "releasing"
    assert database.holds.claim_due(clock.now) == []  # claimed once


def test_a_release_gameball_did_not_answer_is_due_again_later(
    database: Database, clock: FakeClock
) -> None:
    keep(database, clock)
    row = database.holds.claim_release("HOLD-1")
    assert row is not None

    database.holds.retry_release(row.id, clock.now + timedelta(seconds=30))

    again = database.holds.get("HOLD-1")
    assert again is not None
    assert (again.status, again.attempts) == ("active", 1)
    assert database.holds.claim_due(clock.now) == []
    assert len(database.holds.claim_due(clock.now + timedelta(seconds=30))) == 1
    with pytest.raises(StorageError):
        database.holds.retry_release(row.id + 100, clock.now)


def test_a_hold_an_order_carries_is_left_alone_until_the_order_ends(
    database: Database, clock: FakeClock
) -> None:
    keep(database, clock)

    assert database.holds.claim_for_order("HOLD-1")
    assert not database.holds.claim_for_order("HOLD-1")
    assert database.holds.claim_release("HOLD-1") is None
    assert database.holds.claim_due(clock.now + timedelta(days=1)) == []
    assert database.holds.finish("HOLD-1", "used", status="using")
    assert not database.holds.finish("HOLD-1", "released", status="using")
    assert database.holds.active() == []


def test_a_release_a_crash_interrupted_is_due_at_once_after_a_restart(
    db_path: Path, clock: FakeClock
) -> None:
    with_crash = Database(db_path, clock=clock)
    keep(with_crash, clock)
    with_crash.holds.claim_release("HOLD-1")
    with_crash.close()

    restarted = Database(db_path, clock=clock)
    assert restarted.holds.recover() == 1
    (due,) = restarted.holds.claim_due(clock.now)
    assert due.hold.reference == "HOLD-1"
    restarted.close()


def test_an_order_keeps_what_it_redeemed(database: Database, clock: FakeClock) -> None:
    redemption = Redemption("HOLD-1", 200, Decimal("20.00"))
    sale = Sale("O-1", "demo-1001", Decimal(450), "EGP", Store(), clock.now, redemption)

    order = database.orders.claim(sale, CASHIER)

    assert order is not None
    assert order.sale.redemption == redemption
    assert order.sale.paid == Decimal(430)
    assert database.orders.get(order.id) == order
